"""Downtime events: created by the OEE engine from unplanned stops, coded by operators, edited by supervisors.

Every write recomputes the hourly rollups the edit touches, so every screen shows the edited figures.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.downtime.models import DowntimeEdit, DowntimeEvent, FaultEvent
from apps.lines.models import DowntimeReason, Equipment


def _snapshot(event: DowntimeEvent) -> dict:
    return {"id": event.pk, "start": event.start.isoformat(), "end": event.end.isoformat() if event.end else None,
            "occurrence_start": event.occurrence_start.isoformat(), "counted": event.counted,
            "reason": event.reason.code if event.reason_id else None, "reason_source": event.reason_source}


def _refresh_rollups(equipment: Equipment, start: dt.datetime, end: dt.datetime | None) -> None:
    from apps.oee.rollups import rollup_refresh_range

    rollup_refresh_range(equipment=equipment, start=start, end=end or timezone.now())


def _default_reason(equipment: Equipment, stop_start: dt.datetime, stop_end: dt.datetime | None):
    """The catalog default reason of the first fault active at the stop's start or raised during the stop."""
    faults = FaultEvent.objects.filter(equipment=equipment, fault_code__default_reason__isnull=False).filter(
        Q(cleared_at__isnull=True) | Q(cleared_at__gte=stop_start))
    if stop_end is not None:
        faults = faults.filter(raised_at__lte=stop_end)
    fault = faults.select_related("fault_code").order_by("raised_at").first()
    if fault is None:
        return None, None
    return fault.fault_code.default_reason_id, fault


@transaction.atomic
def downtime_stop_sync(*, equipment: Equipment, stop_start: dt.datetime, stop_end: dt.datetime | None,
                       observed_at: dt.datetime | None = None) -> int:
    """Make the downtime event parts of the unplanned stop starting at ``stop_start`` match the stop.

    Called by the ingest engine when an open stop passes the small-stop threshold (one open part) and when the
    stop ends. Parts cover only scheduled time (breaks are planned stops, time outside shifts is not scheduled)
    and are split at every shift boundary and break; the reason, whatever its source, is kept on all parts and
    only the first part counts as the occurrence.
    """
    parts = list(DowntimeEvent.objects.filter(equipment=equipment, occurrence_start=stop_start).order_by("start"))
    if parts:
        reason_id, source, fault = parts[0].reason_id, parts[0].reason_source, parts[0].fault_event
    else:
        reason_id, fault = _default_reason(equipment, stop_start, stop_end)
        source = DowntimeEvent.Source.FAULT if reason_id else DowntimeEvent.Source.NONE
    from apps.oee.calendar import LineCalendar

    until = stop_end or observed_at or stop_start
    ranges = LineCalendar(equipment.line).scheduled_ranges(stop_start, until) if until > stop_start else []
    if not ranges:
        # A stop entirely inside breaks or outside shifts is planned / not scheduled time: no downtime event.
        DowntimeEvent.objects.filter(pk__in=[p.pk for p in parts]).delete()
        return 0
    if stop_end is None:
        if not parts:
            DowntimeEvent.objects.create(equipment=equipment, start=ranges[0][0], end=None,
                                         occurrence_start=stop_start, counted=True, reason_id=reason_id,
                                         reason_source=source, fault_event=fault, shift_key=ranges[0][2])
        return max(len(parts), 1)
    DowntimeEvent.objects.filter(pk__in=[p.pk for p in parts]).delete()
    DowntimeEvent.objects.bulk_create([
        DowntimeEvent(equipment=equipment, start=a, end=b, occurrence_start=stop_start, counted=(i == 0),
                      reason_id=reason_id, reason_source=source, fault_event=fault, shift_key=key)
        for i, (a, b, key) in enumerate(ranges)
    ])
    return len(ranges)


def downtime_stop_discard(*, equipment: Equipment, stop_start: dt.datetime) -> None:
    """Forget the events of a stop that turned out to be something else at the same instant."""
    DowntimeEvent.objects.filter(equipment=equipment, occurrence_start=stop_start).delete()


def _reason_for(event: DowntimeEvent, reason_id: int) -> DowntimeReason:
    try:
        return DowntimeReason.objects.get(pk=reason_id, line_id=event.equipment.line_id, active=True)
    except DowntimeReason.DoesNotExist:
        raise ValidationError("This reason is not in this line's reason tree.") from None


