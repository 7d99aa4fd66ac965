"""Schedules, every lifecycle transition, the checklist gate, changeovers and job progress from PLC counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.checklists.services import checklist_complete
from apps.jobs import services
from apps.jobs.choices import JobStatus
from apps.jobs.models import Changeover, Job, JobEvent
from apps.jobs.selectors import job_progress, job_summaries, kiosk_context
from apps.oee.models import BaseState, CountDelta, StateInterval
from tests.factories.accounts import UserFactory
from tests.factories.checklists import ChecklistTemplateFactory, passing_answers, signature_data
from tests.factories.jobs import ChangeoverTargetFactory, ScheduleEntryFactory
from tests.factories.lines import ProductFactory

T0 = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def product(db):
    return ProductFactory(code="BAG-5KG", ideal_cycle_time_s=Decimal("2.0"))


@pytest.fixture
def entry(line_a, product, supervisor):
    return ScheduleEntryFactory(line=line_a, product=product, quantity=100, planned_start=T0,
                                planned_end=T0 + dt.timedelta(hours=1), user=supervisor, at=T0 - dt.timedelta(hours=1))


@pytest.fixture
def job(entry):
    return entry.job


@pytest.fixture
def no_gate(line_a):
    line_a.checklist_required = False
    line_a.save()
    return line_a


def test_schedule_creates_an_assigned_job_and_flags_a_too_short_plan(line_a, product, supervisor):
    ok = ScheduleEntryFactory(line=line_a, product=product, quantity=1000, planned_start=T0,
                              planned_end=T0 + dt.timedelta(seconds=2000), user=supervisor)
    short = ScheduleEntryFactory(line=line_a, product=product, quantity=1000, planned_start=T0 + dt.timedelta(hours=1),
                                 planned_end=T0 + dt.timedelta(hours=1, seconds=1999), user=supervisor)
    assert ok.min_duration_s == 2000.0 and not ok.too_short
    assert short.too_short
    assert ok.job.status == JobStatus.ASSIGNED
    assert JobEvent.objects.filter(job=ok.job, kind="assigned").count() == 1


def test_overlap_on_a_line_is_refused_naming_the_conflicting_entry(entry, line_a, line_b, product):
    with pytest.raises(ValidationError) as exc:
        ScheduleEntryFactory(line=line_a, product=product, planned_start=T0 + dt.timedelta(minutes=30),
                             planned_end=T0 + dt.timedelta(hours=2))
    assert entry.ref in str(exc.value) and "BAG-5KG" in str(exc.value)
    # Back to back is fine, and another line is independent.
    ScheduleEntryFactory(line=line_a, product=product, planned_start=T0 + dt.timedelta(hours=1),
                         planned_end=T0 + dt.timedelta(hours=2))
    ScheduleEntryFactory(line=line_b, product=product, planned_start=T0, planned_end=T0 + dt.timedelta(hours=1))


def test_bad_schedule_values_are_refused(line_a, product):
    with pytest.raises(ValidationError) as exc:
        services.schedule_entry_create(line=line_a, product=product, quantity=0, planned_start=T0, planned_end=T0)
    assert "quantity" in exc.value.message_dict and "planned_end" in exc.value.message_dict


def test_accept_records_time_to_accept(job, operator):
    job = services.job_accept(job=job, user=operator, at=job.assigned_at + dt.timedelta(seconds=90))
    assert job.status == JobStatus.ACCEPTED and job.accepted_by == operator
    assert job.time_to_accept_s == 90.0


def test_accept_twice_tells_who_has_it(job, operator, line_a):
    other = UserFactory(username="op2", role="operator", lines=[line_a])
    services.job_accept(job=job, user=operator)
    with pytest.raises(services.JobTransitionError) as exc:
        services.job_accept(job=Job.objects.get(pk=job.pk), user=other)
    assert str(exc.value.messages[0]) == f"{job.ref} was already accepted by operator."


def test_conditional_update_lets_exactly_one_of_two_stale_accepts_win(job, operator, line_a):
    """Both callers read the job as 'assigned' before either writes (what a race looks like): one wins."""
    other = UserFactory(username="op2", role="operator", lines=[line_a])
    copy1, copy2 = Job.objects.get(pk=job.pk), Job.objects.get(pk=job.pk)
    services.job_accept(job=copy1, user=operator)
    with pytest.raises(services.JobTransitionError, match="already accepted by operator"):
        services.job_accept(job=copy2, user=other)
    assert Job.objects.get(pk=job.pk).accepted_by == operator


def test_a_job_assigned_to_someone_else_cannot_be_accepted(line_a, product, operator):
    named = UserFactory(username="named", role="operator", lines=[line_a])
    entry = ScheduleEntryFactory(line=line_a, product=product, planned_start=T0, planned_end=T0 + dt.timedelta(hours=1),
                                 assigned_to=named)
    with pytest.raises(services.JobTransitionError, match="assigned to named"):
        services.job_accept(job=entry.job, user=operator)


def test_an_outsider_cannot_be_assigned_or_accept(line_a, product, outsider):
    with pytest.raises(ValidationError):
        ScheduleEntryFactory(line=line_a, product=product, planned_start=T0, planned_end=T0 + dt.timedelta(hours=1),
                             assigned_to=outsider)
    entry = ScheduleEntryFactory(line=line_a, product=product, planned_start=T0,
                                 planned_end=T0 + dt.timedelta(hours=1))
    with pytest.raises(services.JobTransitionError, match="may not operate"):
        services.job_accept(job=entry.job, user=outsider)


def test_reassign_puts_an_accepted_job_back_to_assigned(job, operator, supervisor, line_a):
    other = UserFactory(username="op2", role="operator", lines=[line_a])
    services.job_accept(job=job, user=operator)
    job = services.job_reassign(job=job, to_user=other, user=supervisor, at=T0)
    assert job.status == JobStatus.ASSIGNED and job.assigned_to == other and job.accepted_by is None
    assert job.assigned_at == T0 and job.time_to_accept_s is None
    ev = JobEvent.objects.get(job=job, kind="reassigned")
    assert ev.detail == {"from": None, "to": "op2"}
    with pytest.raises(services.JobTransitionError):
        services.job_accept(job=job, user=operator)
    assert services.job_accept(job=job, user=other).status == JobStatus.ACCEPTED


def test_reassign_a_running_job_hands_it_over(job, operator, supervisor, no_gate, line_a):
    other = UserFactory(username="op2", role="operator", lines=[line_a])
    services.job_accept(job=job, user=operator)
    services.job_start(job=job, user=operator, at=T0)
    job = services.job_reassign(job=job, to_user=other, user=supervisor)
    assert job.status == JobStatus.IN_PROGRESS and job.assigned_to == other


@pytest.mark.parametrize("action", ["start", "complete"])
def test_illegal_transitions_from_assigned_are_refused(job, operator, action):
    with pytest.raises(services.JobTransitionError, match=f"Cannot {action} {job.ref}: it is assigned"):
        getattr(services, f"job_{action}")(job=job, user=operator)


def test_terminal_states_refuse_everything(job, operator, supervisor):
    services.job_cancel(job=job, user=supervisor, reason="Material missing")
    for call in (lambda: services.job_accept(job=job, user=operator),
                 lambda: services.job_start(job=job, user=operator),
                 lambda: services.job_complete(job=job, user=operator),
                 lambda: services.job_cancel(job=job, user=operator, reason="again"),
                 lambda: services.job_reassign(job=job, to_user=None, user=supervisor)):
        with pytest.raises(services.JobTransitionError, match="it is cancelled"):
            call()


def test_cancel_requires_a_reason_and_is_recorded(job, supervisor):
    with pytest.raises(services.JobTransitionError, match="reason"):
        services.job_cancel(job=job, user=supervisor, reason="  ")
    job = services.job_cancel(job=job, user=supervisor, reason="Order withdrawn", at=T0)
    assert job.status == JobStatus.CANCELLED and job.cancel_reason == "Order withdrawn" and job.cancelled_at == T0
    # A cancelled entry no longer blocks its slot.
    ScheduleEntryFactory(line=job.line, product=job.schedule.product, planned_start=T0,
                         planned_end=T0 + dt.timedelta(hours=1))


def test_full_lifecycle_sets_oee_context_and_snapshots_counts(job, operator, no_gate):
    eq = job.line.equipment.get()
    services.job_accept(job=job, user=operator, at=T0)
    job = services.job_start(job=job, user=operator, at=T0 + dt.timedelta(minutes=1))
    assert job.status == JobStatus.IN_PROGRESS
    from apps.oee.models import EquipmentRuntime

    rt = EquipmentRuntime.objects.get(equipment=eq)
    assert rt.job_ref == job.ref and rt.ctx_product_id == job.schedule.product_id and not rt.ctx_no_order
    CountDelta.objects.create(equipment=eq, ts=T0 + dt.timedelta(minutes=2), total=60, reject=5)
    CountDelta.objects.create(equipment=eq, ts=T0 + dt.timedelta(minutes=3), total=50, reject=0)
    CountDelta.objects.create(equipment=eq, ts=T0 - dt.timedelta(minutes=3), total=999)  # before the start
    progress = job_progress(job=job, now=T0 + dt.timedelta(minutes=4))
    assert progress["good"] == 105 and progress["suggest_complete"] and progress["percent"] == 100
    job = services.job_complete(job=job, user=operator, at=T0 + dt.timedelta(minutes=5))
    assert (job.status, job.good_count, job.total_count, job.reject_count) == (JobStatus.COMPLETED, 105, 110, 5)
    rt.refresh_from_db()
    assert rt.job_ref == "" and rt.ctx_no_order  # nothing else planned
    [summary] = job_summaries(line_ids=[job.line_id], start=T0 - dt.timedelta(hours=1), end=T0 + dt.timedelta(hours=2))
    assert summary["good"] == 105 and summary["quantity_attainment"] == 1.05
    assert summary["actual_duration_s"] == 240 and summary["time_ratio"] == 240 / 3600
    assert summary["time_to_accept_s"] == 3600.0


def test_progress_below_target_does_not_suggest_completion(job, operator, no_gate):
    eq = job.line.equipment.get()
    services.job_accept(job=job, user=operator, at=T0)
    job = services.job_start(job=job, user=operator, at=T0)
    CountDelta.objects.create(equipment=eq, ts=T0 + dt.timedelta(minutes=2), total=60, reject=10)
    progress = job_progress(job=job, now=T0 + dt.timedelta(minutes=30))
    assert (progress["good"], progress["percent"], progress["remaining"]) == (50, 50, 50)
    assert not progress["suggest_complete"] and progress["elapsed_s"] == 1800


def test_only_one_running_job_per_line(line_a, product, operator, no_gate):
    a = ScheduleEntryFactory(line=line_a, product=product, planned_start=T0, planned_end=T0 + dt.timedelta(hours=1))
    b = ScheduleEntryFactory(line=line_a, product=product, planned_start=T0 + dt.timedelta(hours=1),
                             planned_end=T0 + dt.timedelta(hours=2))
    for e in (a, b):
        services.job_accept(job=e.job, user=operator)
    services.job_start(job=a.job, user=operator)
    with pytest.raises(services.JobTransitionError, match=f"{a.job.ref} is still running"):
        services.job_start(job=b.job, user=operator)


# --- the checklist gate -----------------------------------------------------------------------------------------

def _complete(template, line, signer, at, **overrides):
    answers = passing_answers(template)
    answers.update(overrides)
    return checklist_complete(template_id=template.pk, line=line, signer=signer, pin="4711", answers=answers,
                              signature=signature_data(), at=at)


@pytest.fixture
def signer(operator):
    from apps.accounts.services import user_set_pin

    return user_set_pin(user=operator, pin="4711", badge_number="B-2002")


def test_start_without_any_checklist_configured_is_refused(job, signer):
    services.job_accept(job=job, user=signer)
    with pytest.raises(services.JobTransitionError, match="none is set up for BAG-5KG"):
        services.job_start(job=job, user=signer, at=T0)


def test_start_requires_a_passed_checklist_in_the_same_shift(job, signer, line_a):
    from tests.factories.lines import ShiftFactory, ShiftPatternFactory

    pattern = ShiftPatternFactory(line=line_a)
    ShiftFactory(pattern=pattern, code="E", start_time=dt.time(6), end_time=dt.time(14))
    ShiftFactory(pattern=pattern, code="L", start_time=dt.time(14), end_time=dt.time(22))
    template = ChecklistTemplateFactory(line=line_a)
    services.job_accept(job=job, user=signer)
    # T0 is 09:00 Berlin, in shift E; a completion in the late shift of the day before does not count.
    _complete(template, line_a, signer, T0 - dt.timedelta(hours=16))
    with pytest.raises(services.JobTransitionError, match="Complete the checklist"):
        services.job_start(job=job, user=signer, at=T0)
    completion = _complete(template, line_a, signer, T0 - dt.timedelta(hours=1))
    job = services.job_start(job=job, user=signer, at=T0)
    assert job.status == JobStatus.IN_PROGRESS and job.checklist_completion == completion


def test_a_failed_checklist_blocks_the_start_until_a_passing_one(job, signer, line_a):
    template = ChecklistTemplateFactory(line=line_a)
    services.job_accept(job=job, user=signer)
    pressure = template.items.get(kind="number")
    failed = _complete(template, line_a, signer, T0 - dt.timedelta(minutes=5), **{str(pressure.pk): "4.0"})
    assert not failed.passed and failed.failed_items == ["Air pressure"]
    with pytest.raises(services.JobTransitionError, match=r"failed \(Air pressure\)"):
        services.job_start(job=job, user=signer, at=T0)
    _complete(template, line_a, signer, T0 - dt.timedelta(minutes=1))
    assert services.job_start(job=job, user=signer, at=T0).status == JobStatus.IN_PROGRESS


def test_a_checklist_for_another_product_does_not_open_the_gate(job, signer, line_a):
    other = ProductFactory(code="OTHER")
    ChecklistTemplateFactory(line=line_a, product=other)
    services.job_accept(job=job, user=signer)
    with pytest.raises(services.JobTransitionError, match="none is set up"):
        services.job_start(job=job, user=signer, at=T0)
    specific = ChecklistTemplateFactory(line=line_a, product=job.schedule.product, code="BAG-CHECK")
    general = ChecklistTemplateFactory(line=line_a, code="LINE-CHECK")
    _complete(general, line_a, signer, T0)  # the general one is not the applicable (most specific) one
    with pytest.raises(services.JobTransitionError, match=specific.name):
        services.job_start(job=job, user=signer, at=T0)
    _complete(specific, line_a, signer, T0)
    assert services.job_start(job=job, user=signer, at=T0).status == JobStatus.IN_PROGRESS


def test_kiosk_context_shows_gate_and_my_jobs(job, signer, line_a, product):
    other = UserFactory(username="op2", role="operator", lines=[line_a])
    ScheduleEntryFactory(line=line_a, product=product, planned_start=T0 + dt.timedelta(hours=1),
                         planned_end=T0 + dt.timedelta(hours=2), assigned_to=other)
    ChecklistTemplateFactory(line=line_a)
    services.job_accept(job=job, user=signer)
    ctx = kiosk_context(line=line_a, user=signer, now=T0)
    assert [r["job"].pk for r in ctx["rows"]] == [job.pk]  # not the job assigned to op2
    assert ctx["rows"][0]["gate_ok"] is False and "Complete the checklist" in ctx["rows"][0]["gate_message"]


# --- changeovers ------------------------------------------------------------------------------------------------

def test_changeover_from_kiosk_is_attributed_to_the_incoming_job_with_target_and_overrun(
        line_a, product, operator, supervisor, no_gate):
    first = ScheduleEntryFactory(line=line_a, product=ProductFactory(code="OLD"), planned_start=T0,
                                 planned_end=T0 + dt.timedelta(hours=1))
    services.job_accept(job=first.job, user=operator)
    services.job_start(job=first.job, user=operator, at=T0)
    services.job_complete(job=first.job, user=operator, at=T0 + dt.timedelta(minutes=50))
    nxt = ScheduleEntryFactory(line=line_a, product=product, planned_start=T0 + dt.timedelta(hours=1),
                               planned_end=T0 + dt.timedelta(hours=2))
    ChangeoverTargetFactory(line=line_a, from_product=first.product, to_product=product, target_s=600)
    eq = line_a.equipment.get()
    StateInterval.objects.create(equipment=eq, state=BaseState.RUNNING, start=T0)
    co = services.changeover_start(line=line_a, user=operator, at=T0 + dt.timedelta(minutes=51))
    assert (co.job, co.from_product, co.to_product, co.target_s) == (nxt.job, first.product, product, 600)
    with pytest.raises(services.JobTransitionError, match="already running"):
        services.changeover_start(line=line_a, user=operator)
    timeline = StateInterval.objects.filter(equipment=eq).order_by("start").last()
    assert timeline.state == BaseState.CHANGEOVER and timeline.job_ref == nxt.job.ref
    assert timeline.product_id == product.pk
    services.job_accept(job=nxt.job, user=operator)
    job = services.job_start(job=nxt.job, user=operator, at=T0 + dt.timedelta(minutes=66))  # ends the changeover
    co.refresh_from_db()
    assert co.ended_at == T0 + dt.timedelta(minutes=66) and co.duration_s() == 900 and co.overrun_s() == 300
    assert StateInterval.objects.filter(equipment=eq).order_by("start").last().state != BaseState.CHANGEOVER
    [s] = [s for s in job_summaries(line_ids=[line_a.pk], start=T0, end=T0 + dt.timedelta(hours=3))
           if s["job_id"] == job.pk]
    assert (s["changeover_s"], s["changeover_target_s"], s["changeover_overrun_s"]) == (900, 600, 300)


def test_changeover_end_and_refusals(line_a, operator, no_gate, job):
    with pytest.raises(services.JobTransitionError, match="No changeover"):
        services.changeover_end(line=line_a, user=operator)
    services.job_accept(job=job, user=operator)
    services.job_start(job=job, user=operator, at=T0)
    with pytest.raises(services.JobTransitionError, match="Complete the running job"):
        services.changeover_start(line=line_a, user=operator)
    services.job_complete(job=job, user=operator, at=T0 + dt.timedelta(minutes=1))
    co = services.changeover_start(line=line_a, user=operator, at=T0 + dt.timedelta(minutes=2))
    assert co.job is None and co.target_s is None
    co = services.changeover_end(line=line_a, user=operator, at=T0 + dt.timedelta(minutes=12))
    assert co.duration_s() == 600 and co.overrun_s() is None


def test_changeover_follows_the_plc_mode_signal(line_a, product, no_gate):
    from apps.oee.models import EquipmentRuntime

    entry = ScheduleEntryFactory(line=line_a, product=product, planned_start=T0, planned_end=T0 + dt.timedelta(hours=1))
    eq = line_a.equipment.get()
    rt = EquipmentRuntime.objects.update_or_create(equipment=eq, defaults={"mode": 2, "last_change_ts": T0})[0]
    co = services.changeover_sync_plc(line=line_a, at=T0 + dt.timedelta(seconds=5))
    assert co.source == "plc" and co.started_at == T0 and co.job == entry.job and co.ended_at is None
    assert services.changeover_sync_plc(line=line_a).pk == co.pk  # idempotent
    assert Changeover.objects.count() == 1
    EquipmentRuntime.objects.filter(pk=rt.pk).update(mode=1, last_change_ts=T0 + dt.timedelta(minutes=7))
    co = services.changeover_sync_plc(line=line_a, at=T0 + dt.timedelta(minutes=8))
    assert co.ended_at == T0 + dt.timedelta(minutes=7)
    assert services.changeover_sync_plc(line=line_a) is None


def test_job_summaries_window_and_lines(line_a, line_b, product):
    a = ScheduleEntryFactory(line=line_a, product=product, planned_start=T0, planned_end=T0 + dt.timedelta(hours=1))
    ScheduleEntryFactory(line=line_b, product=product, planned_start=T0, planned_end=T0 + dt.timedelta(hours=1))
    ScheduleEntryFactory(line=line_a, product=product, planned_start=T0 + dt.timedelta(days=1),
                         planned_end=T0 + dt.timedelta(days=1, hours=1))
    rows = job_summaries(line_ids=[line_a.pk], start=T0 - dt.timedelta(hours=1), end=T0 + dt.timedelta(hours=3))
    assert [r["job_id"] for r in rows] == [a.job.pk]
    assert rows[0]["status"] == "assigned" and rows[0]["good"] is None and rows[0]["planned_quantity"] == 100
    assert timezone.is_aware(rows[0]["planned_start"])


def test_a_tampered_passed_flag_does_not_open_the_gate(job, signer, line_a):
    from apps.checklists.models import ChecklistCompletion

    template = ChecklistTemplateFactory(line=line_a)
    services.job_accept(job=job, user=signer)
    failed = _complete(template, line_a, signer, T0, **{str(template.items.get(kind="checkbox").pk): ""})
    ChecklistCompletion.objects.filter(pk=failed.pk).update(passed=True, failed_items=[])
    with pytest.raises(services.JobTransitionError, match="changed after signing"):
        services.job_start(job=job, user=signer, at=T0)


def test_the_periodic_task_records_plc_changeovers(line_a, line_b, product):
    from apps.jobs.tasks import changeover_sync
    from apps.oee.models import EquipmentRuntime
    from ms5.schedules import SCHEDULES, sync

    sync()
    assert SCHEDULES["jobs.changeover_sync"].task == "jobs.changeover_sync"
    EquipmentRuntime.objects.update_or_create(equipment=line_a.equipment.get(), defaults={"mode": 2})
    assert changeover_sync() == 1 and changeover_sync() == 1
    assert list(Changeover.objects.values_list("line_id", "source")) == [(line_a.pk, "plc")]
