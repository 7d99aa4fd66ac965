"""The simulated machine: seeded, realistic, and it keeps running through its own comms drops."""

from __future__ import annotations

import pytest

from plc_worker.drivers import CommError
from plc_worker.drivers.base import ConnectionConfig, TagSpec
from plc_worker.drivers.sim import SimDriver, _REGISTRY, as_plc_int

SIGNALS = [("running", "BOOL"), ("total_count", "INT"), ("reject_count", "DINT"), ("fault_word", "DINT[2]"),
           ("mode", "INT"), ("product", "INT"), ("speed", "REAL")]


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def make(seed=3, conn_id=9001):
    _REGISTRY.pop((conn_id, seed), None)
    tags = tuple(TagSpec(f"M.{s}", t, s, 1) for s, t in SIGNALS)
    clock = Clock()
    cfg = ConnectionConfig(id=conn_id, code="SIM", driver="sim", sim_seed=seed, tags=tags,
                           sim_fault_bits={1: (3, 40)})
    return SimDriver(cfg, clock=clock), clock, tags


def run_hours(hours, seed=3):
    driver, clock, tags = make(seed)
    driver.open()
    history, drops = [], 0
    for _ in range(int(hours * 3600)):
        clock.t += 1
        try:
            history.append({k.split(".")[1]: v.value for k, v in driver.read(tags).items()})
        except CommError:
            drops += 1
    return history, drops


def test_a_day_of_simulation_has_runs_stops_faults_changeovers_and_drops():
    history, drops = run_hours(24)
    running = sum(h["running"] for h in history)
    assert 0.6 < running / len(history) < 0.98
    faults = {h["fault_word"][0] | (h["fault_word"][1] << 32) for h in history}
    assert faults - {0} <= {1 << 3, 1 << 40} and faults - {0}  # only catalog bits, and some occurred
    assert len({h["product"] for h in history}) >= 2 and any(h["mode"] == 2 for h in history)
    assert drops > 0
    # rejects never exceed totals' progress and the INT counter wrapped as a PLC would (signed 16-bit)
    totals = [h["total_count"] for h in history]
    assert min(totals) >= -32768 and max(totals) <= 32767
    assert any(b < a for a, b in zip(totals, totals[1:]))  # at least one rollover in a day at ~1.5/s


def test_same_seed_same_machine():
    a, _ = run_hours(0.5, seed=5)
    b, _ = run_hours(0.5, seed=5)
    assert a == b


@pytest.mark.parametrize("value,dtype,expected", [(70000, "INT", 70000 - 65536), (40000, "INT", 40000 - 65536),
                                                   (40000, "UINT", 40000), (2**32 + 5, "DINT", 5)])
def test_counter_presentation(value, dtype, expected):
    assert as_plc_int(value, dtype) == expected
