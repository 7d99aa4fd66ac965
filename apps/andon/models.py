"""Andon calls. For now the minimal model the PLC worker's fault hand-off needs; the Andon issue builds the rest
(escalation ladders, notifications, kiosk buttons) on top of it."""

from __future__ import annotations

from django.db import models

from apps.andon.choices import LIVE_STATUSES, CallPriority, CallSource, CallStatus


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
