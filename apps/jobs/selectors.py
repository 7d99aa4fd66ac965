"""Reads of jobs: progress from the OEE engine's counts (read only), kiosk and board contexts, summaries for
reports (``job_summaries``: the Reports app calls exactly this)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, Sum
from django.utils import timezone

from apps.jobs.choices import OPEN_STATUSES, JobStatus
from apps.jobs.models import Changeover, Job, ScheduleEntry
from apps.jobs.services import checklist_gate, counting_equipment


def counts_in_window(*, equipment_id: int, start: dt.datetime, end: dt.datetime) -> dict:
    """Total, reject and good counts the OEE engine recorded on one machine in [start, end)."""
    from apps.oee.models import CountDelta

    agg = CountDelta.objects.filter(equipment_id=equipment_id, ts__gte=start, ts__lt=end).aggregate(
        total=Sum("total"), reject=Sum("reject"))
    total, reject = agg["total"] or 0, agg["reject"] or 0
    return {"total": total, "reject": reject, "good": total - reject}


def job_counts(*, job: Job, end: dt.datetime | None = None) -> dict:
    """Counts of a job on its counting machine from its start to ``end`` (default: its end or now)."""
    if job.started_at is None:
        return {"total": 0, "reject": 0, "good": 0}
    if job.status in (JobStatus.COMPLETED, JobStatus.CANCELLED) and job.good_count is not None and end is None:
        return {"total": job.total_count, "reject": job.reject_count, "good": job.good_count}
    end = end or job.completed_at or job.cancelled_at or timezone.now()
    eq = counting_equipment(job.line, job.schedule)
    if eq is None:
        return {"total": 0, "reject": 0, "good": 0}
    # ``end`` inclusive of counts stamped exactly at the completion instant.
    return counts_in_window(equipment_id=eq.pk, start=job.started_at, end=end + dt.timedelta(microseconds=1))


def job_progress(*, job: Job, now: dt.datetime | None = None) -> dict:
    """Progress of a job: counts, percentage of the planned quantity, elapsed vs planned time, whether completion
    should be suggested (good count reached the target)."""
    now = now or timezone.now()
    counts = job_counts(job=job)
    quantity = job.schedule.quantity
    end = job.completed_at or job.cancelled_at or now
    elapsed = (end - job.started_at).total_seconds() if job.started_at else None
    return {
        **counts, "quantity": quantity, "percent": min(100, round(100 * counts["good"] / quantity)) if quantity else 0,
        "remaining": max(0, quantity - counts["good"]), "elapsed_s": elapsed,
        "planned_s": job.schedule.planned_duration_s,
        "suggest_complete": job.status == JobStatus.IN_PROGRESS and counts["good"] >= quantity,
    }


def _jobs():
    return Job.objects.select_related("schedule__product", "schedule__equipment", "line__area__site",
                                      "assigned_to", "accepted_by")


def kiosk_context(*, line, user, now: dt.datetime | None = None) -> dict:
    """"My jobs" for a kiosk: open jobs of the line assigned to this user or to nobody (and the running one, whoever
    has it), each with its next action, the gate state for accepted jobs, progress for the running one, and the
    open changeover with its overrun."""
    now = now or timezone.now()
    jobs = list(_jobs().filter(line=line, status__in=OPEN_STATUSES)
                .filter(Q(assigned_to=user) | Q(assigned_to__isnull=True) | Q(accepted_by=user)
                        | Q(status=JobStatus.IN_PROGRESS))
                .order_by("schedule__planned_start"))
    rows = []
    for job in jobs:
        row = {"job": job, "progress": None, "gate_ok": None, "gate_message": ""}
        if job.status == JobStatus.ACCEPTED:
            row["gate_ok"], row["gate_message"], _ = checklist_gate(job=job, at=now)
        if job.status == JobStatus.IN_PROGRESS:
            row["progress"] = job_progress(job=job, now=now)
        rows.append(row)
    changeover = (Changeover.objects.select_related("from_product", "to_product", "job__schedule")
                  .filter(line=line, ended_at__isnull=True).first())
    co = None
    if changeover is not None:
        co = {"obj": changeover, "elapsed_s": changeover.duration_s(now), "overrun_s": changeover.overrun_s(now)}
    return {"line": line, "rows": rows, "changeover": co, "now": now,
            "running": any(r["job"].status == JobStatus.IN_PROGRESS for r in rows)}


def board_context(*, line, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None) -> dict:
    """The manager's schedule board of one line: entries overlapping [start, end) with their job, progress and
    flags, plus statistics of the jobs finished in the window."""
    now = now or timezone.now()
    entries = list(ScheduleEntry.objects.select_related("product", "equipment", "job__assigned_to",
                                                        "job__accepted_by")
                   .filter(line=line, planned_start__lt=end, planned_end__gt=start).order_by("planned_start"))
    rows = []
    for entry in entries:
        job = entry.job
        job.schedule = entry
        job.line = line
        rows.append({"entry": entry, "job": job,
                     "progress": job_progress(job=job, now=now) if job.started_at else None})
    summaries = job_summaries(line_ids=[line.pk], start=start, end=end)
    return {"line": line, "rows": rows, "stats": job_statistics(summaries), "start": start, "end": end}


def job_statistics(summaries: list[dict]) -> dict:
    done = [s for s in summaries if s["status"] == JobStatus.COMPLETED]
    accepts = [s["time_to_accept_s"] for s in summaries if s["time_to_accept_s"] is not None]
    cos = [s for s in summaries if s["changeover_s"] is not None]

    def avg(values):
        values = [v for v in values if v is not None]
        return sum(values) / len(values) if values else None

    return {
        "jobs": len(summaries), "completed": len(done),
        "cancelled": sum(1 for s in summaries if s["status"] == JobStatus.CANCELLED),
        "avg_time_to_accept_s": avg(accepts),
        "avg_quantity_attainment": avg([s["quantity_attainment"] for s in done]),
        "avg_time_ratio": avg([s["time_ratio"] for s in done]),
        "changeovers": len(cos), "changeover_overruns": sum(1 for s in cos if (s["changeover_overrun_s"] or 0) > 0),
    }


def job_summaries(*, line_ids, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """One dict per job on these lines that was planned or ran in [start, end), ordered by planned start.

    Keys: job_id, ref, line_id, line_code, product_id, product_code, product_name, status, assigned_to, accepted_by,
    planned_quantity, planned_start, planned_end, planned_duration_s, too_short, started_at, ended_at
    (completed or cancelled), actual_duration_s, good, total, reject, quantity_attainment (good / planned),
    time_ratio (actual / planned duration), time_to_accept_s, changeover_s, changeover_target_s,
    changeover_overrun_s (changeovers attributed to this job as the incoming run), cancel_reason.
    """
    now = timezone.now()
    jobs = list(_jobs().filter(line_id__in=list(line_ids)).filter(
        Q(schedule__planned_start__lt=end, schedule__planned_end__gt=start)
        | Q(started_at__lt=end) & (Q(completed_at__gte=start) | Q(cancelled_at__gte=start)
                                   | Q(completed_at__isnull=True, cancelled_at__isnull=True)))
        .order_by("schedule__planned_start", "pk"))
    cos: dict[int, list[Changeover]] = {}
    for co in Changeover.objects.filter(job_id__in=[j.pk for j in jobs]):
        cos.setdefault(co.job_id, []).append(co)
    result = []
    shared_lines: dict[int, object] = {}
    for job in jobs:
        job.line = shared_lines.setdefault(job.line_id, job.line)
        s = job.schedule
        counts = job_counts(job=job) if job.started_at else {"total": None, "reject": None, "good": None}
        ended = job.completed_at or job.cancelled_at
        actual = (ended or now) - job.started_at if job.started_at else None
        actual_s = actual.total_seconds() if actual is not None else None
        job_cos = cos.get(job.pk, [])
        co_s = sum(c.duration_s(now) or 0 for c in job_cos) if job_cos else None
        targets = [c.target_s for c in job_cos if c.target_s is not None]
        co_target = sum(targets) if targets else None
        result.append({
            "job_id": job.pk, "ref": job.ref, "line_id": job.line_id, "line_code": job.line.code,
            "product_id": s.product_id, "product_code": s.product.code, "product_name": s.product.name,
            "status": job.status, "assigned_to": job.assigned_to.username if job.assigned_to_id else None,
            "accepted_by": job.accepted_by.username if job.accepted_by_id else None,
            "planned_quantity": s.quantity, "planned_start": s.planned_start, "planned_end": s.planned_end,
            "planned_duration_s": s.planned_duration_s, "too_short": s.too_short,
            "started_at": job.started_at, "ended_at": ended, "actual_duration_s": actual_s,
            "good": counts["good"], "total": counts["total"], "reject": counts["reject"],
            "quantity_attainment": (counts["good"] / s.quantity) if counts["good"] is not None else None,
            "time_ratio": (actual_s / s.planned_duration_s) if actual_s is not None else None,
            "time_to_accept_s": job.time_to_accept_s, "changeover_s": co_s, "changeover_target_s": co_target,
            "changeover_overrun_s": max(0.0, co_s - co_target) if co_s is not None and co_target is not None else None,
            "cancel_reason": job.cancel_reason,
        })
    return result


def line_operators(*, line) -> list:
    """Active people who may operate ``line`` (for the assign/reassign pickers), by name."""
    from django.contrib.auth import get_user_model

    from apps.accounts.access import can_access_line
    from apps.accounts.roles import ROLES

    roles = [role for role, spec in ROLES.items() if "operate_line" in spec.line]
    people = get_user_model().objects.filter(is_active=True, role__in=roles).order_by("username")
    return [u for u in people if can_access_line(u, line.pk, "lines.operate_line")]
