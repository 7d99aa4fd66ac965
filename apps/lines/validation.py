"""Checks on shift patterns shared by the admin and import_plant. Pure functions, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from apps.lines.shifts import overlap_errors

DAY_MIN = 24 * 60


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def break_error(shift_start: dt.time, shift_end: dt.time, break_start: dt.time, break_end: dt.time) -> str | None:
    """Why a break does not lie inside its shift (overnight shifts and breaks after midnight included), or None.

    Times are compared as minutes after the shift's start on the local clock, which is how shifts.py places a
    break of an overnight shift on the next day when it starts before the shift's start time.
    """
    start = _minutes(shift_start)
    length = (_minutes(shift_end) - start) % DAY_MIN or DAY_MIN
    b_start = (_minutes(break_start) - start) % DAY_MIN
    b_end = (_minutes(break_end) - start) % DAY_MIN
    if b_end == 0 and _minutes(break_end) == _minutes(shift_end):
        b_end = length
    span = f"{shift_start:%H:%M}–{shift_end:%H:%M}"
    if break_start == break_end:
        return f"the break {break_start:%H:%M}–{break_end:%H:%M} has no length."
    if b_start >= length or b_end > length or b_end <= b_start:
        return f"the break {break_start:%H:%M}–{break_end:%H:%M} is not inside the shift {span}."
    return None


class ShiftShape:
    """What shifts.overlap_errors needs of a shift, for shifts that are not saved (yet): a file or a form."""

    class _NoBreaks:
        @staticmethod
        def all():
            return []

    breaks = _NoBreaks()

    def __init__(self, *, pk: int, code: str, start_time: dt.time, end_time: dt.time, weekdays: list[int]):
        self.pk, self.code, self.name = pk, code, code
        self.start_time, self.end_time, self.weekdays = start_time, end_time, weekdays


def shift_overlap_errors(shifts, *, tz: ZoneInfo) -> list[str]:
    """Sentences naming every pair of overlapping shifts; ``shifts`` need code, start_time, end_time, weekdays,
    pk and ``breaks.all()`` (saved Shift rows or stand-ins for unsaved ones)."""
    return overlap_errors(list(shifts), tz=tz)
