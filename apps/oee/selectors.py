"""Read paths of the OEE engine for screens (kiosk, manager, reports). Callers check line access first."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from apps.lines.models import Equipment, Line
from apps.oee.calculator import OeeFigures, oee_compute
from apps.oee.calendar import BREAK, UNSCHEDULED, LineCalendar
from apps.oee.heartbeat import stale_equipment
from apps.oee.models import BaseState, StateInterval


def equipment_current_states(*, equipment_ids: list[int], now: dt.datetime | None = None) -> dict[int, dict]:
    """{equipment id: {"state", "since", "pending"}} with the effective state right now (calendar applied).

    A stop still open and not longer than the small-stop threshold is reported as ``small_stop`` with
    ``pending=True``: it is not counted as small yet, and the UI says so. Equipment whose PLC worker heartbeat is
    stale (apps/oee/heartbeat.py) is ``no_data`` since it was last seen.
    """
    now = now or timezone.now()
    out: dict[int, dict] = {}
    open_ivs = {iv.equipment_id: iv for iv in StateInterval.objects.filter(
        equipment_id__in=equipment_ids, end__isnull=True).select_related("equipment__line__area__site")}
    # A PLC worker that stopped heartbeating: the equipment is no_data from when it was last seen.
    stale = stale_equipment(list(open_ivs), now=now)
    calendars: dict[int, LineCalendar] = {}
    for pk, iv in open_ivs.items():
        if pk in stale:
            out[pk] = {"state": "no_data", "since": stale[pk], "pending": False}
            continue
        eq = iv.equipment
        if eq.line_id not in calendars:
            calendars[eq.line_id] = LineCalendar(eq.line)
        cal = calendars[eq.line_id]
        label = cal.segments(now, now + dt.timedelta(seconds=1))[0][2]
        pending = False
        if iv.state == BaseState.RUNNING:
            state = "running"
        elif label == UNSCHEDULED:
            state = "not_scheduled"
        elif label == BREAK:
            state = "planned_stop"
        elif iv.state == BaseState.STOPPED:
            pending = (now - iv.start).total_seconds() <= eq.small_stop_threshold_s
            state = "small_stop" if pending else "unplanned_stop"
        else:
            state = str(iv.state)
        out[pk] = {"state": state, "since": iv.start, "pending": pending}
    return out


def equipment_oee(*, equipment: Equipment, start: dt.datetime, end: dt.datetime, **kwargs) -> OeeFigures:
    return oee_compute(equipment_list=[equipment], start=start, end=end, **kwargs)


def line_oee(*, line: Line, start: dt.datetime, end: dt.datetime, **kwargs) -> OeeFigures:
    """A line's figures: the sums of its active equipment's times and counts."""
    equipment = list(Equipment.objects.filter(line=line, active=True).select_related("line__area__site"))
    return oee_compute(equipment_list=equipment, start=start, end=end, **kwargs)


def shift_oee(*, line: Line, shift_instance, **kwargs) -> OeeFigures:
    return line_oee(line=line, start=shift_instance.start, end=shift_instance.end, **kwargs)
