"""Celery tasks of reports: thin, idempotent, explicitly named (django-celery-beat stores the names).

``reports.generate_due`` runs every few minutes (ms5/schedules.py). It asks the database which windows are due —
shift instances that ended, local days that ended — and claims each (template, window) under a unique constraint,
so two beats, a beat and a retry, or a re-run after a crash never generate one window twice. Failed reports are
retried by the following runs up to ``MAX_ATTEMPTS``; the error stays on the report (admin: filter by status)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

log = logging.getLogger(__name__)

LOOKBACK = dt.timedelta(days=2)  # windows that ended longer ago are not generated any more


def due_windows(template, *, now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The windows of a scheduled template that ended in (max(now − LOOKBACK, template created), now]."""
    from apps.oee.calendar import LineCalendar
    from apps.reports.choices import Schedule

    since = max(now - LOOKBACK, template.created_at)
    line = template.line
    if template.schedule == Schedule.SHIFT_END:
        cal = LineCalendar(line)
        return [(i.start, i.end) for i in cal.instances(since - dt.timedelta(days=1), now) if since < i.end <= now]
    if template.schedule == Schedule.DAILY:
        tz = line.area.site.tz
        out = []
        day = since.astimezone(tz).date() - dt.timedelta(days=1)
        while True:
            a = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
            b = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
            if b > now:
                break
            if b > since:
                out.append((a, b))
            day += dt.timedelta(days=1)
        return out
    return []


def generate_due(*, now: dt.datetime | None = None) -> dict:
    """Claim and generate every due scheduled report, then retry failed ones. Returns counts (for logs/tests)."""
    from apps.reports.models import GeneratedReport, ReportTemplate
    from apps.reports.choices import ReportStatus, Schedule
    from apps.reports.services import MAX_ATTEMPTS, report_claim_scheduled, report_run_scheduled

    now = now or timezone.now()
    stats = {"claimed": 0, "done": 0, "failed": 0, "retried": 0}
    handled: list[int] = []  # a report claimed in this run is retried by the next run, not straight away
    templates = ReportTemplate.objects.filter(active=True, line__active=True).exclude(
        schedule=Schedule.NONE).select_related("line__area__site")
    for template in templates:
        for start, end in due_windows(template, now=now):
            report = report_claim_scheduled(template=template, start=start, end=end)
            if report is None:
                continue
            stats["claimed"] += 1
            handled.append(report.pk)
            report = report_run_scheduled(report_id=report.pk)
            stats["done" if report.status == ReportStatus.DONE else "failed"] += 1
    retry = GeneratedReport.objects.filter(template__isnull=False, status__in=[ReportStatus.FAILED,
                                                                               ReportStatus.PENDING],
                                           attempts__lt=MAX_ATTEMPTS, created_at__gte=now - LOOKBACK
                                           ).exclude(pk__in=handled)
    for pk in retry.values_list("pk", flat=True):
        stats["retried"] += 1
        report_run_scheduled(report_id=pk)
    return stats


@shared_task(name="reports.generate_due", ignore_result=True)
def generate_due_task() -> None:
    stats = generate_due()
    if any(stats.values()):
        log.info("reports.generate_due: %s", stats)


@shared_task(name="reports.purge_expired", ignore_result=True)
def purge_expired_task() -> None:
    from apps.reports.services import reports_purge_expired

    purged = reports_purge_expired()
    if purged:
        log.info("reports.purge_expired: deleted %d files", purged)
