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

    The timeline belongs to the OEE engine (``apps.oee.selectors.equipment_current_states``); a machine without an
    open state interval (never heard from) shows ``no_data``.
    """
    from apps.oee.selectors import equipment_current_states

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
         "pending": states[eq.pk].get("pending", False),
         "label": STATE_LABELS.get(states[eq.pk]["state"], states[eq.pk]["state"])}
        for eq in equipment
    ]
    return {"line": line, "tiles": tiles, "shift": line_shift_figures(line=line)}


def _figure_rows(line: Line, figures) -> list[dict]:
    rows = []
    for key, label, target in (("availability", "Availability", line.target_availability),
                               ("performance", "Performance", line.target_performance),
                               ("quality", "Quality", line.target_quality), ("oee", "OEE", line.target_oee)):
        value = getattr(figures, key)
        rows.append({"key": key, "label": label, "value": value, "target": float(target),
                     "ok": value is not None and value >= float(target)})
    return rows


def line_shift_figures(*, line: Line, now=None) -> dict:
    """This shift so far: A/P/Q/OEE against the line's targets and the counts (role-neutral).

    Figures come from the OEE engine (apps.oee.selectors.line_oee); outside every shift there is no shift.
    """
    from django.utils import timezone

    from apps.lines.shifts import shift_instance_at

    now = now or timezone.now()
    instance = shift_instance_at(line, now)
    if instance is None:
        return {"instance": None}
    from apps.oee.selectors import line_oee

    figures = line_oee(line=line, start=instance.start, end=min(now, instance.end))
    return {"instance": instance, "figures": figures, "rows": _figure_rows(line, figures)}


def line_stops_context(*, line: Line, user, now=None) -> dict:
    """The kiosk's stops panel: the line's uncoded stops (running one first) and its reason tree.

    User-specific (whether the buttons are there depends on ``lines.code_downtime``), so it is re-fetched over
    HTTP on ``ms5:downtime-changed`` / ``ms5:equipment-changed`` rather than pushed.
    """
    from apps.downtime.selectors import downtime_uncoded_queue
    from apps.lines.models import ReasonCategory

    stops = list(downtime_uncoded_queue(line_id=line.pk)[:20])
    stops.sort(key=lambda event: (event.end is not None, -event.start.timestamp()))
    categories = list(ReasonCategory.objects.filter(line=line, planned=False).prefetch_related(
        Prefetch("reasons", queryset=line.downtime_reasons.filter(active=True).order_by("code"))).order_by("code"))
    return {"line": line, "stops": stops, "categories": [c for c in categories if c.reasons.all()],
            "can_code": access.can_access_line(user, line.pk, "lines.code_downtime")}


def line_tile_context(*, line_id: int) -> dict:
    """A manager's overview tile for one line (role-neutral, pushed): primary machine state, shift OEE vs target,
    open Andon calls and uncoded stops."""
    from apps.andon.choices import LIVE_STATUSES
    from apps.andon.models import AndonCall
    from apps.downtime.selectors import downtime_uncoded_queue

    board = line_board_context(line_id=line_id)
    line = board["line"]
    primary = next((t for t in board["tiles"] if t["equipment"].is_primary), board["tiles"][0] if board["tiles"] else None)
    return {
        **board,
        "primary": primary,
        "andon_open": AndonCall.objects.filter(line_id=line.pk, status__in=[s.value for s in LIVE_STATUSES]).count(),
        "uncoded": downtime_uncoded_queue(line_id=line.pk).count(),
    }


def andon_board_calls(*, user):
    """Live Andon calls on the lines the user may see, highest priority then oldest first (one query)."""
    from django.db.models import Case, IntegerField, Value, When

    from apps.andon.choices import LIVE_STATUSES, CallPriority
    from apps.andon.models import AndonCall

    rank = Case(*(When(priority=p, then=Value(i)) for i, p in enumerate(
        [CallPriority.CRITICAL, CallPriority.HIGH, CallPriority.MEDIUM, CallPriority.LOW])),
        default=Value(9), output_field=IntegerField())
    return (AndonCall.objects.filter(line__in=access.visible_lines(user), status__in=[s.value for s in LIVE_STATUSES])
            .select_related("line", "equipment").annotate(rank=rank).order_by("rank", "opened_at"))
