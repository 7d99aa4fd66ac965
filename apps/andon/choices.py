from django.db import models


class CallSource(models.TextChoices):
    FAULT = "fault", "PLC fault"
    MANUAL = "manual", "Raised by hand"
    LONG_STOP = "long_stop", "Long stop"


class CallPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class CallStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    CANCELLED = "cancelled", "Cancelled"


# A call in one of these states is "live": at most one per equipment and dedupe key.
LIVE_STATUSES = (CallStatus.OPEN, CallStatus.ACKNOWLEDGED)
