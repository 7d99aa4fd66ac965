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
    primary = counting_equipment(line, equipment)
    return {"line": line, "tiles": tiles, "shift": line_shift_figures(line=line, equipment=primary),
            "faults": line_faults(line_id=line.pk)}


def _figure_rows(line: Line, figures) -> list[dict]:
    rows = []
    for key, label, target in (("availability", "Availability", line.target_availability),
                               ("performance", "Performance", line.target_performance),
                               ("quality", "Quality", line.target_quality), ("oee", "OEE", line.target_oee)):
        value = getattr(figures, key)
        rows.append({"key": key, "label": label, "value": value, "target": float(target),
                     "ok": value is not None and value >= float(target)})
    return rows


def line_shift_figures(*, line: Line, now=None, equipment: Equipment | None = None) -> dict:
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
    count = line_count_target(line=line, start=instance.start, now=now, equipment=equipment)
    return {"instance": instance, "figures": figures, "rows": _figure_rows(line, figures), "count": count}


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


# --- kiosk: counts against target, the hour-by-hour board, the last faults -----------------------------------

def line_faults(*, line_id: int, limit: int = 6) -> list:
    """The line's latest faults in plain words (the catalog text the OEE engine copied onto each FaultEvent), active
    ones first, then the most recent. One query."""
    from apps.downtime.models import FaultEvent

    rows = list(FaultEvent.objects.filter(equipment__line_id=line_id).select_related("equipment", "fault_code")
                .order_by("-raised_at", "-pk")[:limit])
    rows.sort(key=lambda f: (f.cleared_at is not None, -f.raised_at.timestamp()))
    return rows


def counting_equipment(line: Line, equipment: list[Equipment] | None = None) -> Equipment | None:
    """The machine whose count is the line's output: the primary one, else the first by position."""
    equipment = equipment if equipment is not None else list(
        Equipment.objects.filter(line=line, active=True).order_by("position"))
    return next((eq for eq in equipment if eq.is_primary), equipment[0] if equipment else None)


def ideal_cycle_s(equipment: Equipment) -> float | None:
    """Ideal cycle time of what the machine is making now: the OEE runtime's snapshot, else the product table."""
    from apps.oee.ingest import ict_lookup
    from apps.oee.models import EquipmentRuntime

    rt = EquipmentRuntime.objects.filter(equipment=equipment).only("ict_s", "product_id", "ctx_product_id").first()
    if rt is None:
        return None
    if rt.ict_s:
        return float(rt.ict_s)
    return ict_lookup(equipment, rt.product_id or rt.ctx_product_id)