@transaction.atomic
def downtime_event_code(*, event_id: int, reason_id: int, user, supervisor: bool = False) -> list[DowntimeEvent]:
    """Give (or change) the reason of a stop. It applies from the stop's start: every part of the occurrence.

    Operators code while the stop runs or after it; a supervisor re-code is the same write with another source.
    """
    event = DowntimeEvent.objects.select_for_update().select_related("equipment").get(pk=event_id)
    reason = _reason_for(event, reason_id)
    parts = list(DowntimeEvent.objects.select_for_update().filter(
        equipment_id=event.equipment_id, occurrence_start=event.occurrence_start).order_by("start"))
    before = [_snapshot(p) for p in parts]
    action = DowntimeEdit.Action.RECODE if any(p.reason_id for p in parts) else DowntimeEdit.Action.CODE
    source = DowntimeEvent.Source.SUPERVISOR if supervisor else DowntimeEvent.Source.OPERATOR
    for part in parts:
        part.reason, part.reason_source = reason, source
    DowntimeEvent.objects.bulk_update(parts, ["reason", "reason_source"])
    DowntimeEdit.objects.create(equipment_id=event.equipment_id, event_id_ref=event.pk, action=action, user=user,
                                at=timezone.now(), before=before, after=[_snapshot(p) for p in parts])
    _refresh_rollups(event.equipment, parts[0].start, parts[-1].end)
    _nudge(event.equipment)
    return parts


@transaction.atomic
def downtime_event_split(*, event_id: int, at: dt.datetime, user) -> tuple[DowntimeEvent, DowntimeEvent]:
    """Split a finished event at ``at``: the second part becomes its own occurrence (counted once, same reason)."""
    event = DowntimeEvent.objects.select_for_update().select_related("equipment").get(pk=event_id)
    if event.end is None:
        raise ValidationError("A stop can be split only after it has ended.")
    if not event.start < at < event.end:
        raise ValidationError("The split time must lie inside the event.")
    before = [_snapshot(event)]
    old_end = event.end
    event.end = at
    event.save(update_fields=["end"])
    later = DowntimeEvent.objects.filter(equipment_id=event.equipment_id, occurrence_start=event.occurrence_start,
                                         start__gte=old_end)
    second = DowntimeEvent.objects.create(
        equipment_id=event.equipment_id, start=at, end=old_end, occurrence_start=at, counted=True,
        reason_id=event.reason_id, reason_source=event.reason_source, fault_event_id=event.fault_event_id,
        shift_key=event.shift_key)
    later.update(occurrence_start=at, counted=False)
    DowntimeEdit.objects.create(equipment_id=event.equipment_id, event_id_ref=event.pk,
                                action=DowntimeEdit.Action.SPLIT, user=user, at=timezone.now(), before=before,
                                after=[_snapshot(event), _snapshot(second)])
    _refresh_rollups(event.equipment, event.start, old_end)
    _nudge(event.equipment)
    return event, second


@transaction.atomic
def downtime_event_merge(*, event_id: int, other_id: int, user) -> DowntimeEvent:
    """Merge two adjacent finished events of one equipment in one shift into the earlier one (its reason wins).

    The later occurrence stops counting separately; the timeline itself is unchanged.
    """
    first, second = sorted(DowntimeEvent.objects.select_for_update().select_related("equipment").filter(
        pk__in=[event_id, other_id]), key=lambda e: e.start)
    if first.pk == second.pk or first.equipment_id != second.equipment_id:
        raise ValidationError("Pick two events of the same equipment.")
    if first.end is None or second.end is None:
        raise ValidationError("Only finished events can be merged.")
    if first.shift_key != second.shift_key:
        raise ValidationError("Events in different shifts stay split at the shift boundary.")
    between = DowntimeEvent.objects.filter(equipment_id=first.equipment_id, start__gte=first.end,
                                           start__lt=second.start).exists()
    if between:
        raise ValidationError("Only adjacent events can be merged.")
    before = [_snapshot(first), _snapshot(second)]
    DowntimeEvent.objects.filter(equipment_id=second.equipment_id, occurrence_start=second.occurrence_start).exclude(
        pk=second.pk).update(occurrence_start=first.occurrence_start, counted=False)
    first.end = second.end
    first.save(update_fields=["end"])
    second.delete()
    DowntimeEdit.objects.create(equipment_id=first.equipment_id, event_id_ref=first.pk,
                                action=DowntimeEdit.Action.MERGE, user=user, at=timezone.now(), before=before,
                                after=[_snapshot(first)])
    _refresh_rollups(first.equipment, first.start, first.end)
    _nudge(first.equipment)
    return first


def _nudge(equipment: Equipment) -> None:
    from apps.lines.live import nudge_on_commit

    nudge_on_commit(equipment.line_id, "ms5:downtime-changed")
