"""Write path of jobs: schedules, the job lifecycle, changeovers. Views, tasks and the PLC worker call these.

Lifecycle (every other move is refused with a message naming the current status):

    assigned ──accept──▶ accepted ──start──▶ in_progress ──complete──▶ completed
       │  ▲                  │                    │
       │  └───reassign───────┘                    │
       └──────────── cancel (reason required) ◀───┘ ─▶ cancelled

Each transition is one conditional UPDATE (``WHERE status IN (allowed)``); the row count says whether this
caller won, so two operators accepting at the same instant cannot both succeed on any database.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.jobs.choices import OPEN_STATUSES, ChangeoverSource, JobEventKind, JobStatus
from apps.jobs.models import Changeover, ChangeoverTarget, Job, JobEvent, ScheduleEntry
from apps.lines.models import Equipment, Line, Product

EVENT = "ms5:jobs-changed"


class JobTransitionError(ValidationError):
    """A refused lifecycle move; the message is meant for the person who tried it."""


def _nudge(line_id: int) -> None:
    from apps.lines.live import nudge_on_commit

    nudge_on_commit(line_id, EVENT)


def _ict_s(line: Line, product: Product, equipment: Equipment | None) -> float:
    from apps.oee.ingest import ict_lookup

    eq = equipment or counting_equipment(line)
    if eq is not None:
        value = ict_lookup(eq, product.pk)
        if value is not None:
            return value
    return float(product.ideal_cycle_time_s)


def counting_equipment(line: Line, schedule: ScheduleEntry | None = None) -> Equipment | None:
    """The equipment whose counts are the job's progress: the schedule's, else the line's primary one."""
    if schedule is not None and schedule.equipment_id:
        return schedule.equipment
    if not hasattr(line, "_counting_equipment"):  # once per Line instance (board and summaries loop over jobs)
        line._counting_equipment = (Equipment.objects.filter(line=line, active=True)
                                    .order_by("-is_primary", "position").first())
    return line._counting_equipment


# --- schedules ------------------------------------------------------------------------------------------------

def _check_schedule(*, line, product, quantity, planned_start, planned_end, equipment, exclude_pk=None):
    errors = {}
    if quantity is None or quantity <= 0:
        errors["quantity"] = "The quantity must be at least 1."
    if planned_start is None or planned_end is None:
        errors["planned_start"] = "Give a planned start and end."
    elif planned_end <= planned_start:
        errors["planned_end"] = "The planned end must be after the planned start."
    if equipment is not None and equipment.line_id != line.pk:
        errors["equipment"] = "This equipment is not on the line."
    if errors:
        raise ValidationError(errors)
    clash = (ScheduleEntry.objects.select_related("product")
             .filter(line=line, planned_start__lt=planned_end, planned_end__gt=planned_start)
             .exclude(job__status=JobStatus.CANCELLED))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    other = clash.order_by("planned_start").first()
    if other is not None:
        tz = line.area.site.tz
        raise ValidationError({"planned_start": (
            f"Overlaps {other.ref} ({other.product.code} × {other.quantity}, "
            f"{other.planned_start.astimezone(tz):%Y-%m-%d %H:%M}–{other.planned_end.astimezone(tz):%H:%M}) "
            f"on {line.code}.")})


@transaction.atomic
def schedule_entry_create(*, line: Line, product: Product, quantity: int, planned_start: dt.datetime,
                          planned_end: dt.datetime, user=None, equipment: Equipment | None = None,
                          assigned_to=None, notes: str = "", at: dt.datetime | None = None) -> ScheduleEntry:
    """Plan a run and create its job (status assigned). Refuses an overlap on the line, naming the entry it
    clashes with; flags ``too_short`` when the planned duration is below quantity × ideal cycle time."""
    at = at or timezone.now()
    # Serialise planning per line so two planners cannot slip overlapping entries past each other.
    Line.objects.select_for_update().filter(pk=line.pk).first()
    _check_schedule(line=line, product=product, quantity=quantity, planned_start=planned_start,
                    planned_end=planned_end, equipment=equipment)
    min_duration = quantity * _ict_s(line, product, equipment)
    entry = ScheduleEntry.objects.create(
        line=line, product=product, equipment=equipment, quantity=quantity, planned_start=planned_start,
        planned_end=planned_end, min_duration_s=min_duration,
        too_short=(planned_end - planned_start).total_seconds() < min_duration, notes=notes[:200],
        created_at=at, created_by=user,
    )
    if assigned_to is not None:
        _check_assignee(line, assigned_to)
    job = Job.objects.create(schedule=entry, line=line, assigned_to=assigned_to, assigned_at=at)
    JobEvent.objects.create(job=job, kind=JobEventKind.ASSIGNED, at=at, user=user,
                            detail={"to": assigned_to.username if assigned_to else None})
    _nudge(line.pk)
    return entry