def _target_count(planned_s: float, ict: float | None) -> int | None:
    return int(planned_s // ict) if ict and ict > 0 else None


def line_count_target(*, line: Line, start, now, equipment: Equipment | None = None) -> dict:
    """Count against target on the counting machine: the running job's quantity when a job is in progress, and
    the shift's target so far (planned production time so far ÷ ideal cycle time, so breaks lower the target)."""
    from apps.oee.selectors import equipment_oee

    eq = equipment or counting_equipment(line)
    out = {"equipment": eq, "job": None, "good": None, "target": None, "ict_s": None}
    if eq is None:
        return out
    figures = equipment_oee(equipment=eq, start=start, end=now, as_of=now, with_events=False)
    ict = ideal_cycle_s(eq)
    out.update(good=figures.good_count, total=figures.total_count, ict_s=ict,
               target=_target_count(figures.planned_production_time_s, ict))
    try:
        from apps.jobs.choices import JobStatus
        from apps.jobs.models import Job
        from apps.jobs.selectors import job_progress
    except ImportError:  # the jobs app is optional for this panel
        return out
    job = (Job.objects.select_related("schedule__product", "line").filter(line=line, status=JobStatus.IN_PROGRESS)
           .first())
    if job is not None:
        out["job"] = {"job": job, "progress": job_progress(job=job, now=now)}
    return out


def hour_board(*, line: Line, start, end, now, equipment: Equipment | None = None) -> list[dict]:
    """Hour by hour over [start, end) up to now on the counting machine: target (planned time in the hour ÷ ideal
    cycle time: a break or time outside the shift lowers it) against actual good and total counts, from the OEE
    engine (one ``oee_compute`` per elapsed hour)."""
    import datetime as dt

    from apps.oee.selectors import equipment_oee

    eq = equipment or counting_equipment(line)
    if eq is None:
        return []
    fallback_ict = ideal_cycle_s(eq)
    rows, h0 = [], start
    while h0 < min(end, now):
        top = (h0 + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        h1 = min(top, end)
        f = equipment_oee(equipment=eq, start=h0, end=h1, as_of=now, with_events=False)
        ict = (f.ideal_time_total_s / f.total_count) if f.total_count and f.ideal_time_total_s else fallback_ict
        span_s = (min(h1, now) - h0).total_seconds()
        planned_s = f.planned_production_time_s
        target = _target_count(planned_s, ict)
        rows.append({"start": h0, "end": h1, "current": h0 <= now < h1, "target": target, "good": f.good_count,
                     "total": f.total_count, "planned_s": planned_s,
                     "break_min": round(max(0.0, span_s - planned_s) / 60),
                     "ok": target is not None and f.good_count >= target})
        h0 = h1
    return rows


def kiosk_hours_context(*, line: Line, now=None) -> dict:
    """The kiosk's hour-by-hour board for the running shift (fetched, not pushed: several OEE computations)."""
    from django.utils import timezone

    from apps.lines.shifts import shift_instance_at

    now = now or timezone.now()
    instance = shift_instance_at(line, now)
    if instance is None:
        return {"line": line, "instance": None, "hours": []}
    return {"line": line, "instance": instance,
            "hours": hour_board(line=line, start=instance.start, end=instance.end, now=now)}


# --- manager drill-down: state timeline, OEE trend, Pareto, downtime list -----------------------------------------

def line_window(*, line: Line, span: str, now=None) -> dict:
    """The drill-down window: ``shift`` (the running shift, else the last 8 hours) or ``day`` (local midnight to
    now, the site's time zone)."""
    import datetime as dt

    from django.utils import timezone

    from apps.lines.shifts import shift_instance_at

    now = now or timezone.now()
    if span == "shift":
        instance = shift_instance_at(line, now)
        if instance is not None:
            return {"span": "shift", "start": instance.start, "end": instance.end, "now": now,
                    "label": f"{instance.name} {instance.production_date:%d %b}"}
        return {"span": "shift", "start": now - dt.timedelta(hours=8), "end": now, "now": now,
                "label": "last 8 hours (no shift running)"}
    local = now.astimezone(line.area.site.tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight.astimezone(dt.timezone.utc)
    return {"span": "day", "start": start, "end": start + dt.timedelta(days=1), "now": now,
            "label": f"today {local:%d %b}"}


def _pct(a, b, start, total_s):
    return round(100 * (a - start).total_seconds() / total_s, 3), round(100 * (b - a).total_seconds() / total_s, 3)


def line_timeline(*, line: Line, start, end, now) -> dict:
    """Lanes of bars over [start, end): the shift calendar (shift / break / unscheduled), then per equipment its
    machine state and a data-quality lane that marks ``no data`` (comms lost or never heard from). Positions are
    percentages of the window; time after ``now`` is left empty. Two queries plus the calendar."""
    import datetime as dt

    from apps.oee.calendar import LineCalendar
    from apps.oee.models import StateInterval

    total_s = (end - start).total_seconds()
    stop = min(end, now)
    equipment = list(Equipment.objects.filter(line=line, active=True).order_by("position"))
    intervals: dict[int, list] = {eq.pk: [] for eq in equipment}
    for iv in (StateInterval.objects.filter(equipment__in=equipment, start__lt=stop)
               .filter(_open_or_after(start)).order_by("start")):
        intervals[iv.equipment_id].append(iv)
    calendar = []
    for a, b, label in LineCalendar(line).segments(start, stop) if stop > start else []:
        left, width = _pct(a, b, start, total_s)
        calendar.append({"label": label, "left": left, "width": width, "start": a, "end": b})
    lanes = []
    for eq in equipment:
        bars, gaps, cursor = [], [], start
        for iv in intervals[eq.pk]:
            a, b = max(iv.start, start), min(iv.end or stop, stop)
            if b <= a:
                continue
            if a > cursor:
                gaps.append((cursor, a))
            left, width = _pct(a, b, start, total_s)
            bars.append({"state": iv.state, "left": left, "width": width, "start": a, "end": b})
            if iv.state == "no_data":
                gaps.append((a, b))
            cursor = max(cursor, b)
        if stop > cursor:
            gaps.append((cursor, stop))
        no_data = []
        for a, b in gaps:
            left, width = _pct(a, b, start, total_s)
            no_data.append({"left": left, "width": width, "start": a, "end": b,
                            "minutes": round((b - a).total_seconds() / 60)})
        lanes.append({"equipment": eq, "bars": bars, "no_data": no_data})
    ticks = []
    tick = start.replace(minute=0, second=0, microsecond=0)
    step = dt.timedelta(hours=1 if total_s <= 12 * 3600 else 3)
    while tick <= end:
        if tick >= start:
            ticks.append({"at": tick, "left": round(100 * (tick - start).total_seconds() / total_s, 3)})
        tick += step
    elapsed = round(100 * max(0.0, (stop - start).total_seconds()) / total_s, 3)
    return {"calendar": calendar, "lanes": lanes, "ticks": ticks, "start": start, "end": end, "elapsed": elapsed}


def _open_or_after(start):
    from django.db.models import Q

    return Q(end__isnull=True) | Q(end__gt=start)


def oee_trend(*, line: Line, now, hours: int = 12, days: int = 7) -> dict:
    """OEE of the line by hour (the last ``hours`` hours), by shift (the shifts of the last two days) and by day
    (the last ``days`` local days), every figure from the OEE engine."""
    import datetime as dt

    from apps.lines.shifts import shift_instances
    from apps.oee.calculator import oee_compute

    equipment = list(Equipment.objects.filter(line=line, active=True).select_related("line__area__site"))

    def figures(a, b):
        f = oee_compute(equipment_list=equipment, start=a, end=b, as_of=now, with_events=False)
        return {"start": a, "end": b, "oee": f.oee, "availability": f.availability, "performance": f.performance,
                "quality": f.quality, "ok": f.oee is not None and f.oee >= float(line.target_oee)}

    if not equipment:
        return {"hours": [], "shifts": [], "days": []}
    top = now.replace(minute=0, second=0, microsecond=0)
    by_hour = [figures(top - dt.timedelta(hours=i), min(top - dt.timedelta(hours=i - 1), now))
               for i in range(hours - 1, -1, -1)]
    by_shift = []
    for inst in shift_instances(line, now - dt.timedelta(days=2), now):
        if inst.start < now:
            row = figures(inst.start, min(inst.end, now))
            row["label"] = f"{inst.name} {inst.production_date:%d %b}"
            by_shift.append(row)
    tz = line.area.site.tz
    midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    by_day = []
    for i in range(days - 1, -1, -1):
        a = (midnight - dt.timedelta(days=i)).astimezone(dt.timezone.utc)
        b = (midnight - dt.timedelta(days=i - 1)).astimezone(dt.timezone.utc)
        row = figures(a, min(b, now))
        row["label"] = f"{a.astimezone(tz):%a %d %b}"
        by_day.append(row)
    return {"hours": by_hour, "shifts": by_shift, "days": by_day}


def downtime_pareto(*, figures) -> list[dict]:
    """Downtime by reason, largest first, with the cumulative share (the OEE engine's ``downtime_by_reason``)."""
    from apps.lines.models import DowntimeReason

    items = sorted(figures.downtime_by_reason.items(), key=lambda kv: -kv[1])
    total = sum(v for _, v in items) or 1.0
    names = dict(DowntimeReason.objects.filter(code__in=[k for k, _ in items]).values_list("code", "name"))
    rows, cumulative = [], 0.0
    for code, seconds in items:
        cumulative += seconds
        rows.append({"code": code, "name": names.get(code, "No reason yet" if code == "uncoded" else code),
                     "minutes": round(seconds / 60, 1), "share": round(100 * seconds / total, 1),
                     "cumulative": round(100 * cumulative / total, 1),
                     "width": round(100 * seconds / items[0][1], 1) if items[0][1] else 0})
    return rows


def line_downtime_rows(*, line: Line, start, end) -> list[dict]:
    """Downtime events of the window with what may be done to each: split (finished events) and merge with the
    next event (same equipment, same shift, adjacent, both finished)."""
    from apps.downtime.selectors import downtime_list

    events = list(downtime_list(line_id=line.pk, start=start, end=end))
    rows = []
    by_eq: dict[int, list] = {}
    for e in events:
        by_eq.setdefault(e.equipment_id, []).append(e)
    next_of = {}
    for evs in by_eq.values():
        for a, b in zip(evs, evs[1:]):
            if a.end is not None and b.end is not None and a.shift_key == b.shift_key:
                next_of[a.pk] = b
    for e in events:
        rows.append({"event": e, "next": next_of.get(e.pk)})
    return rows


def line_reasons(*, line: Line) -> list:
    from apps.lines.models import ReasonCategory

    return list(ReasonCategory.objects.filter(line=line).prefetch_related(
        Prefetch("reasons", queryset=line.downtime_reasons.filter(active=True).order_by("code"))).order_by("code"))


# --- engineer: one equipment's live values, comms, faults, MTBF/MTTR ---------------------------------------------

def equipment_engineering(*, equipment: Equipment, now=None) -> dict:
    """What an engineer needs about one machine. The PLC worker keeps no per-tag last values in the database: the
    values shown are the OEE runtime's last-known canonical values (``EquipmentRuntime``, written on every change
    and counter advance) with their age, and comms comes from the worker's lease rows (``PlcLease``: state, last
    scan, last error) and the runtime's ``comms_ok``."""
    import datetime as dt

    from django.utils import timezone

    from apps.downtime.models import FaultEvent
    from apps.oee.calculator import oee_compute
    from apps.oee.models import EquipmentRuntime

    now = now or timezone.now()
    rt = EquipmentRuntime.objects.filter(equipment=equipment).select_related("product").first()
    tags = list(equipment.tags.select_related("connection").order_by("signal"))
    conn_ids = {t.connection_id for t in tags}
    leases = {}
    try:
        from plc_worker.models import PlcLease

        leases = {lease.connection_id: lease for lease in PlcLease.objects.filter(connection_id__in=conn_ids)}
    except ImportError:
        pass
    connections = []
    for conn in {t.connection_id: t.connection for t in tags}.values():
        lease = leases.get(conn.pk)
        age = (now - lease.last_scan_at).total_seconds() if lease and lease.last_scan_at else None
        connections.append({"connection": conn, "lease": lease, "scan_age_s": age,
                            "owned": bool(lease and lease.expires_at and lease.expires_at > now)})

    def age(ts):
        return round((now - ts).total_seconds()) if ts else None

    values = []
    if rt is not None:
        quality = "good" if rt.comms_ok else "bad (comms lost)"
        values = [
            {"signal": "running", "value": rt.running, "age_s": age(rt.last_change_ts), "quality": quality},
            {"signal": "mode", "value": rt.mode, "age_s": age(rt.last_change_ts), "quality": quality},
            {"signal": "fault_word", "value": rt.fault_word, "age_s": age(rt.last_change_ts), "quality": quality},
            {"signal": "product", "value": rt.product_number, "age_s": age(rt.last_change_ts), "quality": quality},
        ] + [{"signal": f"counter {name}", "value": value, "age_s": age(rt.counters_ts), "quality": quality}
             for name, value in sorted((rt.counters or {}).items())]
    faults = list(FaultEvent.objects.filter(equipment=equipment).select_related("fault_code")
                  .order_by("-raised_at", "-pk")[:50])
    start = now - dt.timedelta(days=7)
    figures = oee_compute(equipment_list=[equipment], start=start, end=now, as_of=now, with_events=False)
    return {"equipment": equipment, "runtime": rt, "tags": tags, "connections": connections, "values": values,
            "active_faults": [f for f in faults if f.cleared_at is None],
            "fault_history": [f for f in faults if f.cleared_at is not None], "figures": figures,
            "window_start": start, "now": now}
