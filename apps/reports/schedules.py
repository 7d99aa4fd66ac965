"""The periodic tasks of reports, registered in the shared registry (ms5/schedules.py) and synced into
django-celery-beat by ``manage.py setup_periodic_tasks``."""

from ms5.schedules import Schedule, register

register(Schedule(
    name="reports.generate_due", task="reports.generate_due", crontab="*/5 * * * *", expires_s=240,
    description="Generate end-of-shift and daily reports that are due, e-mail them, retry failed ones. "
                "https://crontab.guru/#*/5_*_*_*_*",
))
register(Schedule(
    name="reports.purge_expired", task="reports.purge_expired", crontab="17 3 * * *", expires_s=3600,
    description="Delete report files older than MS5_REPORTS_RETENTION_DAYS. https://crontab.guru/#17_3_*_*_*",
))