def _check_assignee(line: Line, user) -> None:
    from apps.accounts.access import can_access_line

    if not can_access_line(user, line.pk, "lines.operate_line"):
        raise ValidationError({"assigned_to": f"{user} may not operate {line.code}."})


# --- lifecycle ------------------------------------------------------------------------------------------------

def _refuse(job: Job, action: str) -> JobTransitionError:
    job.refresh_from_db()
    if action == "accept" and job.accepted_by_id and job.status in (JobStatus.ACCEPTED, JobStatus.IN_PROGRESS,
                                                                     JobStatus.COMPLETED):
        return JobTransitionError(f"{job.ref} was already accepted by {job.accepted_by}.")
    return JobTransitionError(f"Cannot {action} {job.ref}: it is {job.get_status_display().lower()}.")


def _transition(job: Job, action: str, allowed: tuple, **changes) -> Job:
    won = Job.objects.filter(pk=job.pk, status__in=allowed).update(**changes)
    if not won:
        raise _refuse(job, action)
    job.refresh_from_db()
    return job


@transaction.atomic
def job_accept(*, job: Job, user, at: dt.datetime | None = None) -> Job:
    """An operator takes the job. Exactly one of several simultaneous callers wins; the others learn who has it."""
    at = at or timezone.now()
    from apps.accounts.access import can_access_line

    if job.assigned_to_id and job.assigned_to_id != user.pk:
        raise JobTransitionError(f"{job.ref} is assigned to {job.assigned_to}; ask a supervisor to reassign it.")
    if not can_access_line(user, job.line_id, "lines.operate_line"):
        raise JobTransitionError(f"You may not operate {job.line.code}.")
    job = _transition(job, "accept", (JobStatus.ASSIGNED,), status=JobStatus.ACCEPTED, accepted_by=user,
                      accepted_at=at, time_to_accept_s=max(0.0, (at - job.assigned_at).total_seconds()))
    JobEvent.objects.create(job=job, kind=JobEventKind.ACCEPTED, at=at, user=user)
    _nudge(job.line_id)
    return job


@transaction.atomic
def job_reassign(*, job: Job, to_user, user, at: dt.datetime | None = None) -> Job:
    """Give the job to someone else (or to nobody = anyone on the line). An accepted job goes back to assigned;
    a running job is handed over and keeps running."""
    at = at or timezone.now()
    job = Job.objects.select_related("line", "assigned_to").get(pk=job.pk)
    if to_user is not None:
        _check_assignee(job.line, to_user)
    previous = job.assigned_to.username if job.assigned_to_id else None
    if job.status == JobStatus.IN_PROGRESS:
        job = _transition(job, "reassign", (JobStatus.IN_PROGRESS,), assigned_to=to_user)
    else:
        job = _transition(job, "reassign", (JobStatus.ASSIGNED, JobStatus.ACCEPTED), status=JobStatus.ASSIGNED,
                          assigned_to=to_user, assigned_at=at, accepted_by=None, accepted_at=None,
                          time_to_accept_s=None)
    JobEvent.objects.create(job=job, kind=JobEventKind.REASSIGNED, at=at, user=user,
                            detail={"from": previous, "to": to_user.username if to_user else None})
    _nudge(job.line_id)
    return job


def checklist_gate(*, job: Job, at: dt.datetime) -> tuple[bool, str, object]:
    """Whether the job may start now: (ok, message, completion or None)."""
    from apps.checklists.selectors import applicable_template, gate_completion

    line = job.line
    if not line.checklist_required:
        return True, "", None
    schedule = job.schedule
    eq = counting_equipment(line, schedule)
    template = applicable_template(line_id=line.pk, equipment_id=eq.pk if eq else None,
                                   product_id=schedule.product_id)
    if template is None:
        return False, (f"{line.code} requires a pre-start checklist, but none is set up for "
                       f"{schedule.product.code}; ask an administrator."), None
    completion = gate_completion(line=line, template=template, product_id=schedule.product_id, at=at)
    if completion is None:
        return False, f"Complete the checklist “{template.name}” first (this shift).", None
    from apps.checklists.services import checklist_completion_verify

    if not checklist_completion_verify(completion=completion):
        return False, (f"The checklist “{template.name}” record was changed after signing; "
                       "complete it again and tell a supervisor."), completion
    if not completion.passed:
        return False, (f"The checklist “{template.name}” failed ({', '.join(completion.failed_items)}); "
                       "fix the problem and complete it again."), completion
    return True, "", completion


