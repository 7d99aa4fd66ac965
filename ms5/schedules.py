"""Periodic schedules, defined in code and synced into django-celery-beat by ``manage.py setup_periodic_tasks``.

Apps append to the registry from their own ``<app>/schedules.py`` (imported by ``sync``):

    from ms5.schedules import Schedule, register
    register(Schedule(name="oee.rollup_hour", task="oee.rollup_hour", crontab="5 * * * *", expires_s=3000))

Rules (shared/RUNTIME.md, Celery beat): explicit names; ``expires_s`` shorter than the period, so a backlog of
stale runs is dropped instead of piling up; the sync is ``update_or_create`` keyed on the name, so it is idempotent
and keeps an operator's enabled/disabled toggle from the admin. Exactly ONE beat process must run; the tasks are
written so that a second one by mistake does no harm (apps/andon/services.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every_s: int | None = None  # an interval…
    crontab: str | None = None  # …or "minute hour day_of_month month_of_year day_of_week" (https://crontab.guru)
    expires_s: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if (self.every_s is None) == (self.crontab is None):
            raise ValueError(f"schedule {self.name}: give exactly one of every_s or crontab")
        if self.every_s is not None and self.expires_s is not None and self.expires_s >= self.every_s:
            raise ValueError(f"schedule {self.name}: expires_s must be shorter than the period")


SCHEDULES: dict[str, Schedule] = {}


def register(schedule: Schedule) -> Schedule:
    SCHEDULES[schedule.name] = schedule
    return schedule


def sync() -> list[tuple[str, bool]]:
    """Create or update one PeriodicTask per registered schedule. Returns (name, created) pairs."""
    from django.db import transaction
    from django.utils.module_loading import autodiscover_modules
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    autodiscover_modules("schedules")
    done = []
    with transaction.atomic():
        for schedule in SCHEDULES.values():
            defaults = {"task": schedule.task, "expire_seconds": schedule.expires_s,
                        "description": schedule.description, "interval": None, "crontab": None}
            if schedule.every_s is not None:
                defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=schedule.every_s, period=IntervalSchedule.SECONDS)
            else:
                minute, hour, dom, month, dow = schedule.crontab.split()
                defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    minute=minute, hour=hour, day_of_month=dom, month_of_year=month, day_of_week=dow,
                    timezone="UTC")
            _, created = PeriodicTask.objects.update_or_create(
                name=schedule.name, defaults=defaults, create_defaults={**defaults, "enabled": True})
            done.append((schedule.name, created))
    return done
