"""Raw tag values → canonical ``EquipmentSample`` per equipment, emitted only when something changed.

What happens here (and only here): scaling of analog values, the 64-bit fault word from DINT[2], signed → unsigned
two's complement for counters with the modulus of the tag's data type (shared/OEE.md §6). What does NOT happen
here: counter deltas, rollover/reset/plausibility and fault edges — the OEE engine does those inside its ingest
transaction, from the raw values, so a dropped or buffered sample can never invent or lose a count.
"""

from __future__ import annotations

from datetime import datetime

from apps.lines.choices import COUNTER_MODULUS, COUNTER_SIGNALS
from plc_worker.drivers.base import TagRead, TagSpec
from plc_worker.samples import EquipmentSample

_WORD_BITS = {"SINT": 8, "INT": 16, "UINT": 16, "DINT": 32, "UDINT": 32, "DINT[2]": 64}
SPEED_DEADBAND = 0.005  # relative: a speed that moved less than 0.5 % is not a change worth a write


def fault_word_value(value, data_type: str) -> int:
    if data_type == "DINT[2]":
        lo, hi = int(value[0]), int(value[1])
        return ((hi & 0xFFFFFFFF) << 32) | (lo & 0xFFFFFFFF)
    bits = _WORD_BITS.get(data_type, 32)
    return int(value) & ((1 << bits) - 1)


def counter_value(value, data_type: str) -> tuple[int, int]:
    """(unsigned raw value, modulus). A signed register is read as two's complement: -1 on an INT is 65535."""
    modulus = COUNTER_MODULUS[data_type]
    return int(value) % modulus, modulus


class EquipmentTransformer:
    """Keeps the last emitted sample of one equipment and decides whether a new scan is worth a write."""

    def __init__(self, equipment_id: int, tags: list[TagSpec]):
        self.equipment_id = equipment_id
        self.tags = tags
        self.last: EquipmentSample | None = None
        self.comms_ok: bool | None = None  # None: nothing emitted yet

    def canonical(self, reads: dict[str, TagRead], ts: datetime) -> EquipmentSample:
        running = fault = mode = speed = product = None
        counters: dict[str, int] = {}
        moduli: dict[str, int] = {}
        for tag in self.tags:
            read = reads.get(tag.address)
            if read is None or read.error is not None or read.value is None:
                continue  # bad quality: unknown, never guessed
            v = read.value
            if tag.signal == "running":
                running = bool(v)
            elif tag.signal in COUNTER_SIGNALS:
                counters[tag.signal], moduli[tag.signal] = counter_value(v, tag.data_type)
            elif tag.signal == "fault_word":
                fault = fault_word_value(v, tag.data_type)
            elif tag.signal == "speed":
                speed = round(float(v) * tag.scale + tag.offset, 3)
            elif tag.signal == "mode":
                mode = int(round(float(v) * tag.scale + tag.offset))
            elif tag.signal == "product":
                product = int(round(float(v) * tag.scale + tag.offset))
        return EquipmentSample(
            equipment_id=self.equipment_id, ts=ts, comms_ok=True, running=running, counters=counters,
            counter_moduli=moduli, fault_word=fault, mode=mode, speed=speed, product=product,
        )

    def _same(self, a: EquipmentSample, b: EquipmentSample) -> bool:
        if (a.running, dict(a.counters), a.fault_word, a.mode, a.product) != (
            b.running, dict(b.counters), b.fault_word, b.mode, b.product
        ):
            return False
        if (a.speed is None) != (b.speed is None):
            return False
        if a.speed is None:
            return True
        return abs(a.speed - b.speed) <= SPEED_DEADBAND * max(abs(b.speed), 1.0)

    def update(self, reads: dict[str, TagRead], ts: datetime) -> EquipmentSample | None:
        sample = self.canonical(reads, ts)
        if self.comms_ok and self.last is not None and self._same(sample, self.last):
            return None
        self.last, self.comms_ok = sample, True
        return sample

    def comms_lost(self, ts: datetime) -> EquipmentSample | None:
        """One ``comms_ok=False`` sample when the connection drops (not one per failed retry)."""
        if self.comms_ok is False:
            return None
        self.comms_ok = False
        return EquipmentSample(equipment_id=self.equipment_id, ts=ts, comms_ok=False)


class ConnectionTransformer:
    """All equipment mapped on one connection."""

    def __init__(self, tags: tuple[TagSpec, ...]):
        groups: dict[int, list[TagSpec]] = {}
        for tag in tags:
            groups.setdefault(tag.group, []).append(tag)
        self.equipment = [EquipmentTransformer(eid, t) for eid, t in sorted(groups.items())]

    def update(self, reads: dict[str, TagRead], ts: datetime) -> list[EquipmentSample]:
        return [s for e in self.equipment if (s := e.update(reads, ts)) is not None]

    def comms_lost(self, ts: datetime) -> list[EquipmentSample]:
        return [s for e in self.equipment if (s := e.comms_lost(ts)) is not None]
