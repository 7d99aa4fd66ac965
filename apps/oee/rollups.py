"""Hourly rollups per equipment, kept current by ingest and recomputed when an edit or late data touches them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from apps.oee.calculator import ROLLUP_STATE_FIELDS, RawRequest, accumulate_raw_many
from apps.oee.calendar import LineCalendar
from django.db.models import Sum

from apps.oee.models import DayReasonRollup, DayRollup, EquipmentRuntime, HourReasonRollup, HourRollup

HOUR = dt.timedelta(hours=1)


def hours_between(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Hour starts h with start <= h < end (start is floored to the hour)."""
    h = start.replace(minute=0, second=0, microsecond=0)
    out = []
    while h < end:
        out.append(h)
        h += HOUR
    return out


def rollup_recompute(*, equipment, hours: list[dt.datetime], as_of: dt.datetime) -> None:
    """Recompute the rollup rows of ``equipment`` for ``hours`` from the raw timeline."""
    calendars = {equipment.line_id: LineCalendar(equipment.line)}
    rows, reason_rows = [], []
    parts = accumulate_raw_many([RawRequest(equipment, h, h + HOUR) for h in hours], as_of=as_of,
                                calendars=calendars)
    for h, acc in zip(hours, parts):
        values = {col: acc.state_s[s] for s, col in ROLLUP_STATE_FIELDS.items()}
        rows.append(HourRollup(
            equipment=equipment, hour=h, total=acc.total, reject=acc.reject, rework=acc.rework,
            ict_total_s=acc.ict_total_s, ict_good_s=acc.ict_good_s, count_without_ict=acc.count_without_ict,
            small_stop_count=acc.small_stop_count, stop_count=acc.stop_count, **values))
        reason_rows.extend(HourReasonRollup(equipment=equipment, hour=h, reason_id=r, seconds=s)
                           for r, s in acc.reason_s.items() if s)
    HourRollup.objects.filter(equipment=equipment, hour__in=hours).delete()
    HourReasonRollup.objects.filter(equipment=equipment, hour__in=hours).delete()
    HourRollup.objects.bulk_create(rows)
    HourReasonRollup.objects.bulk_create(reason_rows)
    days_refresh(equipment=equipment, days=sorted({h.replace(hour=0) for h in hours}))


SUM_FIELDS = ("running_s", "small_stop_s", "unplanned_stop_s", "pending_stop_s", "changeover_s", "planned_stop_s",
              "no_order_s", "not_scheduled_s", "no_data_s", "total", "reject", "rework", "ict_total_s", "ict_good_s",
              "count_without_ict", "small_stop_count", "stop_count")


def days_refresh(*, equipment, days: list[dt.datetime]) -> None:
    """Day rollups are the sums of their hour rollups: recompute the given UTC days from the hour rows."""
    if not days:
        return
    DayRollup.objects.filter(equipment=equipment, day__in=days).delete()
    DayReasonRollup.objects.filter(equipment=equipment, day__in=days).delete()
    rows, reason_rows = [], []
    for day in days:
        hours = HourRollup.objects.filter(equipment=equipment, hour__gte=day, hour__lt=day + dt.timedelta(days=1))
        agg = hours.aggregate(**{f"x_{f}": Sum(f) for f in SUM_FIELDS})
        if agg["x_total"] is None and agg["x_running_s"] is None:
            continue
        rows.append(DayRollup(equipment=equipment, day=day, **{f: agg[f"x_{f}"] or 0 for f in SUM_FIELDS}))
        reason_rows.extend(
            DayReasonRollup(equipment=equipment, day=day, reason_id=r["reason_id"], seconds=r["s"])
            for r in HourReasonRollup.objects.filter(equipment=equipment, hour__gte=day,
                                                     hour__lt=day + dt.timedelta(days=1))
            .values("reason_id").annotate(s=Sum("seconds")))
    DayRollup.objects.bulk_create(rows)
    DayReasonRollup.objects.bulk_create(reason_rows)


def rollup_refresh_range(*, equipment, start: dt.datetime, end: dt.datetime) -> None:
    """After an edit touching [start, end]: recompute the already rolled-up hours it overlaps."""
    watermark = EquipmentRuntime.objects.filter(equipment=equipment).values_list("rolled_up_to", flat=True).first()
    if watermark is None:
        return
    hours = [h for h in hours_between(start, end + dt.timedelta(microseconds=1)) if h < watermark]
    if hours:
        rollup_recompute(equipment=equipment, hours=hours, as_of=max(timezone.now(), watermark))
