"""Andon's periodic schedules (registered into ms5/schedules.py; synced by ``manage.py setup_periodic_tasks``)."""

from ms5.schedules import Schedule, register

ESCALATE_EVERY_S = 15

register(Schedule(
    name="andon.escalate_due", task="andon.escalate_due", every_s=ESCALATE_EVERY_S, expires_s=12,
    description="Raise long-stop calls, fire due escalation levels and reminders, send and retry notifications.",
))
