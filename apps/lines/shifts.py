"""Shift instances: absolute UTC intervals computed from a line's pattern in its site's time zone.

A DST night is 7 or 9 hours long, never "8 h" (shared/OEE.md §5). A shift belongs to the production date of its
local start. These are pure functions of the configuration, so every screen and report computes the same
instances.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


@dataclass(frozen=True)
class ShiftInstance:
    line_id: int
    shift_id: int
    shift_code: str
    name: str
    production_date: dt.date
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC, exclusive
    breaks: tuple[tuple[dt.datetime, dt.datetime], ...] = field(default=())

    @property
    def key(self) -> str:
        """Stable identifier of the instance, e.g. ``L1:N:2026-03-28``."""
        return f"{self.line_id}:{self.shift_code}:{self.production_date.isoformat()}"

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def break_s(self) -> float:
        return sum((b - a).total_seconds() for a, b in self.breaks)


def _local(date: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """Local wall-clock time as an aware UTC datetime.

    With fold=0 (PEP 495) a time inside a spring-forward gap maps past the gap, as the clocks do, and a time
    repeated at fall-back is its first occurrence.
    """
    return dt.datetime.combine(date, time).replace(tzinfo=tz).astimezone(UTC)


def instances_for_shifts(shifts, *, line_id: int, tz: ZoneInfo, start: dt.datetime,
                         end: dt.datetime) -> list[ShiftInstance]:
    """Instances of ``shifts`` (Shift objects with breaks prefetched) overlapping [start, end), sorted by start."""
    first_day = start.astimezone(tz).date() - dt.timedelta(days=1)
    last_day = end.astimezone(tz).date()
    result = []
    day = first_day
    while day <= last_day:
        for shift in shifts:
            if day.weekday() not in shift.weekdays:
                continue
            end_day = day + dt.timedelta(days=1) if shift.end_time <= shift.start_time else day
            s_start = _local(day, shift.start_time, tz)
            s_end = _local(end_day, shift.end_time, tz)
            if s_end <= start or s_start >= end:
                continue
            breaks = []
            for brk in shift.breaks.all():
                b_day = day
                if shift.end_time <= shift.start_time and brk.start_time < shift.start_time:
                    b_day = end_day
                b_end_day = b_day + dt.timedelta(days=1) if brk.end_time <= brk.start_time else b_day
                b_start = max(_local(b_day, brk.start_time, tz), s_start)
                b_end = min(_local(b_end_day, brk.end_time, tz), s_end)
                if b_end > b_start:
                    breaks.append((b_start, b_end))
            result.append(ShiftInstance(
                line_id=line_id, shift_id=shift.pk, shift_code=shift.code, name=shift.name,
                production_date=day, start=s_start, end=s_end, breaks=tuple(sorted(breaks)),
            ))
        day += dt.timedelta(days=1)
    result.sort(key=lambda inst: inst.start)
    return result


def shift_instances(line, start: dt.datetime, end: dt.datetime) -> list[ShiftInstance]:
    """Shift instances of ``line`` overlapping [start, end) (aware datetimes)."""
    pattern = getattr(line, "shift_pattern", None)
    if pattern is None:
        return []
    shifts = list(pattern.shifts.prefetch_related("breaks"))
    return instances_for_shifts(shifts, line_id=line.pk, tz=line.area.site.tz, start=start, end=end)


def shift_instance_at(line, moment: dt.datetime) -> ShiftInstance | None:
    """The shift instance running at ``moment``, or None outside every shift."""
    for inst in shift_instances(line, moment - dt.timedelta(hours=1), moment + dt.timedelta(hours=1)):
        if inst.start <= moment < inst.end:
            return inst
    return None


def overlap_errors(shifts, *, tz: ZoneInfo) -> list[str]:
    """Sentences naming every pair of shifts in a pattern that overlap during a two-week sample (DST included)."""
    errors = []
    for sample_start in (dt.datetime(2026, 3, 23, tzinfo=UTC), dt.datetime(2026, 10, 19, tzinfo=UTC),
                         dt.datetime(2026, 1, 5, tzinfo=UTC)):
        insts = instances_for_shifts(shifts, line_id=0, tz=tz, start=sample_start,
                                     end=sample_start + dt.timedelta(days=14))
        for a, b in zip(insts, insts[1:]):
            if b.start < a.end:
                msg = (f"Shift {a.shift_code} ({a.production_date:%a}) overlaps shift {b.shift_code} "
                       f"({b.production_date:%a}); shifts of one line must not overlap.")
                if msg not in errors:
                    errors.append(msg)
    for shift in shifts:
        if shift.start_time == shift.end_time:
            errors.append(f"Shift {shift.code} starts and ends at the same time; a 24-hour shift is not supported.")
    return errors
