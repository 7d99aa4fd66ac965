"""Thin Celery tasks over the jobs services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import IntegrityError

log = logging.getLogger(__name__)


@shared_task(name="jobs.changeover_sync", ignore_result=True)
def changeover_sync() -> int:
    """Every 15 s (apps/jobs/schedules.py): record PLC-signalled changeovers (mode 2 on a line's primary machine)
    and close them when the mode changes. Idempotent; a second beat by mistake loses the insert race on the
    one-open-changeover-per-line constraint and does nothing."""
    from apps.jobs.services import changeover_sync_plc
    from apps.lines.models import Line

    open_count = 0
    for line in Line.objects.filter(active=True).select_related("area__site"):
        try:
            co = changeover_sync_plc(line=line)
        except IntegrityError:
            log.info("jobs: changeover of line %s recorded by a concurrent run", line.code)
            continue
        open_count += int(co is not None and co.ended_at is None)
    return open_count
