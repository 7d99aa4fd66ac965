"""Read paths of downtime. Callers check line access first (apps/accounts/access.py: access_line_by_id)."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.downtime.models import DowntimeEdit, DowntimeEvent


def downtime_uncoded_queue(*, line_id: int) -> QuerySet[DowntimeEvent]:
    """Unplanned stops of a line still waiting for a reason, oldest first: one row per occurrence (its first part);
    coding it codes every part."""
    return (DowntimeEvent.objects.filter(equipment__line_id=line_id, reason__isnull=True, counted=True)
            .select_related("equipment").order_by("start"))


def downtime_list(*, line_id: int, start, end) -> QuerySet[DowntimeEvent]:
    """Event parts of a line overlapping [start, end)."""
    return (DowntimeEvent.objects.filter(equipment__line_id=line_id, start__lt=end)
            .exclude(end__isnull=False, end__lte=start)
            .select_related("equipment", "reason__category").order_by("start"))


def downtime_history(*, equipment_id: int) -> QuerySet[DowntimeEdit]:
    return DowntimeEdit.objects.filter(equipment_id=equipment_id).select_related("user").order_by("at", "id")
