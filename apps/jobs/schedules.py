"""Jobs' periodic schedules (registered into ms5/schedules.py; synced by ``manage.py setup_periodic_tasks``)."""

from ms5.schedules import Schedule, register

register(Schedule(
    name="jobs.changeover_sync", task="jobs.changeover_sync", every_s=15, expires_s=12,
    description="Record changeovers signalled by the PLC (mode 2 on a line's primary machine) and close them.",
))
