"""Raw tag values → canonical samples; writes on change only."""

from __future__ import annotations

import datetime as dt

from plc_worker.drivers.base import TagRead, TagSpec
from plc_worker.transformer import ConnectionTransformer, counter_value, fault_word_value

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
TAGS = (
    TagSpec("Run", "BOOL", "running", 7),
    TagSpec("Good", "INT", "total_count", 7),
    TagSpec("Rej", "DINT", "reject_count", 7),
    TagSpec("Faults", "DINT[2]", "fault_word", 7),
    TagSpec("Spd", "INT", "speed", 7, scale=0.1, offset=0.0),
    TagSpec("Mode", "INT", "mode", 7),
)


def reads(run=True, good=5, rej=0, faults=(0, 0), spd=600, mode=0):
    return {"Run": TagRead(run), "Good": TagRead(good), "Rej": TagRead(rej), "Faults": TagRead(list(faults)),
            "Spd": TagRead(spd), "Mode": TagRead(mode)}


def test_dint2_fault_word_combines_low_and_high_words_unsigned():
    assert fault_word_value([1, 0], "DINT[2]") == 1
    assert fault_word_value([0, 1], "DINT[2]") == 1 << 32
    assert fault_word_value([-1, -2147483648], "DINT[2]") == (1 << 63) | 0xFFFFFFFF
    assert fault_word_value(-1, "INT") == 0xFFFF


def test_counters_are_read_as_twos_complement_with_the_type_modulus():
    assert counter_value(-1, "INT") == (65535, 2**16)
    assert counter_value(-32768, "INT") == (32768, 2**16)
    assert counter_value(-2, "DINT") == (2**32 - 2, 2**32)
    assert counter_value(12, "UDINT") == (12, 2**32)


def test_first_scan_emits_full_sample_with_scaling_and_moduli():
    t = ConnectionTransformer(TAGS)
    (s,) = t.update(reads(good=-3, faults=(4, 1)), T0)
    assert s.equipment_id == 7 and s.comms_ok and s.running is True
    assert dict(s.counters) == {"total_count": 65533, "reject_count": 0}
    assert dict(s.counter_moduli) == {"total_count": 2**16, "reject_count": 2**32}
    assert s.fault_word == (1 << 32) | 4 and s.speed == 60.0 and s.mode == 0


def test_unchanged_scans_emit_nothing_and_changes_emit_once():
    t = ConnectionTransformer(TAGS)
    assert len(t.update(reads(), T0)) == 1
    assert t.update(reads(), T0 + dt.timedelta(seconds=1)) == []
    assert t.update(reads(spd=601), T0 + dt.timedelta(seconds=2)) == []  # inside the speed deadband
    (s,) = t.update(reads(good=6), T0 + dt.timedelta(seconds=3))
    assert s.counters["total_count"] == 6
    (s,) = t.update(reads(good=6, run=False, faults=(8, 0)), T0 + dt.timedelta(seconds=4))
    assert s.running is False and s.fault_word == 8


def test_bad_quality_tag_is_unknown_not_zero():
    t = ConnectionTransformer(TAGS)
    r = reads()
    r["Good"] = TagRead(None, "Tag doesn't exist")
    (s,) = t.update(r, T0)
    assert "total_count" not in s.counters and s.counters["reject_count"] == 0


def test_comms_loss_emits_one_no_data_sample_and_recovery_emits_full_values():
    t = ConnectionTransformer(TAGS)
    t.update(reads(good=10), T0)
    (lost,) = t.comms_lost(T0 + dt.timedelta(seconds=1))
    assert lost.comms_ok is False and lost.running is None and not lost.counters
    assert t.comms_lost(T0 + dt.timedelta(seconds=2)) == []  # once, not per retry
    (back,) = t.update(reads(good=10), T0 + dt.timedelta(seconds=9))  # same values, but comms came back
    assert back.comms_ok is True and back.counters["total_count"] == 10


def test_one_sample_per_equipment_on_a_shared_connection():
    tags = (TagSpec("A", "BOOL", "running", 1), TagSpec("B", "BOOL", "running", 2))
    t = ConnectionTransformer(tags)
    samples = t.update({"A": TagRead(True), "B": TagRead(False)}, T0)
    assert [(s.equipment_id, s.running) for s in samples] == [(1, True), (2, False)]
    samples = t.update({"A": TagRead(True), "B": TagRead(True)}, T0)
    assert [(s.equipment_id, s.running) for s in samples] == [(2, True)]
