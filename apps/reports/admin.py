"""Admin for reports: failed reports (status filter, error shown), the download log, templates, handover notes.
Generated reports, the access log and signed handovers are read-only here: only services write them."""

from __future__ import annotations

from django.contrib import admin

from apps.reports.models import GeneratedReport, HandoverNote, ReportAccess, ReportTemplate
from ms5.admin_mixins import ReadOnlyAdminMixin


@admin.register(ReportTemplate)
class ReportTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "line", "kind", "schedule", "page_size", "active", "updated_at")
    list_filter = ("kind", "schedule", "active", "line")
    search_fields = ("name", "line__code", "recipients")
    readonly_fields = ("created_by", "created_at", "updated_at")


class ReportAccessInline(admin.TabularInline):
    model = ReportAccess
    extra = 0
    can_delete = False
    readonly_fields = ("user", "fmt", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GeneratedReport)
class GeneratedReportAdmin(admin.ModelAdmin):
    list_display = ("title", "line", "kind", "status", "attempts", "requested_by", "created_at", "emailed_at",
                    "short_error")
    list_filter = ("status", "kind", "line", ("template", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "error", "line__code")
    date_hierarchy = "created_at"
    inlines = [ReportAccessInline]

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:120]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ReportAccess)
class ReportAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The download log is evidence: nobody edits or deletes it in the admin."""

    list_display = ("report", "user", "fmt", "at")
    list_filter = ("fmt",)
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(HandoverNote)
class HandoverNoteAdmin(admin.ModelAdmin):
    list_display = ("shift_key", "line", "production_date", "author", "signed_by", "signed_at")
    list_filter = ("line", "production_date")
    search_fields = ("shift_key", "open_issues", "risks", "notes")

    def get_readonly_fields(self, request, obj=None):
        # Handover notes are written on the handover page (services); the admin only reads them.
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
