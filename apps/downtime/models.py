"""Faults and downtime events (shared/OEE.md §4). Written only by apps/oee/ingest.py and apps/downtime/services.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.lines.models import DowntimeReason, Equipment, FaultCode


class FaultEvent(models.Model):
    """One fault bit raised (and later cleared) on one equipment. ``fault_code`` is null for bits not in the
    catalog; ``text`` and ``category`` are copied so history survives catalog edits."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="fault_events")
    fault_code = models.ForeignKey(FaultCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    bit = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=40, blank=True)
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["equipment", "raised_at"]
        indexes = [models.Index(fields=["equipment", "raised_at"]), models.Index(fields=["equipment", "cleared_at"])]

    def __str__(self) -> str:
        return f"{self.equipment_id} bit {self.bit} {self.raised_at:%Y-%m-%d %H:%M:%S}"


class DowntimeEvent(models.Model):
    """A maximal unplanned stop, or one part of it when it crosses a shift boundary.

    All parts of one occurrence share ``occurrence_start``; only the part that starts there has ``counted=True``
    (the occurrence counts once, in the shift where it started). ``end`` is null while the stop lasts.
    """

    class Source(models.TextChoices):
        NONE = "", "Uncoded"
        FAULT = "fault", "Fault catalog default"
        OPERATOR = "operator", "Operator"
        SUPERVISOR = "supervisor", "Supervisor"

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="downtime_events")
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    occurrence_start = models.DateTimeField()
    counted = models.BooleanField(default=True)
    reason = models.ForeignKey(DowntimeReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason_source = models.CharField(max_length=10, choices=Source.choices, blank=True, default="")
    fault_event = models.ForeignKey(FaultEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    shift_key = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["equipment", "start"]
        indexes = [models.Index(fields=["equipment", "start"]), models.Index(fields=["equipment", "occurrence_start"])]

    def __str__(self) -> str:
        return f"{self.equipment_id} stop {self.start:%Y-%m-%d %H:%M:%S}–{self.end or '…'}"

    @property
    def seconds(self) -> float | None:
        return (self.end - self.start).total_seconds() if self.end else None


class DowntimeEdit(models.Model):
    """Audit history of every code, re-code, split and merge: who, when, before, after."""

    class Action(models.TextChoices):
        CODE = "code", "Code"
        RECODE = "recode", "Re-code"
        SPLIT = "split", "Split"
        MERGE = "merge", "Merge"

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="+")
    event_id_ref = models.BigIntegerField(help_text="Id of the edited event (kept even if a merge deleted it).")
    action = models.CharField(max_length=10, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    at = models.DateTimeField()
    before = models.JSONField(default=list)
    after = models.JSONField(default=list)

    class Meta:
        ordering = ["at", "id"]
