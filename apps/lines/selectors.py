"""Reads of the plant model, already scoped by the access choke-point."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from apps.accounts import access
from apps.lines.models import Equipment, Line, PlcConnection


def overview_lines(*, user) -> QuerySet[Line]:
    return access.visible_lines(user).annotate(equipment_count=Count("equipment")).order_by("code")


def line_with_equipment(*, line: Line) -> Line:
    return Line.objects.select_related("area__site").prefetch_related(
        Prefetch("equipment", queryset=Equipment.objects.filter(active=True).order_by("position"))
    ).get(pk=line.pk)


def engineering_equipment(*, user) -> QuerySet[Equipment]:
    lines = access.visible_lines(user, "lines.view_engineering")
    return (
        Equipment.objects.filter(line__in=lines, active=True)
        .select_related("line")
        .prefetch_related(Prefetch("tags__connection", queryset=PlcConnection.objects.all()))
        .order_by("line__code", "position")
    )


STATE_LABELS = {
    "running": "Running", "small_stop": "Small stop", "unplanned_stop": "Stopped", "changeover": "Changeover",
    "planned_stop": "Planned stop", "no_order": "No order", "not_scheduled": "Not scheduled", "no_data": "No data",
}


def equipment_states(*, equipment_ids: list[int]) -> dict[int, dict]:
    """Current state per equipment: {id: {"state": str, "since": datetime | None}}.

    The timeline belongs to the OEE engine (apps/oee). Until it provides ``apps.oee.selectors.
    equipment_current_states(equipment_ids=...)`` with this shape, every machine honestly shows ``no_data``.
    """
    try:
        from apps.oee.selectors import equipment_current_states
    except ImportError:
        return {pk: {"state": "no_data", "since": None} for pk in equipment_ids}
    found = equipment_current_states(equipment_ids=equipment_ids)
    return {pk: found.get(pk) or {"state": "no_data", "since": None} for pk in equipment_ids}


def line_board_context(*, line_id: int) -> dict:
    """Everything the kiosk board's role-neutral partials need, re-read from committed state.

    No user in here: live.py renders these partials once per event for every socket on the line, so they must
    not depend on who is looking (user-specific panels use a client trigger and re-fetch instead).
    """
    line = Line.objects.select_related("area__site").prefetch_related(
        Prefetch("equipment", queryset=Equipment.objects.filter(active=True).order_by("position"))
    ).get(pk=line_id)
    equipment = list(line.equipment.all())
    states = equipment_states(equipment_ids=[eq.pk for eq in equipment])
    tiles = [
        {"equipment": eq, "state": states[eq.pk]["state"], "since": states[eq.pk]["since"],
         "label": STATE_LABELS.get(states[eq.pk]["state"], states[eq.pk]["state"])}
        for eq in equipment
    ]
    return {"line": line, "tiles": tiles}
