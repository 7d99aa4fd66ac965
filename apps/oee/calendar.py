"""The shift calendar of a line as labelled UTC segments: ``shift`` (scheduled, not in a break), ``break`` and
``unscheduled`` (outside every shift instance). Built from apps/lines/shifts.py, loaded once per line."""

from __future__ import annotations

import datetime as dt

from apps.lines.shifts import ShiftInstance, instances_for_shifts

SHIFT, BREAK, UNSCHEDULED = "shift", "break", "unscheduled"


class LineCalendar:
    def __init__(self, line):
        self.line = line
        self._shifts = None  # loaded on first use: rollup-only queries never touch the calendar

    @property
    def shifts(self):
        if self._shifts is None:
            pattern = getattr(self.line, "shift_pattern", None) if self.line is not None else None
            self._shifts = list(pattern.shifts.prefetch_related("breaks")) if pattern is not None else []
        return self._shifts

    @property
    def tz(self):
        return self.line.area.site.tz if self.line is not None else dt.timezone.utc

    def instances(self, start: dt.datetime, end: dt.datetime) -> list[ShiftInstance]:
        if not self.shifts or end <= start:
            return []
        return instances_for_shifts(self.shifts, line_id=self.line.pk, tz=self.tz, start=start, end=end)

    def segments(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime, str]]:
        """Contiguous labelled segments exactly covering [start, end)."""
        out: list[tuple[dt.datetime, dt.datetime, str]] = []
        cursor = start
        for inst in self.instances(start, end):
            a, b = max(inst.start, start), min(inst.end, end)
            if b <= a:
                continue
            if a > cursor:
                out.append((cursor, a, UNSCHEDULED))
            cursor = max(cursor, a)
            for ba, bb in inst.breaks:
                ba, bb = max(ba, cursor), min(bb, b)
                if bb <= ba:
                    continue
                if ba > cursor:
                    out.append((cursor, ba, SHIFT))
                out.append((ba, bb, BREAK))
                cursor = bb
            if b > cursor:
                out.append((cursor, b, SHIFT))
                cursor = b
        if end > cursor:
            out.append((cursor, end, UNSCHEDULED))
        return out

    def scheduled_ranges(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime, str]]:
        """(start, end, shift instance key) of the scheduled, non-break time in [start, end), split at shift ends."""
        out = []
        insts = self.instances(start, end)
        for a, b, label in self.segments(start, end):
            if label != SHIFT:
                continue
            key = next((i.key for i in insts if i.start <= a < i.end), "")
            out.append((a, b, key))
        return out
