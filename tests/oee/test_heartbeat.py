"""Honest data when the PLC worker dies: a stale lease heartbeat makes the open interval no_data from when the
equipment was last seen (at query time), and a worker taking over records the unseen gap as no_data."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.oee.models import StateInterval
from apps.oee.selectors import equipment_current_states, equipment_oee
from plc_worker import leases
from tests.factories.oee import Feed, line_with_shifts, product
from tests.factories.plc import sim_connection

pytestmark = pytest.mark.django_db
ALWAYS = [("D", "00:00", "00:00", [])]  # one 24 h shift: every second is scheduled


def _setup():
    now = timezone.now().replace(microsecond=0)
    line = line_with_shifts(shifts=ALWAYS)
    product("1.0", code="5")
    conn = sim_connection(code="HB1", line=line)
    eq = conn.tags.first().equipment
    return now, conn, eq


def _claim(worker_id, conn, at, monkeypatch):
    monkeypatch.setattr(leases, "_now", lambda: at)
    owned = leases.lease_claim(worker_id=worker_id, connection_ids=[conn.pk], seconds=10)
    monkeypatch.undo()
    assert owned == {conn.pk}


@override_settings(PLC_WORKER_LEASE_SECONDS=10)
def test_stale_heartbeat_is_no_data_and_a_takeover_records_the_gap(monkeypatch):
    now, conn, eq = _setup()
    t0 = now - dt.timedelta(minutes=10)
    died = now - dt.timedelta(minutes=5)
    # Worker A polls from t0: running, counting; its last heartbeat is at `died` (renewed, then nothing).
    _claim("A", conn, t0, monkeypatch)
    feed = Feed(eq, product_number=5)
    feed.sample(t0, counters={"total_count": 100})
    feed.sample(t0 + dt.timedelta(minutes=2), counters={"total_count": 200})
    feed.ingest()
    monkeypatch.setattr(leases, "_now", lambda: died)
    assert leases.lease_renew(worker_id="A", connection_ids=[conn.pk], seconds=10) == {conn.pk}
    monkeypatch.undo()

    # A heartbeat 10 s old is fine: still running.
    fresh = equipment_current_states(equipment_ids=[eq.pk], now=died + dt.timedelta(seconds=10))
    assert fresh[eq.pk]["state"] == "running"
    # Now (5 min without a heartbeat, > 3 lease periods): no_data since the last heartbeat, at query time only.
    state = equipment_current_states(equipment_ids=[eq.pk], now=now)[eq.pk]
    assert state["state"] == "no_data" and state["since"] == died and not state["pending"]
    fig = equipment_oee(equipment=eq, start=t0, end=now, as_of=now)
    assert fig.time_per_state["no_data"] == 300
    assert fig.time_per_state["running"] == 300
    assert "no_data" in fig.flags
    assert not StateInterval.objects.filter(equipment=eq, state="no_data").exists()  # nothing was written

    # Worker B takes the expired lease over: the unseen time is recorded as no_data before its first sample.
    _claim("B", conn, now, monkeypatch)
    gap = StateInterval.objects.get(equipment=eq, state="no_data")
    assert gap.start == died and gap.end is None
    feed.sample(now + dt.timedelta(seconds=1), counters={"total_count": 350})  # counts made meanwhile reconcile
    feed.ingest()
    gap.refresh_from_db()
    assert gap.end == now + dt.timedelta(seconds=1)
    later = now + dt.timedelta(seconds=61)
    monkeypatch.setattr(leases, "_now", lambda: later)
    leases.lease_renew(worker_id="B", connection_ids=[conn.pk], seconds=10)
    monkeypatch.undo()
    fig = equipment_oee(equipment=eq, start=t0, end=later, as_of=later)
    assert fig.time_per_state["no_data"] == 301
    assert fig.time_per_state["running"] == 300 + 60
    assert fig.total_count == 250
    assert equipment_current_states(equipment_ids=[eq.pk], now=later)[eq.pk]["state"] == "running"


@override_settings(PLC_WORKER_LEASE_SECONDS=10)
def test_a_quick_takeover_records_no_gap_and_already_lost_comms_stay_as_they_are(monkeypatch):
    now, conn, eq = _setup()
    t0 = now - dt.timedelta(minutes=10)
    _claim("A", conn, t0, monkeypatch)
    feed = Feed(eq, product_number=5)
    feed.sample(t0, counters={"total_count": 100})
    feed.ingest()
    leases.lease_release(worker_id="A", connection_ids=[conn.pk])
    # Released at t0 and claimed 5 s later (a clean hand-over): less than a lease period unseen, no gap.
    _claim("B", conn, t0 + dt.timedelta(seconds=5), monkeypatch)
    assert not StateInterval.objects.filter(equipment=eq, state="no_data").exists()
    # Comms already lost when the worker died: the no_data interval simply continues (nothing new written).
    feed.sample(t0 + dt.timedelta(seconds=30), comms_ok=False)
    feed.ingest()
    leases.lease_release(worker_id="B", connection_ids=[conn.pk])
    _claim("C", conn, now, monkeypatch)
    assert StateInterval.objects.filter(equipment=eq, state="no_data").count() == 1


def test_equipment_fed_without_a_worker_is_not_judged_by_heartbeats():
    now = timezone.now().replace(microsecond=0)
    line = line_with_shifts(shifts=ALWAYS)
    product("1.0", code="6")
    conn = sim_connection(code="HB2", line=line)  # mapped, but never leased (replay only)
    eq = conn.tags.first().equipment
    feed = Feed(eq, product_number=6)
    feed.sample(now - dt.timedelta(hours=1), counters={"total_count": 1})
    feed.ingest()
    assert equipment_current_states(equipment_ids=[eq.pk], now=now)[eq.pk]["state"] == "running"


def test_count_only_pushes_are_coalesced_per_line_but_edges_are_pushed_at_once(monkeypatch):
    import apps.lines.live as live
    from apps.oee import ingest

    pushed = []
    monkeypatch.setattr(live, "equipment_changed_on_commit", lambda **kw: pushed.append(set(kw["line_ids"])))
    now = timezone.now().replace(microsecond=0)
    line = line_with_shifts(shifts=ALWAYS)
    product("1.0", code="7")
    conn = sim_connection(code="HB3", line=line)
    eq = conn.tags.first().equipment
    feed = Feed(eq, product_number=7)
    feed.sample(now, counters={"total_count": 1})
    feed.ingest()  # first sample: a state edge
    feed.sample(now + dt.timedelta(seconds=1), counters={"total_count": 2})
    feed.ingest()  # count only, within the second: not pushed
    feed.sample(now + dt.timedelta(seconds=2), running=False, counters={"total_count": 2})
    feed.ingest()  # a stop: pushed at once
    assert pushed == [{line.pk}, {line.pk}]
    monkeypatch.setattr(ingest, "COUNT_PUSH_MIN_INTERVAL_S", 0.0)
    feed.sample(now + dt.timedelta(seconds=3), counters={"total_count": 3})
    feed.ingest()  # count only, the interval has passed: pushed
    assert len(pushed) == 3
