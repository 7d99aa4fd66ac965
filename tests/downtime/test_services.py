"""Downtime events: catalog default reasons, shift splits, operator coding, supervisor edits with history."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.downtime.models import DowntimeEdit, DowntimeEvent, FaultEvent
from apps.downtime.selectors import downtime_uncoded_queue
from apps.downtime.services import downtime_event_code, downtime_event_merge, downtime_event_split
from apps.oee.selectors import equipment_oee
from apps.oee.windows import windows_for
from tests.factories.accounts import UserFactory
from tests.factories.downtime import DowntimeReasonFactory, FaultCodeFactory, ReasonCategoryFactory
from tests.factories.oee import Feed, equipment_on, line_with_shifts

UTC = dt.timezone.utc
pytestmark = pytest.mark.django_db
SHIFTS = [("E", "06:00", "14:00", []), ("L", "14:00", "22:00", [])]


def t(h, m=0, s=0):
    return dt.datetime(2026, 3, 2, h, m, s, tzinfo=UTC)


@pytest.fixture
def setup():
    line = line_with_shifts(shifts=SHIFTS)
    eq = equipment_on(line)
    mech = ReasonCategoryFactory(line=line, code="MECH")
    jam = DowntimeReasonFactory(category=mech, code="JAM")
    motor = DowntimeReasonFactory(category=mech, code="MOTOR")
    planned = ReasonCategoryFactory(line=line, code="PLAN", planned=True)
    clean = DowntimeReasonFactory(category=planned, code="CLEAN")
    return line, eq, {"jam": jam, "motor": motor, "clean": clean}


def _stop(eq, start, end, **kw):
    f = Feed(eq)
    f.sample(start - dt.timedelta(minutes=1), running=True)
    f.sample(start, running=False, **kw)
    f.sample(end, running=True, fault_word=0 if "fault_word" in kw else None)
    f.ingest()


def test_stop_across_shift_boundary_is_split_and_counted_once(setup):
    line, eq, _ = setup
    _stop(eq, t(13, 50), t(14, 20))
    parts = list(DowntimeEvent.objects.filter(equipment=eq).order_by("start"))
    assert [(p.start, p.end, p.counted, p.shift_key.split(":")[1]) for p in parts] == [
        (t(13, 50), t(14), True, "E"), (t(14), t(14, 20), False, "L")]
    early, late = [w for w in windows_for(line=line, start=t(6), end=t(22), by="shift")]
    fe = equipment_oee(equipment=eq, start=early[1][0][0], end=early[1][0][1], as_of=t(23))
    fl = equipment_oee(equipment=eq, start=late[1][0][0], end=late[1][0][1], as_of=t(23))
    assert (fe.downtime_s, fe.stop_count) == (600, 1)
    assert (fl.downtime_s, fl.stop_count) == (1200, 0)
    assert [e["started_in_window"] for e in fl.downtime_events] == [False]
    assert fe.mttr_s == 600 and fl.mttr_s is None


def test_fault_default_reason_and_andon_call(setup):
    from apps.andon.models import AndonCall

    line, eq, reasons = setup
    fc = FaultCodeFactory(equipment=eq, bit=5, default_reason=reasons["jam"], raises_andon=True, code="JAM5")
    FaultCodeFactory(equipment=eq, bit=6, code="OTHER")
    _stop(eq, t(8), t(8, 10), fault_word=(1 << 5) | (1 << 40))
    faults = list(FaultEvent.objects.filter(equipment=eq).order_by("bit"))
    assert [(f.bit, f.fault_code_id, f.raised_at, f.cleared_at) for f in faults] == [
        (5, fc.pk, t(8), t(8, 10)), (40, None, t(8), t(8, 10))]
    event = DowntimeEvent.objects.get(equipment=eq)
    assert (event.reason_id, event.reason_source) == (reasons["jam"].pk, "fault")
    call = AndonCall.objects.get(equipment=eq)
    assert call.fault_code_id == fc.pk


def test_operator_reason_applies_from_stop_start_and_queue(setup):
    line, eq, reasons = setup
    _stop(eq, t(13, 30), t(14, 30))
    _stop(eq, t(16), t(16, 5))
    queue = list(downtime_uncoded_queue(line_id=line.pk))
    assert [e.start for e in queue] == [t(13, 30), t(16)]
    operator = UserFactory(role="operator", lines=[line])
    parts = downtime_event_code(event_id=queue[0].pk, reason_id=reasons["motor"].pk, user=operator)
    assert [p.reason_id for p in parts] == [reasons["motor"].pk] * 2  # both shift parts
    assert [e.start for e in downtime_uncoded_queue(line_id=line.pk)] == [t(16)]
    fig = equipment_oee(equipment=eq, start=t(6), end=t(22), as_of=t(23))
    assert fig.downtime_by_reason == {"MOTOR": 3600.0, "uncoded": 300.0}
    edit = DowntimeEdit.objects.get()
    assert (edit.action, edit.user_id, edit.before[0]["reason"], edit.after[0]["reason"]) == (
        "code", operator.pk, None, "MOTOR")


def test_planned_reason_moves_time_out_of_ppt_and_rollups_follow(setup):
    line, eq, reasons = setup
    f = Feed(eq)
    f.sample(t(6), running=True)
    f.sample(t(8), running=False)
    f.sample(t(9), running=True)
    f.sample(t(12), running=True)
    f.ingest()
    before = equipment_oee(equipment=eq, start=t(6), end=t(12), as_of=t(12))
    assert before.planned_production_time_s == 6 * 3600 and before.downtime_s == 3600
    event = DowntimeEvent.objects.get(equipment=eq)
    downtime_event_code(event_id=event.pk, reason_id=reasons["clean"].pk, user=None, supervisor=True)
    after = equipment_oee(equipment=eq, start=t(6), end=t(12), as_of=t(12))
    raw = equipment_oee(equipment=eq, start=t(6), end=t(12), as_of=t(12), use_rollups=False)
    assert after.planned_production_time_s == 5 * 3600 and after.downtime_s == 0 and after.stop_count == 0
    assert after.as_dict() == raw.as_dict()


def test_supervisor_split_merge_recode_with_history(setup):
    line, eq, reasons = setup
    _stop(eq, t(8), t(9))
    supervisor = UserFactory(role="shift_manager", lines=[line])
    event = DowntimeEvent.objects.get(equipment=eq)
    with pytest.raises(ValidationError):
        downtime_event_split(event_id=event.pk, at=t(9, 30), user=supervisor)
    first, second = downtime_event_split(event_id=event.pk, at=t(8, 20), user=supervisor)
    assert (first.start, first.end, second.start, second.end) == (t(8), t(8, 20), t(8, 20), t(9))
    downtime_event_code(event_id=first.pk, reason_id=reasons["jam"].pk, user=supervisor, supervisor=True)
    downtime_event_code(event_id=second.pk, reason_id=reasons["motor"].pk, user=supervisor, supervisor=True)
    fig = equipment_oee(equipment=eq, start=t(6), end=t(12), as_of=t(12))
    assert fig.downtime_by_reason == {"MOTOR": 2400.0, "JAM": 1200.0}
    assert fig.stop_count == 2 and fig.mttr_s == 1800
    assert fig.as_dict() == equipment_oee(equipment=eq, start=t(6), end=t(12), as_of=t(12),
                                          use_rollups=False).as_dict()
    merged = downtime_event_merge(event_id=second.pk, other_id=first.pk, user=supervisor)
    assert (merged.start, merged.end, merged.reason_id) == (t(8), t(9), reasons["jam"].pk)
    fig = equipment_oee(equipment=eq, start=t(6), end=t(12), as_of=t(12))
    assert fig.downtime_by_reason == {"JAM": 3600.0} and fig.stop_count == 1
    history = list(DowntimeEdit.objects.filter(equipment=eq).values_list("action", "user_id"))
    assert history == [("split", supervisor.pk), ("code", supervisor.pk), ("code", supervisor.pk),
                       ("merge", supervisor.pk)]
    last = DowntimeEdit.objects.filter(action="merge").get()
    assert [b["reason"] for b in last.before] == ["JAM", "MOTOR"] and last.after[0]["end"] == t(9).isoformat()


def test_merge_refuses_events_in_different_shifts_and_foreign_reasons(setup):
    line, eq, reasons = setup
    _stop(eq, t(13, 30), t(14, 30))
    a, b = DowntimeEvent.objects.filter(equipment=eq).order_by("start")
    with pytest.raises(ValidationError):
        downtime_event_merge(event_id=a.pk, other_id=b.pk, user=None)
    other_line = line_with_shifts(shifts=SHIFTS)
    foreign = DowntimeReasonFactory(category=ReasonCategoryFactory(line=other_line))
    with pytest.raises(ValidationError):
        downtime_event_code(event_id=a.pk, reason_id=foreign.pk, user=None)
