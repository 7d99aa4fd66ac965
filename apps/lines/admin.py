"""Django admin for the plant model (docs/admin.md).

Kept thin: model forms run each model's validation (``full_clean``), and apps/lines/forms.py adds only the checks
across rows of one page (shift overlaps, one primary machine, duplicate codes, a new connection's driver).
"""

from __future__ import annotations

from django.contrib import admin

from apps.lines import forms, models


# ------------------------------------------------------------------------------------------------ inlines


class AreaInline(admin.TabularInline):
    model = models.Area
    extra = 0
    fields = ["code", "name"]
    show_change_link = True


class EquipmentInline(admin.TabularInline):
    model = models.Equipment
    formset = forms.EquipmentInlineFormSet
    extra = 0
    fields = ["position", "code", "name", "equipment_type", "criticality", "is_primary", "maintenance_interval_h",
              "active"]
    ordering = ["position"]
    show_change_link = True


class FaultCodeInline(admin.TabularInline):
    model = models.FaultCode
    extra = 0
    fields = ["bit", "code", "text", "category", "severity", "default_reason", "raises_andon", "andon_priority"]
    ordering = ["bit"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Offer only reasons from the equipment's own line (FaultCode.clean refuses the others anyway).
        reasons = models.DowntimeReason.objects.filter(line_id=obj.line_id if obj else None, active=True)
        formset.form.base_fields["default_reason"].queryset = reasons.select_related("category")
        return formset


class EquipmentTagInline(admin.TabularInline):
    """Tags of one machine; each row names its connection, whose driver decides what an address may look like."""

    model = models.TagMap
    form = forms.TagMapForm
    fk_name = "equipment"
    extra = 0
    fields = ["signal", "connection", "address", "data_type", "scale", "offset"]


class ConnectionTagInline(admin.TabularInline):
    """Tags read through one connection, validated against the driver chosen on the same page."""

    model = models.TagMap
    form = forms.TagMapForm
    fk_name = "connection"
    extra = 0
    fields = ["equipment", "signal", "address", "data_type", "scale", "offset"]
    autocomplete_fields = ["equipment"]


class IdealCycleTimeInline(admin.TabularInline):
    model = models.IdealCycleTime
    formset = forms.IdealCycleTimeInlineFormSet
    extra = 0
    fields = ["line", "equipment", "ideal_cycle_time_s"]
    autocomplete_fields = ["line", "equipment"]


class ShiftInline(admin.TabularInline):
    model = models.Shift
    form = forms.ShiftForm
    formset = forms.ShiftInlineFormSet
    extra = 0
    fields = ["code", "name", "start_time", "end_time", "weekdays"]
    show_change_link = True


class ShiftBreakInline(admin.TabularInline):
    model = models.ShiftBreak
    formset = forms.ShiftBreakInlineFormSet
    extra = 0
    fields = ["name", "start_time", "end_time"]


class DowntimeReasonInline(admin.TabularInline):
    model = models.DowntimeReason
    form = forms.DowntimeReasonInlineForm
    formset = forms.DowntimeReasonInlineFormSet
    fk_name = "category"
    extra = 0
    fields = ["code", "name", "active"]


# ------------------------------------------------------------------------------------------------ model admins


@admin.register(models.Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "time_zone"]
    search_fields = ["code", "name"]
    inlines = [AreaInline]


@admin.register(models.Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "site"]
    list_filter = ["site"]
    search_fields = ["code", "name"]
    list_select_related = ["site"]


@admin.register(models.Line)
class LineAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "area", "oee_policy", "target_oee", "checklist_required", "active"]
    list_filter = ["active", "oee_policy", "area__site", "area"]
    search_fields = ["code", "name"]
    list_select_related = ["area__site"]
    fieldsets = [
        (None, {"fields": ["area", "code", "name", "active"]}),
        ("OEE", {"fields": ["oee_policy", "target_availability", "target_performance", "target_quality",
                            "target_oee"],
                 "description": "Targets are fractions: 0.90 means 90 %."}),
        ("Floor rules", {"fields": ["checklist_required", "long_stop_andon_s"]}),
    ]
    inlines = [EquipmentInline]


@admin.register(models.Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "line", "position", "criticality", "is_primary", "maintenance_interval_h",
                    "active"]
    list_filter = ["line", "criticality", "is_primary", "active"]
    search_fields = ["code", "name", "equipment_type", "location"]
    list_select_related = ["line"]
    fieldsets = [
        (None, {"fields": ["line", "code", "name", "equipment_type", "position", "is_primary", "active"]}),
        ("Maintenance", {"fields": ["criticality", "maintenance_interval_h", "location", "department"]}),
        ("OEE", {"fields": ["small_stop_threshold_s"]}),
    ]
    inlines = [FaultCodeInline, EquipmentTagInline]


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "ideal_cycle_time_s", "target_speed_ppm", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    inlines = [IdealCycleTimeInline]


@admin.register(models.ShiftPattern)
class ShiftPatternAdmin(admin.ModelAdmin):
    list_display = ["name", "line"]
    list_filter = ["line__area__site"]
    search_fields = ["name", "line__code", "line__name"]
    list_select_related = ["line"]
    inlines = [ShiftInline]


@admin.register(models.Shift)
class ShiftAdmin(admin.ModelAdmin):
    form = forms.ShiftStandaloneForm
    list_display = ["code", "name", "pattern", "start_time", "end_time", "is_overnight"]
    list_filter = ["pattern__line"]
    search_fields = ["code", "name"]
    list_select_related = ["pattern__line"]
    inlines = [ShiftBreakInline]

    @admin.display(boolean=True, description="overnight")
    def is_overnight(self, obj):
        return obj.is_overnight


@admin.register(models.ReasonCategory)
class ReasonCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "line", "planned", "colour"]
    list_filter = ["line", "planned"]
    search_fields = ["code", "name"]
    list_select_related = ["line"]
    inlines = [DowntimeReasonInline]


@admin.register(models.DowntimeReason)
class DowntimeReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "line", "active"]
    list_filter = ["line", "category__planned", "active"]
    search_fields = ["code", "name"]
    list_select_related = ["line", "category"]


@admin.register(models.FaultCode)
class FaultCodeAdmin(admin.ModelAdmin):
    list_display = ["equipment", "bit", "code", "text", "severity", "raises_andon", "andon_priority",
                    "default_reason"]
    list_filter = ["equipment__line", "equipment", "severity", "raises_andon"]
    search_fields = ["code", "text", "equipment__code"]
    list_select_related = ["equipment", "default_reason"]
    autocomplete_fields = ["equipment", "default_reason"]


@admin.register(models.PlcConnection)
class PlcConnectionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "driver", "host", "port", "poll_interval_ms", "timeout_ms", "enabled"]
    list_filter = ["driver", "enabled"]
    search_fields = ["code", "name", "host"]
    inlines = [ConnectionTagInline]


@admin.register(models.TagMap)
class TagMapAdmin(admin.ModelAdmin):
    form = forms.TagMapForm
    list_display = ["equipment", "signal", "address", "data_type", "connection"]
    list_filter = ["connection__driver", "signal", "equipment__line"]
    search_fields = ["address", "equipment__code", "connection__code"]
    list_select_related = ["equipment", "connection"]
    autocomplete_fields = ["equipment", "connection"]
