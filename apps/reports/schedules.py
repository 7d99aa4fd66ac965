"""The periodic tasks of reports, in the shared registry format of ms5/schedules.py:
name → (task name, schedule, expires in seconds). ``expires`` is shorter than the period, so a backlog of missed
beats is dropped instead of piling up (shared/STYLE.md §1.2.14)."""

from celery.schedules import crontab

REPORT_SCHEDULES = {
    # every 5 minutes: generate end-of-shift and daily reports that are due, retry failed ones
    # https://crontab.guru/#*/5_*_*_*_*
    "reports.generate_due": ("reports.generate_due", crontab(minute="*/5"), 240),
    # daily at 03:17 UTC: delete report files older than MS5_REPORTS_RETENTION_DAYS
    # https://crontab.guru/#17_3_*_*_*
    "reports.purge_expired": ("reports.purge_expired", crontab(minute=17, hour=3), 3600),
}
