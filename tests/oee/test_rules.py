"""Each rule of shared/OEE.md as a worked example with hand-computed numbers."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.lines.models import IdealCycleTime, Product
from apps.oee.counters import counter_delta, plausible_max
from apps.oee.ingest import EquipmentSample, samples_ingest
from apps.oee.models import DataQualityEvent, EquipmentRuntime, StateInterval
from apps.oee.selectors import equipment_current_states, equipment_oee, line_oee
from apps.oee.windows import windows_for
from tests.factories.oee import Feed, equipment_on, line_with_shifts, product

UTC = dt.timezone.utc
pytestmark = pytest.mark.django_db
DAY_SHIFT = [("E", "06:00", "14:00", []), ("L", "14:00", "22:00", [])]


def t(h, m=0, s=0, day=2, month=3):
    return dt.datetime(2026, month, day, h, m, s, tzinfo=UTC)


# -- §6 counters -------------------------------------------------------------------------------------------------
def test_counter_rules_pure():
    # ICT 1 s, 1 s since the last poll: plausible = ceil(1 × 1 × 2) + 5 = 7
    assert plausible_max(1, 1.0) == 7
    assert counter_delta(65534, 3, 2**16, 7) == (5, "wrap")  # 65534 → 65535 → 0 → 3: 5 units; rollover at M
    assert counter_delta(5000, 3, 2**16, 7) == (3, "reset")  # a drop no wrap explains: delta = current
    assert counter_delta(100, 150, 2**16, 7) == (50, "implausible")
    assert counter_delta(-2, 1, 2**16, 7) == (3, "wrap")  # signed INT read as two's complement: -2 ≡ 65534
    assert counter_delta(2**32 - 1, 0, 2**32, 7) == (1, "wrap")


def test_counter_wrap_vs_reset_through_ingest():
    line = line_with_shifts(shifts=DAY_SHIFT)
    product("1.0", code="7")
    eq = equipment_on(line)
    feed = Feed(eq, product_number=7, modulus=2**16)
    feed.sample(t(8), counters={"total_count": 65530})
    feed.sample(t(8, 0, 5), counters={"total_count": 4})  # wrap: 6 + 4 = 10 in 5 s (plausible 15)
    feed.sample(t(8, 0, 10), counters={"total_count": 9})  # +5
    feed.sample(t(8, 0, 15), counters={"total_count": 2})  # reset (65529 would be implausible): +2
    feed.sample(t(8, 0, 20), counters={"total_count": 5002})  # implausible jump: recorded, not added
    feed.sample(t(8, 0, 25), counters={"total_count": 5005})  # +3 from the new raw value
    feed.ingest()
    fig = equipment_oee(equipment=eq, start=t(8), end=t(9), as_of=t(9))
    assert fig.total_count == 10 + 5 + 2 + 3
    kinds = list(DataQualityEvent.objects.filter(equipment=eq).values_list("kind", flat=True))
    assert kinds == ["counter_reset", "counter_implausible"]


def test_comms_loss_is_no_data_and_counts_reconcile():
    line = line_with_shifts(shifts=DAY_SHIFT)
    product("2.0", code="8")
    eq = equipment_on(line)
    feed = Feed(eq, product_number=8)
    feed.sample(t(8), counters={"total_count": 1000})
    feed.sample(t(8, 10), counters={"total_count": 1300})  # 300 units in 600 s at ICT 2 s
    feed.sample(t(8, 10, 1), comms_ok=False)
    # 20 minutes later the PLC answers again; the machine made 500 more units meanwhile (plausible: 1205)
    feed.sample(t(8, 30), counters={"total_count": 1800})
    feed.sample(t(9), counters={"total_count": 2700})
    feed.ingest()
    fig = equipment_oee(equipment=eq, start=t(8), end=t(9), as_of=t(9))
    assert fig.time_per_state["no_data"] == 20 * 60 - 1
    assert fig.planned_production_time_s == 3600 - (20 * 60 - 1)
    assert fig.total_count == 800  # the 500 reconciled after reconnection are counted at 08:30
    assert "no_data" in fig.flags


# -- §4 stops --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stop_s,kind", [(119, "small_stop"), (120, "small_stop"), (121, "unplanned_stop")])
def test_micro_stop_exactly_at_threshold(stop_s, kind):
    line = line_with_shifts(shifts=DAY_SHIFT)
    eq = equipment_on(line)  # threshold 120 s
    feed = Feed(eq)
    feed.sample(t(8), running=True)
    feed.sample(t(8, 10), running=False)
    feed.sample(t(8, 10) + dt.timedelta(seconds=stop_s), running=True)
    feed.sample(t(9), running=True)
    feed.ingest()
    fig = equipment_oee(equipment=eq, start=t(8), end=t(9), as_of=t(9))
    assert fig.time_per_state[kind] == stop_s
    assert fig.small_stop_count == (1 if kind == "small_stop" else 0)
    assert fig.stop_count == (1 if kind == "unplanned_stop" else 0)
    assert fig.downtime_s == (stop_s if kind == "unplanned_stop" else 0)
    # oee_com keeps small stops in run time (performance loss); ISO 22400 takes them out (availability loss)
    iso = equipment_oee(equipment=eq, start=t(8), end=t(9), as_of=t(9), policy="iso22400")
    assert fig.run_time_s == 3600 - (stop_s if kind == "unplanned_stop" else 0)
    assert iso.run_time_s == 3600 - stop_s


def test_open_short_stop_is_pending():
    line = line_with_shifts(shifts=DAY_SHIFT)
    eq = equipment_on(line)
    feed = Feed(eq)
    feed.sample(t(8), running=True)
    feed.sample(t(8, 59), running=False)
    feed.ingest()
    fig = equipment_oee(equipment=eq, start=t(8), end=t(9), as_of=t(9))
    assert fig.time_per_state["pending_stop"] == 60
    assert fig.small_stop_count == 0 and "pending_stop" in fig.flags
    state = equipment_current_states(equipment_ids=[eq.pk], now=t(9))[eq.pk]
    assert state == {"state": "small_stop", "since": t(8, 59), "pending": True}
    assert equipment_current_states(equipment_ids=[eq.pk], now=t(9, 5))[eq.pk]["state"] == "unplanned_stop"


def test_no_run_bit_stop_after_k_times_ict():
    line = line_with_shifts(shifts=DAY_SHIFT)
    product("5.0", code="9")  # limit = max(3 × 5 s, 10 s) = 15 s
    eq = equipment_on(line)
    feed = Feed(eq, product_number=9)
    feed.sample(t(8), running=None, counters={"total_count": 0})
    for i in range(1, 13):  # one unit every 5 s until 08:01:00
        feed.sample(t(8) + dt.timedelta(seconds=5 * i), running=None, counters={"total_count": i})
    for s in (10, 15, 16, 30, 60):  # no advance after 08:01:00: stopped from there once 15 s have passed
        feed.sample(t(8, 1) + dt.timedelta(seconds=s), running=None, counters={"total_count": 12})
    feed.sample(t(8, 5), running=None, counters={"total_count": 13})
    feed.ingest()
    states = list(StateInterval.objects.filter(equipment=eq).values_list("state", "start", "end"))
    assert states == [("stopped", t(8), t(8, 0, 5)), ("running", t(8, 0, 5), t(8, 1)),
                      ("stopped", t(8, 1), t(8, 5)), ("running", t(8, 5), None)]


# -- §3 formulas ----------------------------------------------------------------------------------------------------
def test_running_during_break_adds_back_to_ppt():
    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [("10:00", "10:30")])])
    product("1.0", code="11")
    eq = equipment_on(line)
    feed = Feed(eq, product_number=11)
    feed.run(t(6), 8 * 3600, total=25200, step=60)  # runs through the break
    feed.stop(t(14))
    feed.ingest()
    fig = equipment_oee(equipment=eq, start=t(6), end=t(14), as_of=t(15))
    assert fig.planned_production_time_s == 8 * 3600  # 7.5 h planned + 0.5 h unplanned production
    assert fig.availability == 1.0
    assert fig.performance == pytest.approx(25200 / 28800)
    assert fig.time_per_state["planned_stop"] == 0


def test_stopped_in_break_is_planned_and_no_event():
    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [("10:00", "10:30")])])
    eq = equipment_on(line)
    feed = Feed(eq)
    feed.sample(t(6), running=True)
    feed.sample(t(10), running=False)
    feed.sample(t(10, 30), running=True)
    feed.sample(t(14), running=True)
    feed.ingest()
    fig = equipment_oee(equipment=eq, start=t(6), end=t(14), as_of=t(14))
    assert fig.time_per_state["planned_stop"] == 1800
    assert fig.availability == 1.0 and fig.downtime_events == []


def test_products_changing_mid_shift_with_different_scrap_rates():
    """A (ICT 1 s) 06–10 h: 12,000 made, 600 rejects; B (ICT 2 s) 10–14 h: 6,000 made, 60 rejects, 40 rework."""
    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [])])
    product("1.0", code="21")
    product("2.0", code="22")
    eq = equipment_on(line)
    a = Feed(eq, product_number=21)
    a.run(t(6), 4 * 3600, total=12000, reject=600)
    a.ingest()
    b = Feed(eq, product_number=22, start_total=12000)
    b.raw["reject_count"] = 600
    b.run(t(10), 4 * 3600, total=6000, reject=60, rework=40)
    b.stop(t(14))
    b.ingest()
    fig = equipment_oee(equipment=eq, start=t(6), end=t(14), as_of=t(15))
    # Σ ICT·total = 12000·1 + 6000·2 = 24,000 s; Σ ICT·good = 11400·1 + 5900·2 = 23,200 s; PPT = run = 28,800 s
    assert fig.performance == pytest.approx(24000 / 28800)
    assert fig.quality == pytest.approx(23200 / 24000)  # time-weighted: 0.966667
    assert fig.count_quality == pytest.approx(17300 / 18000)  # what operators see: 0.961111
    assert fig.oee == pytest.approx(23200 / 28800)
    assert fig.availability * fig.performance * fig.quality == pytest.approx(fig.oee, rel=1e-12)
    assert fig.scrap_ratio == pytest.approx(660 / 18000) and fig.rework_ratio == pytest.approx(40 / 18000)
    p_a = Product.objects.get(code="21")
    only_a = equipment_oee(equipment=eq, start=t(6), end=t(14), as_of=t(15), product_id=p_a.pk)
    assert only_a.total_count == 12000 and only_a.planned_production_time_s == 4 * 3600
    assert only_a.quality == pytest.approx(11400 / 12000)


def test_ict_is_snapshotted_at_run_start_and_lookup_order():
    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [])])
    p = product("3.0", code="31")
    eq = equipment_on(line)
    other = equipment_on(line)
    IdealCycleTime.objects.create(product=p, line=line, ideal_cycle_time_s=Decimal("2.0"))
    IdealCycleTime.objects.create(product=p, line=line, equipment=eq, ideal_cycle_time_s=Decimal("1.5"))
    for machine in (eq, other):
        f = Feed(machine, product_number=31)
        f.run(t(6), 3600, total=1200)
        f.stop(t(7))
        f.ingest()
    Product.objects.filter(pk=p.pk).update(ideal_cycle_time_s=Decimal("9.0"))
    IdealCycleTime.objects.filter(product=p).update(ideal_cycle_time_s=Decimal("9.0"))
    assert equipment_oee(equipment=eq, start=t(6), end=t(7), as_of=t(8)).performance == pytest.approx(1800 / 3600)
    assert equipment_oee(equipment=other, start=t(6), end=t(7), as_of=t(8)).performance == pytest.approx(
        2400 / 3600)


def test_performance_above_one_is_flagged_not_capped():
    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [])])
    product("1.0", code="41")
    eq = equipment_on(line)
    f = Feed(eq, product_number=41)
    f.run(t(6), 3600, total=4000, step=10)
    f.stop(t(7))
    f.ingest()
    fig = equipment_oee(equipment=eq, start=t(6), end=t(7), as_of=t(8))
    assert fig.performance == pytest.approx(4000 / 3600) and "ict_suspect" in fig.flags


def test_changeover_no_order_and_policies():
    """06–07 run 3,000 at ICT 1 s; 07:00–07:30 changeover (mode 2); 07:30–08:00 no order."""
    from apps.oee.services import equipment_context_set

    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [])])
    product("1.0", code="51")
    eq = equipment_on(line)
    f = Feed(eq, product_number=51)
    f.run(t(6), 3600, total=3000)
    f.sample(t(7), running=False, mode=2)
    f.sample(t(7, 30), running=False, mode=0)
    f.ingest()
    equipment_context_set(equipment_id=eq.pk, at=t(7, 30), no_order=True)
    samples_ingest([EquipmentSample(equipment_id=eq.pk, ts=t(7, 45), running=False, mode=0)])
    com = equipment_oee(equipment=eq, start=t(6), end=t(8), as_of=t(8))
    iso = equipment_oee(equipment=eq, start=t(6), end=t(8), as_of=t(8), policy="iso22400")
    assert com.time_per_state["changeover"] == 1800 and com.time_per_state["no_order"] == 1800
    assert com.planned_production_time_s == 5400 and com.oee == pytest.approx(3000 / 5400)
    assert iso.planned_production_time_s == 7200 and iso.oee == pytest.approx(3000 / 7200)
    assert com.teep == iso.teep == pytest.approx(3000 / 7200)  # no_order is visible in TEEP either way
    assert com.six_big_losses["setup_and_adjustments_s"] == 1800


# -- §5 shifts and clocks --------------------------------------------------------------------------------------------
def test_night_shift_across_midnight_belongs_to_its_start_date():
    line = line_with_shifts(tz="Europe/Berlin", shifts=[("N", "22:00", "06:00", [("02:00", "02:30")])])
    product("1.0", code="61")
    eq = equipment_on(line)
    f = Feed(eq, product_number=61)
    # Berlin is UTC+1 in January: the night 2026-01-14 22:00 local = 21:00 UTC → 05:00 UTC
    start = dt.datetime(2026, 1, 14, 21, tzinfo=UTC)
    f.run(start, 5 * 3600, total=15000)
    f.stop(start + dt.timedelta(hours=5))  # stops at 03:00 local until the end of the shift
    f.sample(start + dt.timedelta(hours=9), running=False)
    f.ingest()
    windows = windows_for(line=line, start=start - dt.timedelta(hours=1), end=start + dt.timedelta(hours=9),
                          by="production_date")
    assert [w[0] for w in windows] == ["2026-01-14"]
    fig = equipment_oee(equipment=eq, start=start, end=start + dt.timedelta(hours=8), as_of=start + dt.timedelta(
        hours=10))
    # 8 h shift, 0.5 h break (machine ran through it: added back), stop 03:00–06:00 local = 3 h
    assert fig.planned_production_time_s == 8 * 3600
    assert fig.downtime_s == 3 * 3600
    assert fig.availability == pytest.approx(5 / 8)
    days = windows_for(line=line, start=start, end=start + dt.timedelta(hours=8), by="day")
    assert [(label, (b - a).total_seconds()) for label, [(a, b)] in days] == [("2026-01-14", 7200),
                                                                              ("2026-01-15", 6 * 3600)]


@pytest.mark.parametrize("night,hours", [(dt.date(2026, 3, 28), 7), (dt.date(2026, 10, 24), 9),
                                         (dt.date(2026, 6, 13), 8)])
def test_dst_night_in_berlin(night, hours):
    line = line_with_shifts(tz="Europe/Berlin", shifts=[("N", "22:00", "06:00", [])])
    eq = equipment_on(line)
    windows = windows_for(line=line, start=dt.datetime.combine(night, dt.time(12), tzinfo=UTC),
                          end=dt.datetime.combine(night + dt.timedelta(days=1), dt.time(12), tzinfo=UTC), by="shift")
    assert len(windows) == 1
    (a, b), = windows[0][1]
    assert (b - a) == dt.timedelta(hours=hours)
    f = Feed(eq)
    f.sample(a, running=True)
    f.sample(b, running=True)
    f.ingest()
    fig = equipment_oee(equipment=eq, start=a, end=b, as_of=b + dt.timedelta(hours=1))
    assert fig.planned_production_time_s == hours * 3600 == fig.calendar_time_s
    assert fig.availability == 1.0


def test_line_figures_sum_times_and_counts_never_average_percentages():
    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [])])
    product("1.0", code="71")
    e1, e2 = equipment_on(line), equipment_on(line)
    f1 = Feed(e1, product_number=71)
    f1.run(t(6), 3600, total=3600)  # OEE 1.0 over 1 h
    f1.stop(t(7))
    f1.ingest()
    f2 = Feed(e2, product_number=71)
    f2.run(t(6), 1800, total=900)  # 30 min at half speed, then stopped 30 min: OEE 0.25
    f2.stop(t(6, 30))
    f2.sample(t(7), running=False)
    f2.ingest()
    fig = line_oee(line=line, start=t(6), end=t(7), as_of=t(8))
    assert fig.oee == pytest.approx((3600 + 900) / 7200)
    assert fig.availability == pytest.approx(5400 / 7200)
    # Summed: 4,500 ideal seconds / 5,400 run seconds = 0.8333; averaging the machines' P (1.0 and 0.5) gives 0.75
    assert fig.performance == pytest.approx(4500 / 5400)


def test_rollups_equal_raw_and_late_sample_is_recorded():
    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [("09:00", "09:15")])])
    product("1.5", code="81")
    eq = equipment_on(line)
    f = Feed(eq, product_number=81)
    f.run(t(6), 3 * 3600, total=6000, reject=60)
    f.stop(t(9, 20))
    f.run(t(10, 1), 2 * 3600, total=4000, reject=10)
    f.stop(t(12, 1))
    f.sample(t(13, 30), running=False)
    f.ingest()
    assert EquipmentRuntime.objects.get(equipment=eq).rolled_up_to == t(13)
    fast = equipment_oee(equipment=eq, start=t(6), end=t(13, 30), as_of=t(14))
    slow = equipment_oee(equipment=eq, start=t(6), end=t(13, 30), as_of=t(14), use_rollups=False)
    assert fast.as_dict() == slow.as_dict()
    samples_ingest([EquipmentSample(equipment_id=eq.pk, ts=t(7), running=True)])
    assert DataQualityEvent.objects.filter(equipment=eq, kind="late_sample").count() == 1


def test_day_rollups_agree_with_raw_and_follow_edits():
    from apps.downtime.models import DowntimeEvent
    from apps.downtime.services import downtime_event_code
    from apps.oee.models import DayRollup
    from tests.factories.downtime import DowntimeReasonFactory, ReasonCategoryFactory

    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [("10:00", "10:30")]), ("N", "22:00", "06:00", [])])
    product("1.0", code="91")
    eq = equipment_on(line)
    f = Feed(eq, product_number=91)
    for day in (2, 3, 4):
        f.run(t(6, day=day), 5 * 3600, total=15000, reject=150, step=600)
        f.stop(t(11, day=day))
        f.sample(t(12, day=day), running=True)
    f.sample(t(6, day=5), running=False)
    f.ingest()
    assert DayRollup.objects.filter(equipment=eq).count() == 4  # 2nd (from 06:00) to 4th, plus the open 5th
    kwargs = dict(equipment=eq, start=t(0, day=1), end=t(12, day=5), as_of=t(12, day=5))
    fast, raw = equipment_oee(**kwargs), equipment_oee(**kwargs, use_rollups=False)
    assert fast.as_dict() == raw.as_dict()
    assert fast.total_count == 45000 and fast.stop_count == 3
    assert sum(fast.time_per_state.values()) == (t(12, day=5) - t(0, day=1)).total_seconds()
    clean = DowntimeReasonFactory(category=ReasonCategoryFactory(line=line, planned=True), code="CLEAN")
    event = DowntimeEvent.objects.filter(equipment=eq).order_by("start").first()
    downtime_event_code(event_id=event.pk, reason_id=clean.pk, user=None)
    fast2, raw2 = equipment_oee(**kwargs), equipment_oee(**kwargs, use_rollups=False)
    assert fast2.as_dict() == raw2.as_dict()
    assert fast2.stop_count == 2 and fast2.time_per_state["planned_stop"] == fast.time_per_state["planned_stop"] + 3600
