"""Query windows for reports and the ``oee`` command: one window, hours, shift instances, local days, production
dates. A window is a label plus disjoint spans (a production date is the union of its shifts)."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from apps.oee.calendar import LineCalendar

UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)


def windows_for(*, line, start: dt.datetime, end: dt.datetime, by: str | None) -> list[tuple[str, list]]:
    if by in (None, "", "window"):
        return [(f"{start.isoformat()}/{end.isoformat()}", [(start, end)])]
    if by == "hour":
        out = []
        h = start.replace(minute=0, second=0, microsecond=0)
        while h < end:
            a, b = max(h, start), min(h + HOUR, end)
            out.append((a.isoformat(), [(a, b)]))
            h += HOUR
        return out
    if by == "day":
        tz = line.area.site.tz
        out = []
        day = start.astimezone(tz).date()
        while True:
            a = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(UTC)
            b = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(UTC)
            if a >= end:
                break
            a2, b2 = max(a, start), min(b, end)
            if b2 > a2:
                out.append((day.isoformat(), [(a2, b2)]))
            day += dt.timedelta(days=1)
        return out
    calendar = LineCalendar(line)
    instances = calendar.instances(start, end)
    if by == "shift":
        return [(inst.key, [(max(inst.start, start), min(inst.end, end))]) for inst in instances]
    if by == "production_date":
        groups: OrderedDict = OrderedDict()
        for inst in instances:
            groups.setdefault(inst.production_date.isoformat(), []).append(
                (max(inst.start, start), min(inst.end, end)))
        return list(groups.items())
    raise ValueError(f"Unknown grouping {by!r}: use hour, shift, day or production_date.")
