"""Scheduled reports: reports.generate_due claims each (template, window) once, e-mails it once, records failures
and retries them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from apps.reports import services
from apps.reports.models import GeneratedReport, ReportTemplate
from apps.reports.tasks import due_windows, generate_due
from tests.factories.reports import ReportTemplateFactory, berlin_plant, feed_early_shift

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def _template(line, **kw) -> ReportTemplate:
    t = ReportTemplateFactory(line=line, **kw)
    # a template made "long ago", so the windows of the test's past are due
    ReportTemplate.objects.filter(pk=t.pk).update(created_at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    t.refresh_from_db()
    return t


def test_end_of_shift_reports_are_generated_once_and_mailed(supervisor):
    line, eq, p1, _ = berlin_plant()
    start, end = feed_early_shift(eq, p1)
    t = _template(line, schedule="shift_end", sections=["oee", "quality"], recipients="lead@example.com")
    now = end + dt.timedelta(minutes=3)
    stats = generate_due(now=now)
    # shifts that ended in the lookback: the early shift, and the late and night shifts of the day before
    windows = due_windows(t, now=now)
    assert (start, end) in windows and all(b <= now for _, b in windows)
    assert stats["claimed"] == len(windows) and stats["done"] == len(windows) and stats["failed"] == 0
    report = GeneratedReport.objects.get(template=t, window_start=start, window_end=end)
    assert report.status == "done" and report.requested_by is None and report.emailed_at is not None
    assert len(mail.outbox) == len(windows)
    msg = next(m for m in mail.outbox if report.title in m.subject)
    assert msg.to == ["lead@example.com"]
    assert {a[2] for a in msg.attachments} == {"application/pdf", "application/zip"}
    # a second beat (or a second beat process) finds nothing new to do
    again = generate_due(now=now + dt.timedelta(minutes=5))
    assert again == {"claimed": 0, "done": 0, "failed": 0, "retried": 0}
    assert GeneratedReport.objects.filter(template=t).count() == len(windows)
    assert len(mail.outbox) == len(windows)


def test_the_unique_window_key_refuses_a_duplicate(supervisor):
    line, *_ = berlin_plant()
    t = _template(line, schedule="shift_end")
    a = dt.datetime(2026, 3, 2, 5, tzinfo=UTC)
    first = services.report_claim_scheduled(template=t, start=a, end=a + dt.timedelta(hours=8))
    assert first is not None
    assert services.report_claim_scheduled(template=t, start=a, end=a + dt.timedelta(hours=8)) is None
    with pytest.raises(IntegrityError), transaction.atomic():
        GeneratedReport.objects.create(template=t, line=line, kind="shift", title="dup", window_start=a,
                                       window_end=a + dt.timedelta(hours=8), created_at=a)


def test_a_failure_is_visible_and_retried(supervisor, monkeypatch):
    line, eq, p1, _ = berlin_plant()
    start, end = feed_early_shift(eq, p1)
    t = _template(line, schedule="shift_end", sections=["oee"], recipients="lead@example.com")
    from apps.reports import render

    real = render.render_pdf
    calls = {"n": 0}

    def flaky(*a, **k):
        calls["n"] += 1
        raise OSError("disk full")

    monkeypatch.setattr(render, "render_pdf", flaky)
    now = end + dt.timedelta(minutes=1)
    stats = generate_due(now=now)
    assert stats["failed"] >= 1 and stats["done"] == 0
    report = GeneratedReport.objects.get(template=t, window_start=start)
    assert report.status == "failed" and "disk full" in report.error and report.attempts == 1
    assert GeneratedReport.objects.filter(status="failed").count() == stats["failed"]  # what the admin filter shows
    assert mail.outbox == []
    monkeypatch.setattr(render, "render_pdf", real)
    stats = generate_due(now=now + dt.timedelta(minutes=5))
    assert stats["claimed"] == 0 and stats["retried"] >= 1
    report.refresh_from_db()
    assert report.status == "done" and report.error == "" and report.attempts == 2
    assert any(report.title in m.subject for m in mail.outbox)


def test_retries_stop_after_the_limit(supervisor, monkeypatch):
    line, *_ = berlin_plant()
    t = _template(line, schedule="daily", sections=["oee"])
    monkeypatch.setattr("apps.reports.render.render_pdf", lambda *a, **k: (_ for _ in ()).throw(OSError("nope")))
    now = dt.datetime(2026, 3, 3, 0, 10, tzinfo=BERLIN).astimezone(UTC)
    for i in range(services.MAX_ATTEMPTS + 2):
        generate_due(now=now + dt.timedelta(minutes=5 * i))
    attempts = set(GeneratedReport.objects.filter(template=t).values_list("attempts", flat=True))
    assert attempts == {services.MAX_ATTEMPTS}


def test_mail_failure_fails_the_report_and_is_resent_later(supervisor, monkeypatch):
    line, eq, p1, _ = berlin_plant()
    start, end = feed_early_shift(eq, p1)
    t = _template(line, schedule="shift_end", sections=["oee"], recipients="lead@example.com")
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send
    monkeypatch.setattr(EmailMessage, "send", lambda self, fail_silently=False: (_ for _ in ()).throw(
        ConnectionRefusedError("smtp down")))
    generate_due(now=end + dt.timedelta(minutes=1))
    report = GeneratedReport.objects.get(template=t, window_start=start)
    assert report.status == "failed" and "smtp down" in report.error and report.emailed_at is None
    monkeypatch.setattr(EmailMessage, "send", real_send)
    generate_due(now=end + dt.timedelta(minutes=6))
    report.refresh_from_db()
    assert report.status == "done" and report.emailed_at is not None
    assert sum(report.title in m.subject for m in mail.outbox) == 1


@pytest.mark.parametrize("day,hours", [(dt.date(2026, 3, 29), 23), (dt.date(2026, 10, 25), 25),
                                       (dt.date(2026, 3, 2), 24)])
def test_daily_windows_are_local_days(day, hours):
    line, *_ = berlin_plant()
    t = _template(line, schedule="daily")
    midnight_after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=BERLIN)
    windows = due_windows(t, now=midnight_after.astimezone(UTC) + dt.timedelta(minutes=1))
    a, b = windows[-1]
    assert b == midnight_after and a == dt.datetime.combine(day, dt.time(0), tzinfo=BERLIN)
    assert (b - a) == dt.timedelta(hours=hours)


def test_no_retroactive_windows_before_the_template_existed():
    line, *_ = berlin_plant()
    t = ReportTemplateFactory(line=line, schedule="shift_end")
    ReportTemplate.objects.filter(pk=t.pk).update(created_at=dt.datetime(2026, 3, 2, 12, tzinfo=UTC))
    t.refresh_from_db()
    windows = due_windows(t, now=dt.datetime(2026, 3, 2, 21, 5, tzinfo=UTC))
    assert [(a.hour, b.hour) for a, b in windows] == [(5, 13), (13, 21)]
    assert due_windows(ReportTemplateFactory(line=line, schedule="none"), now=dt.datetime(2026, 3, 3, tzinfo=UTC)) \
        == []


def test_tasks_are_registered_and_synced_into_beat():
    from celery import current_app
    from django_celery_beat.models import PeriodicTask

    import apps.reports.tasks  # noqa: F401
    from ms5 import schedules

    schedules.sync()
    for name in ("reports.generate_due", "reports.purge_expired"):
        entry = schedules.SCHEDULES[name]
        assert entry.task in current_app.tasks, entry.task
        task = PeriodicTask.objects.get(name=name)
        assert task.task == entry.task and task.enabled and task.expire_seconds == entry.expires_s
    due = PeriodicTask.objects.get(name="reports.generate_due")
    assert due.crontab.minute == "*/5" and due.expire_seconds < 300  # expires before the next run