@transaction.atomic
def job_start(*, job: Job, user, at: dt.datetime | None = None) -> Job:
    """Start production of an accepted job: checklist gate, one running job per line, OEE context (product and
    job reference on every machine of the line); an open changeover ends and is attributed to this job."""
    at = at or timezone.now()
    job = Job.objects.select_related("line__area__site", "schedule__product", "schedule__equipment").get(pk=job.pk)
    if job.status != JobStatus.ACCEPTED:
        raise _refuse(job, "start")
    ok, message, completion = checklist_gate(job=job, at=at)
    if not ok:
        raise JobTransitionError(message)
    running = Job.objects.filter(line=job.line, status=JobStatus.IN_PROGRESS).exclude(pk=job.pk).first()
    if running is not None:
        raise JobTransitionError(f"{running.ref} is still running on {job.line.code}; complete it first.")
    try:
        with transaction.atomic():
            job = _transition(job, "start", (JobStatus.ACCEPTED,), status=JobStatus.IN_PROGRESS, started_by=user,
                              started_at=at, checklist_completion=completion)
    except IntegrityError:
        running = Job.objects.filter(line_id=job.line_id, status=JobStatus.IN_PROGRESS).first()
        raise JobTransitionError(f"{running.ref if running else 'Another job'} is running on this line.") from None
    JobEvent.objects.create(job=job, kind=JobEventKind.STARTED, at=at, user=user)
    open_co = Changeover.objects.select_for_update().filter(line_id=job.line_id, ended_at__isnull=True).first()
    if open_co is not None:
        _changeover_close(open_co, user=user, at=at, job=job)
    _context(job.line_id, at, product_id=job.schedule.product_id, job_ref=job.ref, changeover=False, no_order=False)
    _nudge(job.line_id)
    return job


@transaction.atomic
def job_complete(*, job: Job, user, at: dt.datetime | None = None) -> Job:
    """End a running job; its counts are snapshotted. With nothing else planned the line goes to "no order"."""
    from apps.jobs.selectors import job_counts

    at = at or timezone.now()
    job = Job.objects.select_related("line", "schedule").get(pk=job.pk)
    if job.status != JobStatus.IN_PROGRESS:
        raise _refuse(job, "complete")
    counts = job_counts(job=job, end=at)
    job = _transition(job, "complete", (JobStatus.IN_PROGRESS,), status=JobStatus.COMPLETED, completed_by=user,
                      completed_at=at, good_count=counts["good"], total_count=counts["total"],
                      reject_count=counts["reject"])
    JobEvent.objects.create(job=job, kind=JobEventKind.COMPLETED, at=at, user=user, detail=counts)
    nothing_next = not Job.objects.filter(line_id=job.line_id, status__in=OPEN_STATUSES).exists()
    _context(job.line_id, at, job_ref="", no_order=nothing_next)
    _nudge(job.line_id)
    return job


@transaction.atomic
def job_cancel(*, job: Job, user, reason: str, at: dt.datetime | None = None) -> Job:
    """Cancel an open job; a reason is required. A running job's counts are snapshotted."""
    from apps.jobs.selectors import job_counts

    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise JobTransitionError("Give a reason for cancelling.")
    job = Job.objects.select_related("line", "schedule").get(pk=job.pk)
    was_running = job.status == JobStatus.IN_PROGRESS
    extra = {}
    if was_running:
        counts = job_counts(job=job, end=at)
        extra = {"good_count": counts["good"], "total_count": counts["total"], "reject_count": counts["reject"]}
    job = _transition(job, "cancel", (JobStatus.IN_PROGRESS,) if was_running else OPEN_STATUSES,
                      status=JobStatus.CANCELLED, cancelled_by=user, cancelled_at=at, cancel_reason=reason[:200],
                      **extra)
    JobEvent.objects.create(job=job, kind=JobEventKind.CANCELLED, at=at, user=user, detail={"reason": reason})
    if was_running:
        _context(job.line_id, at, job_ref="")
    _nudge(job.line_id)
    return job


def _context(line_id: int, at: dt.datetime, **context) -> None:
    """Operator context onto the OEE timeline of every active machine of the line."""
    from apps.oee.services import equipment_context_set

    for eq_id in Equipment.objects.filter(line_id=line_id, active=True).values_list("pk", flat=True):
        equipment_context_set(equipment_id=eq_id, at=at, **context)


# --- changeovers ----------------------------------------------------------------------------------------------

def changeover_target_for(*, line_id: int, from_product_id: int | None, to_product_id: int | None) -> int | None:
    if to_product_id is None:
        return None
    rows = list(ChangeoverTarget.objects.filter(line_id=line_id, to_product_id=to_product_id).filter(
        Q(from_product_id=from_product_id) | Q(from_product__isnull=True)))
    exact = next((r for r in rows if r.from_product_id is not None), None)
    row = exact or next(iter(rows), None)
    return row.target_s if row else None


