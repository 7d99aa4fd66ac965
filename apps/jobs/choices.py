from django.db import models


class JobStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.IN_PROGRESS)


class ChangeoverSource(models.TextChoices):
    KIOSK = "kiosk", "Kiosk"
    PLC = "plc", "PLC mode signal"


class JobEventKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    REASSIGNED = "reassigned", "Reassigned"
    ACCEPTED = "accepted", "Accepted"
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
