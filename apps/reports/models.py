"""Reports: templates (sections and parameters), every generated report with its files and who/when/parameters,
the download access log, and shift handover notes. Written only by apps/reports/services.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.reports.choices import PageSize, ReportKind, ReportStatus, Schedule


class ReportTemplate(models.Model):
    """What a report contains (``sections``) and how it is produced (page size, schedule, recipients), per line.

    Managers edit templates; a scheduled template produces one report per window (shift or local day), never two:
    see ``GeneratedReport``'s unique (template, window) constraint."""

    line = models.ForeignKey("lines.Line", on_delete=models.CASCADE, related_name="report_templates")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ReportKind.choices, default=ReportKind.SHIFT)
    sections = models.JSONField(default=list, blank=True, help_text="Section keys, in order; empty = the kind's "
                                "default sections.")
    page_size = models.CharField(max_length=10, choices=PageSize.choices, default=PageSize.A4)
    schedule = models.CharField(max_length=12, choices=Schedule.choices, default=Schedule.NONE)
    recipients = models.TextField(blank=True, help_text="E-mail addresses, one per line or comma-separated.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, help_text="Scheduled windows ending before this are "
                                      "not generated retroactively.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["line", "name"]
        constraints = [models.UniqueConstraint(fields=["line", "name"], name="reports_template_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def recipient_list(self) -> list[str]:
        return [a.strip() for a in self.recipients.replace(",", "\n").splitlines() if a.strip()]


class GeneratedReport(models.Model):
    """One generated report: the window, the parameters it was generated with, who asked (null = the scheduler),
    its PDF and CSV (zip) under MEDIA_ROOT, and its status. A failed scheduled report is retried by
    ``reports.generate_due`` until ``attempts`` reaches the limit; its error stays visible in the admin."""

    template = models.ForeignKey(ReportTemplate, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="reports")
    line = models.ForeignKey("lines.Line", on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    title = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    parameters = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    pdf = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    csv_zip = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True, help_text="When retention deleted the files.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two beat processes (or a retry racing a beat) never generate one scheduled window twice.
            models.UniqueConstraint(fields=["template", "window_start", "window_end"],
                                    condition=models.Q(template__isnull=False), name="reports_one_per_window"),
        ]
        indexes = [models.Index(fields=["line", "created_at"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.title} [{self.get_status_display()}]"


class ReportAccess(models.Model):
    """The download access log: who fetched which file of which report, when."""

    report = models.ForeignKey(GeneratedReport, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    fmt = models.CharField(max_length=8)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]


class HandoverNote(models.Model):
    """The shift manager's handover for one shift instance of one line: open issues, risks for the next shift and
    free notes. Editable until signed off; immutable afterwards (services refuse, the admin is read-only)."""

    line = models.ForeignKey("lines.Line", on_delete=models.CASCADE, related_name="handover_notes")
    shift_key = models.CharField(max_length=60, help_text="ShiftInstance.key, e.g. 3:N:2026-03-28.")
    shift_code = models.CharField(max_length=20)
    production_date = models.DateField()
    shift_start = models.DateTimeField()
    shift_end = models.DateTimeField()
    open_issues = models.TextField(blank=True)
    risks = models.TextField(blank=True, help_text="Risks for the next shift.")
    notes = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shift_start"]
        constraints = [models.UniqueConstraint(fields=["line", "shift_key"], name="reports_one_handover_per_shift")]

    def __str__(self) -> str:
        return f"Handover {self.shift_key}"

    @property
    def signed(self) -> bool:
        return self.signed_at is not None