def _last_product_id(line_id: int) -> int | None:
    last = (Job.objects.filter(line_id=line_id, started_at__isnull=False).order_by("-started_at")
            .values_list("schedule__product_id", flat=True).first())
    return last


def _incoming_job(line_id: int) -> Job | None:
    return (Job.objects.filter(line_id=line_id, status__in=(JobStatus.ACCEPTED, JobStatus.ASSIGNED))
            .select_related("schedule").order_by("schedule__planned_start").first())


@transaction.atomic
def changeover_start(*, line: Line, user=None, job: Job | None = None, at: dt.datetime | None = None,
                     source: str = ChangeoverSource.KIOSK) -> Changeover:
    """Start a changeover towards ``job`` (default: the next planned open job). The timeline shows
    ``changeover`` from now, carrying the incoming product and job reference (the time belongs to that run)."""
    at = at or timezone.now()
    Line.objects.select_for_update().filter(pk=line.pk).first()
    if Job.objects.filter(line=line, status=JobStatus.IN_PROGRESS).exists():
        raise JobTransitionError("Complete the running job before starting a changeover.")
    if Changeover.objects.filter(line=line, ended_at__isnull=True).exists():
        raise JobTransitionError("A changeover is already running on this line.")
    job = job or _incoming_job(line.pk)
    if job is not None and job.line_id != line.pk:
        raise JobTransitionError("That job is on another line.")
    to_product_id = job.schedule.product_id if job else None
    from_product_id = _last_product_id(line.pk)
    co = Changeover.objects.create(
        line=line, job=job, from_product_id=from_product_id, to_product_id=to_product_id, source=source,
        target_s=changeover_target_for(line_id=line.pk, from_product_id=from_product_id,
                                       to_product_id=to_product_id),
        started_at=at, started_by=user)
    ctx = {"changeover": True, "no_order": False}
    if job is not None:
        ctx.update(product_id=to_product_id, job_ref=job.ref)
    _context(line.pk, at, **ctx)
    _nudge(line.pk)
    return co


def _changeover_close(co: Changeover, *, user, at, job=None) -> Changeover:
    Changeover.objects.filter(pk=co.pk).update(ended_at=max(at, co.started_at), ended_by=user,
                                               job=job or co.job)
    co.refresh_from_db()
    return co


@transaction.atomic
def changeover_end(*, line: Line, user=None, at: dt.datetime | None = None) -> Changeover:
    """End the running changeover; the timeline leaves ``changeover``."""
    at = at or timezone.now()
    co = Changeover.objects.select_for_update().filter(line=line, ended_at__isnull=True).first()
    if co is None:
        raise JobTransitionError("No changeover is running on this line.")
    co = _changeover_close(co, user=user, at=at)
    _context(line.pk, at, changeover=False)
    _nudge(line.pk)
    return co


@transaction.atomic
def changeover_sync_plc(*, line: Line, at: dt.datetime | None = None) -> Changeover | None:
    """Follow the PLC mode signal: the OEE engine already shows mode 2 as ``changeover`` on the timeline; this
    records it as a Changeover (source plc) when the primary machine enters mode 2 and closes it when it leaves.
    Idempotent: call it after each ingest of the line (or periodically)."""
    from apps.oee.models import EquipmentRuntime

    at = at or timezone.now()
    eq = counting_equipment(line)
    rt = EquipmentRuntime.objects.filter(equipment=eq).first() if eq else None
    in_mode = bool(rt and rt.mode == 2 and rt.comms_ok)
    open_co = Changeover.objects.select_for_update().filter(line=line, ended_at__isnull=True).first()
    if in_mode and open_co is None:
        job = _incoming_job(line.pk)
        from_product_id = _last_product_id(line.pk)
        to_product_id = job.schedule.product_id if job else None
        co = Changeover.objects.create(
            line=line, job=job, from_product_id=from_product_id, to_product_id=to_product_id,
            target_s=changeover_target_for(line_id=line.pk, from_product_id=from_product_id,
                                           to_product_id=to_product_id),
            source=ChangeoverSource.PLC, started_at=rt.last_change_ts or at)
        if job is not None:
            _context(line.pk, at, product_id=to_product_id, job_ref=job.ref)
        _nudge(line.pk)
        return co
    if not in_mode and open_co is not None and open_co.source == ChangeoverSource.PLC:
        co = _changeover_close(open_co, user=None, at=(rt.last_change_ts if rt and rt.last_change_ts else at))
        _nudge(line.pk)
        return co
    return open_co
