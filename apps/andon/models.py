"""Andon calls, their timeline, escalation ladders, notifications and the beat heartbeat.

Escalation state lives on the call (``ack_level`` / ``resolve_level`` / ``reminders_sent``: how many levels of each
ladder have been claimed). A level is claimed by a compare-and-set UPDATE, and every notification is recorded under
a unique (call, level, channel, recipient) key before it is sent: see docs/andon.md, "Exactly once".
"""

from __future__ import annotations

from django.db import models

from django.conf import settings

from apps.andon.choices import (
    LIVE_STATUSES, CallPriority, CallSource, CallStatus, Channel, EventKind, LadderKind, NotificationStatus,
)


class AndonCall(models.Model):
    """A request for help on a line. At most one live (open or acknowledged) call exists per equipment and
    ``dedupe_key`` (e.g. ``fault:<fault_code_id>``): a repeat of the same reason updates it instead of
    duplicating it, enforced by a partial unique constraint so two workers cannot race past it."""

    line = models.ForeignKey("lines.Line", on_delete=models.PROTECT, related_name="andon_calls")
    equipment = models.ForeignKey("lines.Equipment", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="andon_calls")
    source = models.CharField(max_length=10, choices=CallSource.choices)
    category = models.CharField(max_length=40, blank=True)
    priority = models.CharField(max_length=10, choices=CallPriority.choices, default=CallPriority.MEDIUM)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=CallStatus.choices, default=CallStatus.OPEN)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(help_text="When the reason was last raised again (repeats update this).")
    repeat_count = models.PositiveIntegerField(default=0)
    dedupe_key = models.CharField(max_length=80)
    fault_code = models.ForeignKey("lines.FaultCode", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    # --- added by the Andon issue (0002) ---
    description = models.TextField(blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    shift_code = models.CharField(max_length=20, blank=True, help_text="Shift running when the call was opened.")
    shift_key = models.CharField(max_length=60, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    resolution_notes = models.TextField(blank=True)
    root_cause = models.CharField(max_length=200, blank=True)
    ack_level = models.PositiveSmallIntegerField(default=0, help_text="Acknowledge-ladder levels claimed so far.")
    resolve_level = models.PositiveSmallIntegerField(default=0, help_text="Resolve-ladder levels claimed so far.")
    reminders_sent = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["equipment", "dedupe_key"],
                condition=models.Q(status__in=[s.value for s in LIVE_STATUSES]),
                name="andon_one_live_call_per_equipment_reason",
            ),
        ]
        indexes = [models.Index(fields=["line", "status"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class AndonCategory(models.Model):
    """A kiosk button of one line (maintenance, quality, material, safety, help…)."""

    line = models.ForeignKey("lines.Line", on_delete=models.CASCADE, related_name="andon_categories")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=60)
    default_priority = models.CharField(max_length=10, choices=CallPriority.choices, default=CallPriority.MEDIUM)
    responder_role = models.CharField(max_length=24, blank=True,
                                      help_text="Role notified first (with whoever is on shift), e.g. maintenance.")
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["line", "position", "code"]
        verbose_name_plural = "Andon categories"
        constraints = [models.UniqueConstraint(fields=["line", "code"], name="andon_category_unique_per_line")]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.label}"


class AndonCallEvent(models.Model):
    """The call's timeline: every action, by whom (null = the system) and when. Append-only."""

    call = models.ForeignKey(AndonCall, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.call_id} {self.kind} {self.at:%H:%M:%S}"


class EscalationRule(models.Model):
    """A ladder for calls of a line × priority × category; blank priority/category (or no line) match any.
    The most specific matching active rule applies (docs/andon.md, "Ladders")."""

    line = models.ForeignKey("lines.Line", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="andon_rules")
    priority = models.CharField(max_length=10, choices=CallPriority.choices, blank=True)
    category = models.CharField(max_length=40, blank=True)
    remind_every_s = models.PositiveIntegerField(
        default=120, help_text="Remind the notified people of an unacknowledged call this often (0 = never).")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "priority", "category"],
                                               name="andon_rule_unique_scope")]

    def __str__(self) -> str:
        return f"Ladder line={self.line_id or 'any'} priority={self.priority or 'any'} category={self.category or 'any'}"


class EscalationLevel(models.Model):
    """One rung. An ``ack`` level fires ``after_s`` seconds after opening while the call is unacknowledged; a
    ``resolve`` level fires ``after_s`` seconds after opening while it is unresolved (acknowledged or not)."""

    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="levels")
    kind = models.CharField(max_length=8, choices=LadderKind.choices, default=LadderKind.ACK)
    number = models.PositiveSmallIntegerField(help_text="1, 2, 3… within the rule and kind, fired in order.")
    after_s = models.PositiveIntegerField(help_text="Seconds after the call was opened.")
    roles = models.JSONField(default=list, blank=True, help_text='Roles to notify, e.g. ["shift_manager"].')
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    on_shift = models.BooleanField(default=False, help_text="Also notify whoever is on the current shift.")
    responder_role = models.BooleanField(default=False, help_text="Also notify the category's responder role.")
    channels = models.JSONField(default=list, help_text='Channels, e.g. ["in_app", "email", "webpush"].')

    class Meta:
        ordering = ["rule", "kind", "number"]
        constraints = [models.UniqueConstraint(fields=["rule", "kind", "number"], name="andon_level_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} level {self.number} after {self.after_s}s"


class AndonNotification(models.Model):
    """One message to one recipient on one channel for one level, recorded BEFORE it is sent. The unique key
    makes a second beat, worker or retry find the row and send nothing."""

    call = models.ForeignKey(AndonCall, on_delete=models.CASCADE, related_name="notifications")
    level_key = models.CharField(max_length=24, help_text='"ack:2", "resolve:1", "remind:3", "manual:2"…')
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=40, help_text='"user:7", "push:3", "webhook:1" or "line:2".')
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    status = models.CharField(max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["call", "level_key", "channel", "recipient"],
                                               name="andon_notification_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.call_id} {self.level_key} {self.channel} → {self.recipient} ({self.status})"


class NotificationPreference(models.Model):
    """A user's own choice of channels; absent row = every channel on (SMS only with a phone number)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="andon_prefs")
    email = models.BooleanField(default=True)
    webpush = models.BooleanField(default=True)
    sms = models.BooleanField(default=True)
    min_priority = models.CharField(max_length=10, choices=CallPriority.choices, default=CallPriority.LOW,
                                    help_text="No e-mail, push or SMS for calls below this priority.")

    def __str__(self) -> str:
        return f"Andon preferences of {self.user_id}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (endpoint and keys from PushManager.subscribe)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"push {self.pk} of {self.user_id}"


class Webhook(models.Model):
    """An outbound webhook: a JSON POST signed with HMAC-SHA256 of the body (header X-MS5-Signature)."""

    name = models.CharField(max_length=80)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, blank=True)
    line = models.ForeignKey("lines.Line", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             help_text="Only calls of this line (blank = every line).")
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class VapidKey(models.Model):
    """The server's VAPID key pair for Web Push, generated once on first use and kept in the database."""

    private_pem = models.TextField()
    public_key = models.CharField(max_length=120, help_text="Uncompressed P-256 point, base64url (browser side).")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"VAPID key {self.pk}"


class BeatHeartbeat(models.Model):
    """Written by every run of a periodic task; /healthz and the admin warn when it gets old."""

    name = models.CharField(max_length=60, primary_key=True)
    last_run_at = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_run_at:%Y-%m-%d %H:%M:%S}"
