"""Jobs admin: changeover targets are configuration (edited here); schedules, jobs and changeovers are written
only by the services (schedule board and kiosk), so they are view-only here."""

from __future__ import annotations

from django.contrib import admin

from apps.jobs.models import Changeover, ChangeoverTarget, Job, JobEvent, ScheduleEntry
from ms5.admin_mixins import ReadOnlyAdminMixin


@admin.register(ChangeoverTarget)
class ChangeoverTargetAdmin(admin.ModelAdmin):
    list_display = ["line", "from_product", "to_product", "target_s"]
    list_filter = ["line"]


class _ViewOnly(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class JobEventInline(admin.TabularInline):
    model = JobEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "user", "detail"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScheduleEntry)
class ScheduleEntryAdmin(_ViewOnly):
    list_display = ["__str__", "line", "planned_start", "planned_end", "too_short"]
    list_filter = ["line", "too_short"]


@admin.register(Job)
class JobAdmin(_ViewOnly):
    list_display = ["ref", "line", "status", "assigned_to", "accepted_by", "started_at", "completed_at",
                    "good_count"]
    list_filter = ["status", "line"]
    inlines = [JobEventInline]


@admin.register(Changeover)
class ChangeoverAdmin(_ViewOnly):
    list_display = ["line", "from_product", "to_product", "job", "source", "started_at", "ended_at", "target_s"]
    list_filter = ["line", "source"]
