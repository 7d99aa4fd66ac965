"""Andon configuration in the admin: ladders (with their levels inline), kiosk categories, webhooks; calls and
notifications read-only (they change only through apps/andon/services.py); the beat heartbeat with its age."""

from django.conf import settings
from django.contrib import admin
from django.utils import timezone

from apps.andon import models
from ms5.admin_mixins import ReadOnlyAdminMixin


class LevelInline(admin.TabularInline):
    model = models.EscalationLevel
    extra = 0
    filter_horizontal = ("users",)


@admin.register(models.EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "line", "priority", "category", "remind_every_s", "active")
    list_filter = ("active", "priority", "line")
    inlines = [LevelInline]


@admin.register(models.AndonCategory)
class AndonCategoryAdmin(admin.ModelAdmin):
    list_display = ("label", "code", "line", "default_priority", "responder_role", "position", "active")
    list_filter = ("line", "active")


@admin.register(models.Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "line", "active")


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class EventInline(admin.TabularInline):
    model = models.AndonCallEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "user", "level", "detail")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.AndonCall)
class AndonCallAdmin(ReadOnlyAdmin):
    list_display = ("title", "line", "priority", "status", "opened_at", "ack_level", "resolve_level")
    list_filter = ("status", "priority", "source", "line")
    date_hierarchy = "opened_at"
    inlines = [EventInline]


@admin.register(models.AndonNotification)
class AndonNotificationAdmin(ReadOnlyAdmin):
    list_display = ("call", "level_key", "channel", "recipient", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status", "channel")


@admin.register(models.BeatHeartbeat)
class BeatHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_run_at", "runs", "age")

    @admin.display(description="age (a warning when beat has stopped)")
    def age(self, obj):
        seconds = (timezone.now() - obj.last_run_at).total_seconds()
        late = seconds > settings.BEAT_HEARTBEAT_MAX_AGE_S
        return f"{seconds:.0f} s{' — BEAT OR WORKER STOPPED' if late else ''}"


admin.site.register(models.PushSubscription, ReadOnlyAdmin)
