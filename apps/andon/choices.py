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


class EventKind(models.TextChoices):
    """One row of a call's timeline (AndonCallEvent)."""

    RAISED = "raised", "Raised"
    REPEATED = "repeated", "Raised again"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    CANCELLED = "cancelled", "Cancelled"
    ESCALATED = "escalated", "Escalated"
    REMINDED = "reminded", "Reminder sent"
    NOTIFIED = "notified", "Notification sent"
    NOTIFY_FAILED = "notify_failed", "Notification failed"


class LadderKind(models.TextChoices):
    ACK = "ack", "Until acknowledged"
    RESOLVE = "resolve", "Until resolved"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app (live screens)"
    EMAIL = "email", "E-mail"
    WEBPUSH = "webpush", "Web Push"
    SMS = "sms", "SMS"
    WEBHOOK = "webhook", "Webhook"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed (gave up)"
    SKIPPED = "skipped", "Skipped (no address)"


# Kiosk categories every line gets by default (code, label, default priority, responder role).
DEFAULT_CATEGORIES = (
    ("maintenance", "Maintenance", CallPriority.HIGH, "maintenance"),
    ("quality", "Quality", CallPriority.MEDIUM, "quality"),
    ("material", "Material", CallPriority.MEDIUM, "shift_manager"),
    ("safety", "Safety", CallPriority.CRITICAL, "shift_manager"),
    ("help", "Help", CallPriority.LOW, "shift_manager"),
)

PRIORITY_RANK = {CallPriority.LOW: 0, CallPriority.MEDIUM: 1, CallPriority.HIGH: 2, CallPriority.CRITICAL: 3}
