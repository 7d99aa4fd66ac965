"""Production schedules, the job assignment that runs each one, its history, and changeovers.

Only ``apps/jobs/services.py`` writes these rows. Lifecycle transitions are conditional UPDATEs on the current
status, so two operators tapping "accept" at the same moment cannot both win.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.jobs.choices import ChangeoverSource, JobEventKind, JobStatus
from apps.lines.models import Equipment, Line, Product


class ScheduleEntry(models.Model):
    """A planned production run on a line: product, quantity, planned start and end."""

    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="schedule_entries")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  help_text="Counting equipment; empty = the line's primary equipment.")
    quantity = models.PositiveIntegerField()
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    min_duration_s = models.FloatField(help_text="quantity × ideal cycle time at planning time.")
    too_short = models.BooleanField(default=False, help_text="Planned duration is shorter than min_duration_s.")
    notes = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["line", "planned_start"]
        verbose_name_plural = "schedule entries"
        indexes = [models.Index(fields=["line", "planned_start"])]
        constraints = [models.CheckConstraint(condition=models.Q(planned_end__gt=models.F("planned_start")),
                                              name="schedule_end_after_start")]

    def __str__(self) -> str:
        return f"{self.ref} {self.product.code} × {self.quantity}"

    @property
    def ref(self) -> str:
        return f"J{self.pk:05d}" if self.pk else "J?"

    @property
    def planned_duration_s(self) -> float:
        return (self.planned_end - self.planned_start).total_seconds()


class Job(models.Model):
    """The job that runs a schedule entry: assigned to an operator or a station (its kiosk user)."""

    schedule = models.OneToOneField(ScheduleEntry, on_delete=models.PROTECT, related_name="job")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="jobs")
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.ASSIGNED)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="assigned_jobs",
                                    help_text="An operator or a station's kiosk user; empty = anyone on the line.")
    assigned_at = models.DateTimeField()
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    time_to_accept_s = models.FloatField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    checklist_completion = models.ForeignKey("checklists.ChecklistCompletion", on_delete=models.PROTECT, null=True,
                                             blank=True, related_name="+",
                                             help_text="The passed checklist that opened the gate.")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    good_count = models.IntegerField(null=True, blank=True, help_text="Snapshotted at completion.")
    total_count = models.IntegerField(null=True, blank=True)
    reject_count = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["line", "schedule__planned_start"]
        indexes = [models.Index(fields=["line", "status"])]
        constraints = [models.UniqueConstraint(fields=["line"], condition=models.Q(status=JobStatus.IN_PROGRESS),
                                               name="one_running_job_per_line")]

    def __str__(self) -> str:
        return f"{self.ref} ({self.get_status_display()})"

    @property
    def ref(self) -> str:
        return f"J{self.schedule_id:05d}"


class JobEvent(models.Model):
    """History of a job: every transition and reassignment, who and when."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=JobEventKind.choices)
    at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["job", "at", "id"]


class ChangeoverTarget(models.Model):
    """Target duration of a changeover on a line from one product to another (from_product empty = from any)."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="changeover_targets")
    from_product = models.ForeignKey(Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    to_product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    target_s = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "from_product", "to_product"], name="changeover_target_unique"),
            models.UniqueConstraint(fields=["line", "to_product"], condition=models.Q(from_product__isnull=True),
                                    name="changeover_target_unique_any"),
        ]

    def __str__(self) -> str:
        src = self.from_product.code if self.from_product_id else "any"
        return f"{self.line.code}: {src} → {self.to_product.code} {self.target_s} s"


class Changeover(models.Model):
    """A changeover on a line, attributed to the incoming job (the run it prepares)."""

    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="changeovers")
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="changeovers",
                            help_text="The incoming job.")
    from_product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    target_s = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=ChangeoverSource.choices)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["line", "-started_at"]
        constraints = [models.UniqueConstraint(fields=["line"], condition=models.Q(ended_at__isnull=True),
                                               name="one_open_changeover_per_line")]

    def duration_s(self, now=None) -> float | None:
        end = self.ended_at or now
        return (end - self.started_at).total_seconds() if end else None

    def overrun_s(self, now=None) -> float | None:
        d = self.duration_s(now)
        if d is None or self.target_s is None:
            return None
        return max(0.0, d - self.target_s)
