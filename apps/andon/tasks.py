"""Thin Celery tasks over the Andon services. Safe to run twice at once (two beats by mistake, retries): every
step is claimed in the database (apps/andon/services.py)."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.andon import services

log = logging.getLogger(__name__)


@shared_task(name="andon.escalate_due", ignore_result=True)
def escalate_due() -> dict:
    """Every 15 s (apps/andon/schedules.py): heartbeat, long stops, due levels and reminders, then hand each
    notification that is due to its own delivery task, so a slow channel never delays another."""
    services.beat_heartbeat(name="andon.escalate_due")
    try:
        services.andon_raise_long_stops()
    except Exception:  # long stops are one input among three; escalation must still run
        log.exception("andon: raising long-stop calls failed")
    result = services.andon_escalate_due()
    ids = list(dict.fromkeys(result.notification_ids + services.andon_notifications_due()))
    for notification_id in ids:
        deliver_notification.apply_async(args=[notification_id], expires=300)
    return {"levels": len(result.levels_fired), "deliveries": len(ids)}


@shared_task(name="andon.deliver_notification", ignore_result=True)
def deliver_notification(notification_id: int) -> str | None:
    """Send one recorded notification if still due; a duplicate delivery task finds it claimed and does nothing."""
    return services.andon_notification_deliver(notification_id=notification_id)
