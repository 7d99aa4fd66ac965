"""A seeded virtual packaging machine per equipment, for the embedded default, the demo and the benchmark.

At 1 Hz it looks like a real line: long runs at a product-dependent speed with ~2 % rejects and a little
rework, micro-stops (5–90 s, no fault bit), jams and other faults from the equipment's catalog bits (1–8 min),
product changeovers every couple of hours (mode 2, 8–20 min, new product number), and now and then a comms drop
of the whole connection (20–60 s) during which reads fail exactly like a dead PLC.

The machines keep running while "comms" are down (they live in a registry, not in the driver object that the
scanner throws away after an error), so counts observed after a drop must be reconciled, as with a real PLC.
Counters wrap and are presented as the PLC would hold them (INT: signed 16-bit two's complement).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from plc_worker.drivers.base import CommError, ConnectionConfig, Driver, TagRead, TagSpec

_BITS = {"SINT": 8, "INT": 16, "UINT": 16, "DINT": 32, "UDINT": 32}
_SIGNED = {"SINT", "INT", "DINT"}
MAX_CATCH_UP_S = 3600


def as_plc_int(value: int, data_type: str) -> int:
    """The raw value a PLC register of ``data_type`` holds for an ever-growing counter."""
    bits = _BITS.get(data_type, 32)
    value &= (1 << bits) - 1
    if data_type in _SIGNED and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


@dataclass
class VirtualMachine:
    rng: random.Random
    fault_bits: tuple[int, ...]
    products: tuple[int, ...]
    total: int = 0
    reject: int = 0
    rework: int = 0
    state: str = "running"  # running | micro_stop | fault | changeover
    until: float = 0.0
    fault_word: int = 0
    product: int = 0
    mode: int = 0
    _acc: float = 0.0
    next_changeover: float = 0.0

    @classmethod
    def create(cls, seed: int, group: int, fault_bits: tuple[int, ...]) -> VirtualMachine:
        rng = random.Random(seed * 100_003 + group)
        products = tuple(sorted(rng.sample(range(100, 130), 4)))
        vm = cls(rng=rng, fault_bits=fault_bits or tuple(range(8)), products=products)
        vm.total = rng.randrange(0, 30_000)
        vm.reject = vm.total // 50
        vm.rework = vm.total // 200
        vm.product = rng.choice(products)
        vm.next_changeover = rng.uniform(3600, 3 * 3600)
        return vm

    @property
    def rate_per_s(self) -> float:  # 60–130 units per minute depending on product
        return (60 + (self.product * 37) % 70) / 60

    def step(self, now: float) -> None:
        """Advance one second."""
        rng = self.rng
        if self.state != "running":
            if now >= self.until:
                self.state, self.fault_word, self.mode = "running", 0, 0
            return
        if now >= self.next_changeover:
            self.state, self.mode, self.until = "changeover", 2, now + rng.uniform(480, 1200)
            self.product = rng.choice([p for p in self.products if p != self.product] or [self.product])
            self.next_changeover = self.until + rng.uniform(3600, 3 * 3600)
            return
        roll = rng.random()
        if roll < 1 / 900:  # a micro-stop every ~15 min of running
            self.state, self.until = "micro_stop", now + rng.uniform(5, 90)
            return
        if roll < 1 / 900 + 1 / 2400:  # a fault every ~40 min of running
            self.state, self.until = "fault", now + rng.uniform(60, 480)
            self.fault_word = 1 << rng.choice(self.fault_bits)
            return
        self._acc += self.rate_per_s * rng.uniform(0.9, 1.1)
        made = int(self._acc)
        self._acc -= made
        for _ in range(made):
            self.total += 1
            r = rng.random()
            if r < 0.02:
                self.reject += 1
            elif r < 0.025:
                self.rework += 1

    def value(self, signal: str, data_type: str):
        if signal == "running":
            return self.state == "running"
        if signal in ("total_count", "reject_count", "rework_count"):
            raw = {"total_count": self.total, "reject_count": self.reject, "rework_count": self.rework}[signal]
            return as_plc_int(raw, data_type)
        if signal == "fault_word":
            if data_type == "DINT[2]":
                return [as_plc_int(self.fault_word & 0xFFFFFFFF, "DINT"), as_plc_int(self.fault_word >> 32, "DINT")]
            return as_plc_int(self.fault_word, data_type)
        if signal == "speed":
            return round(self.rate_per_s * 60, 1) if self.state == "running" else 0.0
        if signal == "mode":
            return self.mode
        if signal == "product":
            return self.product
        raise KeyError(signal)


@dataclass
class SimPlc:
    """The controller: its machines and its comms-drop schedule."""

    seed: int
    machines: dict[int, VirtualMachine] = field(default_factory=dict)
    clock_at: float | None = None
    comms_down_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    rng: random.Random | None = None
    drop_probability: float = 1 / 7200  # per second: one drop every ~2 h

    def advance(self, now: float) -> None:
        if self.rng is None:
            self.rng = random.Random(self.seed)
        if self.clock_at is None:
            self.clock_at = now
            return
        steps = min(int(now - self.clock_at), MAX_CATCH_UP_S)
        for i in range(steps):
            t = self.clock_at + i + 1
            if t >= self.comms_down_until and self.rng.random() < self.drop_probability:
                self.comms_down_until = t + self.rng.uniform(20, 60)
            for vm in self.machines.values():
                vm.step(t)
        # Keep the fractional second so the machine never drifts from the clock; after a long gap, resync.
        self.clock_at = self.clock_at + steps if steps < MAX_CATCH_UP_S else now


_REGISTRY: dict[tuple[int, int], SimPlc] = {}
_REGISTRY_LOCK = threading.Lock()


def sim_plc(connection_id: int, seed: int) -> SimPlc:
    with _REGISTRY_LOCK:
        return _REGISTRY.setdefault((connection_id, seed), SimPlc(seed=seed))


class SimDriver(Driver):
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, config: ConnectionConfig, clock: Callable[[], float] | None = None):
        super().__init__(config)
        if clock is not None:
            self.clock = clock
        self.plc = sim_plc(config.id, config.sim_seed)
        with self.plc.lock:
            for tag in config.tags:
                if tag.group not in self.plc.machines:
                    self.plc.machines[tag.group] = VirtualMachine.create(
                        config.sim_seed, tag.group, tuple(config.sim_fault_bits.get(tag.group, ()))
                    )

    def _tick(self) -> None:
        with self.plc.lock:
            now = self.clock()
            self.plc.advance(now)
            if now < self.plc.comms_down_until:
                raise CommError(f"{self.config.code}: simulated comms drop")

    def open(self) -> None:
        self._tick()

    def read(self, tags: tuple[TagSpec, ...]) -> dict[str, TagRead]:
        self._tick()
        out = {}
        for tag in tags:
            try:
                out[tag.address] = TagRead(self.plc.machines[tag.group].value(tag.signal, tag.data_type))
            except KeyError:
                out[tag.address] = TagRead(None, f"the simulator has no signal {tag.signal!r}")
        return out

    def browse(self) -> list[str] | None:
        return sorted(t.address for t in self.config.tags)
