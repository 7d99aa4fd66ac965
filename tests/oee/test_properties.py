"""Invariants of the calculator, checked with hypothesis on random timelines fed through the real ingest path."""

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.oee.calculator import accumulate
from apps.oee.ingest import EquipmentSample, samples_ingest
from apps.oee.selectors import equipment_oee
from tests.factories.oee import equipment_on, line_with_shifts, product

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 28, 18, tzinfo=UTC)  # a Berlin DST night lies inside the generated spans
pytestmark = pytest.mark.django_db
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_CODES = itertools.count(700000)
segment = st.tuples(
    st.sampled_from(["run", "stop", "changeover", "nodata"]),
    st.integers(min_value=1, max_value=5400),  # seconds
    st.integers(min_value=0, max_value=80),  # units per minute ×1.5 (ICT 1 s: up to 120/min, P may exceed 1)
    st.integers(min_value=0, max_value=20),  # reject percent
)


def _build(segments, policy="oee_com", ict="1.0"):
    line = line_with_shifts(tz="Europe/Berlin", policy=policy,
                            shifts=[("E", "06:00", "14:00", [("10:00", "10:30")]),
                                    ("N", "22:00", "06:00", [("02:00", "02:20")])])
    code = str(next(_CODES))
    product(ict, code=code)
    eq = equipment_on(line)
    samples, ts, total, reject = [], T0, 0, 0
    for kind, secs, speed, rej in segments:
        comms = kind != "nodata"
        step = 60
        for offset in range(0, secs, step):
            moment = ts + dt.timedelta(seconds=offset)
            if kind == "run" and offset:
                made = speed * 15 // 10
                total += made
                reject += made * rej // 100
            samples.append(EquipmentSample(
                equipment_id=eq.pk, ts=moment, comms_ok=comms, running=kind == "run" if comms else None,
                counters={"total_count": total, "reject_count": reject} if comms else {},
                mode=2 if kind == "changeover" else 0, product=int(code)))
        ts += dt.timedelta(seconds=secs)
    samples.append(EquipmentSample(equipment_id=eq.pk, ts=ts, running=False,
                                   counters={"total_count": total, "reject_count": reject}, product=int(code)))
    return eq, samples, ts


@SETTINGS
@given(st.lists(segment, min_size=1, max_size=8), st.integers(0, 10**6), st.integers(0, 10**6))
def test_state_time_sums_to_window_and_apq_identity(db, segments, cut_a, cut_b):
    eq, samples, end = _build(segments)
    samples_ingest(samples)
    span = int((end - T0).total_seconds()) + 3600
    a = T0 - dt.timedelta(seconds=1800) + dt.timedelta(seconds=cut_a % span)
    b = a + dt.timedelta(seconds=1 + cut_b % span)
    as_of = end + dt.timedelta(hours=2)
    for policy in ("oee_com", "iso22400"):
        fig = equipment_oee(equipment=eq, start=a, end=b, as_of=as_of, policy=policy)
        # time after as_of has not happened and is not counted
        assert sum(fig.time_per_state.values()) == pytest.approx((min(b, as_of) - a).total_seconds(), abs=1e-6)
        assert 0 <= fig.planned_production_time_s <= fig.calendar_time_s + 1e-6
        if fig.planned_production_time_s and fig.run_time_s and fig.ideal_time_total_s:
            apq = fig.availability * fig.performance * fig.quality
            assert apq == pytest.approx(fig.ideal_time_good_s / fig.planned_production_time_s, rel=1e-9)
            assert fig.oee == pytest.approx(apq, rel=1e-9)
        assert fig.availability is None or fig.availability <= 1.0 + 1e-12


def _parts(fig):
    return (fig.calendar_time_s, fig.planned_production_time_s, fig.run_time_s, fig.total_count, fig.reject_count,
            fig.ideal_time_total_s, fig.ideal_time_good_s, fig.small_stop_count, fig.stop_count, fig.downtime_s)


@SETTINGS
@given(st.lists(segment, min_size=1, max_size=8), st.integers(0, 10**6), st.integers(0, 10**6),
       st.integers(0, 10**6))
def test_adjacent_windows_add_up_to_their_union(db, segments, x, y, z):
    eq, samples, end = _build(segments)
    samples_ingest(samples)
    span = int((end - T0).total_seconds()) + 3600
    a, m, b = sorted(T0 - dt.timedelta(seconds=1800) + dt.timedelta(seconds=v % span) for v in (x, y, z))
    b += dt.timedelta(seconds=1)
    as_of = end + dt.timedelta(hours=2)
    left = equipment_oee(equipment=eq, start=a, end=m, as_of=as_of)
    right = equipment_oee(equipment=eq, start=m, end=b, as_of=as_of)
    union = equipment_oee(equipment=eq, start=a, end=b, as_of=as_of)
    raw = equipment_oee(equipment=eq, start=a, end=b, as_of=as_of, use_rollups=False)
    for pl, pr, pu, praw in zip(_parts(left), _parts(right), _parts(union), _parts(raw)):
        assert pl + pr == pytest.approx(pu, abs=1e-6)
        assert pu == pytest.approx(praw, abs=1e-6)  # rollups agree with a rescan of raw data


@SETTINGS
@given(st.lists(segment, min_size=1, max_size=6), st.lists(segment, min_size=1, max_size=6), st.randoms(),
       st.integers(1, 50))
def test_results_do_not_depend_on_arrival_order(db, seg1, seg2, rnd, batch):
    """Two machines; the same samples arrive in time order per machine but interleaved and batched differently,
    shuffled inside each batch. Figures must be identical."""
    e1, s1, end1 = _build(seg1)
    e2, s2, end2 = _build(seg2)
    f1, t1, end1b = _build(seg1)
    f2, t2, end2b = _build(seg2)
    samples_ingest(s1 + s2)  # reference: everything at once
    # Other arrival: merge the two streams by time, cut into batches, shuffle each batch.
    stream = sorted([(s.ts, 0, s) for s in t1] + [(s.ts, 1, s) for s in t2], key=lambda x: (x[0], x[1]))
    stream = [s for _, _, s in stream]
    for i in range(0, len(stream), batch):
        chunk = stream[i:i + batch]
        rnd.shuffle(chunk)
        samples_ingest(chunk)
    as_of = max(end1, end2) + dt.timedelta(hours=2)
    a, b = T0 - dt.timedelta(hours=1), as_of
    for ref, other in ((e1, f1), (e2, f2)):
        r = equipment_oee(equipment=ref, start=a, end=b, as_of=as_of, with_events=False).as_dict()
        o = equipment_oee(equipment=other, start=a, end=b, as_of=as_of, with_events=False).as_dict()
        assert r == o


def test_accumulate_of_unknown_equipment_is_no_data(db):
    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [])])
    eq = equipment_on(line)
    acc = accumulate(equipment_list=[eq], spans=[(T0, T0 + dt.timedelta(hours=20))],
                     as_of=T0 + dt.timedelta(days=1))
    assert sum(acc.state_s.values()) == 20 * 3600
    assert acc.state_s["running"] == 0 and acc.total == 0
