"""The one OEE calculator (shared/OEE.md §3 and §7). Every screen, report, export and the ``oee`` command call
``oee_compute``; figures are rounded only at display time.

Figures are built from additive parts (seconds per effective state, counts, ICT-weighted counts), summed over
equipment, hours and windows, and only then divided — never an average of percentages. Whole hours whose rollups
are current come from ``HourRollup``; the rest of a window is computed from the raw timeline.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, Q, Sum
from django.utils import timezone

from apps.oee.calendar import BREAK, UNSCHEDULED, LineCalendar
from apps.oee.heartbeat import stale_equipment
from apps.oee.models import (
    BaseState,
    CountDelta,
    DayReasonRollup,
    DayRollup,
    EquipmentRuntime,
    HourReasonRollup,
    HourRollup,
    StateInterval,
)
from apps.oee.policies import AVAILABILITY, EXCLUDED, PERFORMANCE, STATES, Policy, policy_get

HOUR = dt.timedelta(hours=1)


@dataclass
class Accumulator:
    """Additive parts of OEE for some equipment over some time."""

    state_s: dict = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    total: int = 0
    reject: int = 0
    rework: int = 0
    ict_total_s: float = 0.0
    ict_good_s: float = 0.0
    count_without_ict: int = 0
    small_stop_count: int = 0
    stop_count: int = 0
    reason_s: dict = field(default_factory=lambda: defaultdict(float))

    def add(self, other: Accumulator) -> Accumulator:
        for k, v in other.state_s.items():
            self.state_s[k] += v
        for name in ("total", "reject", "rework", "ict_total_s", "ict_good_s", "count_without_ict",
                     "small_stop_count", "stop_count"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.reason_s.items():
            self.reason_s[k] += v
        return self


def _stop_kind(interval: StateInterval, end: dt.datetime, threshold: float) -> str:
    length = (end - interval.start).total_seconds()
    if interval.end is None and length <= threshold:
        return "pending_stop"
    return "small_stop" if length <= threshold else "unplanned_stop"


@dataclass(frozen=True)
class RawRequest:
    """One equipment over [start, end) to be computed from raw rows (optionally only one product's time/counts)."""

    equipment: object
    start: dt.datetime
    end: dt.datetime
    product_id: int | None = None


def accumulate_raw(*, equipment, start: dt.datetime, end: dt.datetime, as_of: dt.datetime,
                   calendar: LineCalendar | None = None, product_id: int | None = None) -> Accumulator:
    """Additive parts of one equipment over [start, end) from intervals, count deltas and downtime events.

    Time with no recorded interval (before the first sample) is ``no_data``. Open intervals last until ``as_of``.
    With ``product_id``, only time and counts of that product are included.
    """
    calendars = {equipment.line_id: calendar} if calendar is not None else None
    return accumulate_raw_many([RawRequest(equipment, start, end, product_id)], as_of=as_of, calendars=calendars)[0]


def _intervals_q(requests: list[RawRequest], model=StateInterval) -> Q:
    """Rows of ``model`` (state intervals or downtime events: neither overlaps another of the same equipment)
    overlapping each request's range, found through the (equipment, start) index only: those starting
    inside the range, plus the one interval that started last before it (it may still be running at the range's
    start; intervals of one equipment never overlap). "start < end AND (end IS NULL OR end > start)" would scan
    every interval of the equipment's history before the range, which made the late edges of a year slow.

    Ranges of one equipment are merged first, so consecutive hours need one look-up; the look-ups are one query per
    distinct range start (a correlated "latest start before" per equipment), not one per equipment."""
    from django.db.models import OuterRef, Subquery

    from apps.lines.models import Equipment

    ranges: dict[int, list[tuple]] = defaultdict(list)
    for r in requests:
        ranges[r.equipment.pk].append((r.start, r.end))
    by_span: dict[tuple, set[int]] = defaultdict(set)
    for eq_id, rs in ranges.items():
        rs.sort()
        cur_a, cur_b = rs[0]
        for a, b in rs[1:]:
            if a <= cur_b:
                cur_b = max(cur_b, b)
                continue
            by_span[(cur_a, cur_b)].add(eq_id)
            cur_a, cur_b = a, b
        by_span[(cur_a, cur_b)].add(eq_id)
    by_start: dict[dt.datetime, set[int]] = defaultdict(set)
    q = Q(pk__in=[])
    for (a, b), ids in by_span.items():
        q |= Q(equipment_id__in=sorted(ids), start__gte=a, start__lt=b)
        by_start[a] |= ids
    covering = []
    for a, ids in by_start.items():
        latest = model.objects.filter(equipment_id=OuterRef("pk"), start__lt=a).order_by("-start")
        covering.extend(c for c in Equipment.objects.filter(pk__in=sorted(ids)).annotate(
            c=Subquery(latest.values("pk")[:1])).values_list("c", flat=True) if c is not None)
    if covering:
        q |= Q(pk__in=covering)
    return q


def accumulate_raw_many(requests: list[RawRequest], *, as_of: dt.datetime,
                        calendars: dict[int, LineCalendar] | None = None,
                        open_until: dict[int, dt.datetime] | None = None) -> list[Accumulator]:
    """``accumulate_raw`` for many (equipment, range) requests at once: one query per table (intervals, downtime
    events, count deltas) for up to 200 requests / 14 equipment-days at a time. Returns one accumulator per
    request. ``open_until`` ({equipment id: time}) ends open intervals earlier than ``as_of`` (stale heartbeat:
    apps/oee/heartbeat.py); the time after is ``no_data``."""
    calendars = calendars if calendars is not None else {}
    open_until = open_until or {}
    out = [Accumulator() for _ in requests]
    live = [(i, r) for i, r in enumerate(requests) if r.end > r.start]
    # Bounded memory: long raw ranges (a year recomputed from raw) are read a few equipment-weeks at a time.
    # A chunk never holds two overlapping requests of one equipment (each count row is labelled with one request).
    chunk: list[tuple[int, RawRequest]] = []
    seconds = 0.0
    for i, r in live:
        if any(c.equipment.pk == r.equipment.pk and c.start < r.end and r.start < c.end for _, c in chunk):
            _accumulate_raw_chunk(chunk, out, as_of=as_of, calendars=calendars, open_until=open_until)
            chunk, seconds = [], 0.0
        chunk.append((i, r))
        seconds += (r.end - r.start).total_seconds()
        if len(chunk) >= RAW_CHUNK_REQUESTS or seconds >= RAW_CHUNK_SECONDS:
            _accumulate_raw_chunk(chunk, out, as_of=as_of, calendars=calendars, open_until=open_until)
            chunk, seconds = [], 0.0
    if chunk:
        _accumulate_raw_chunk(chunk, out, as_of=as_of, calendars=calendars, open_until=open_until)
    return out


RAW_CHUNK_REQUESTS = 200
RAW_CHUNK_SECONDS = 14 * 86400.0


def _accumulate_raw_chunk(live: list[tuple[int, RawRequest]], out: list[Accumulator], *, as_of: dt.datetime,
                          calendars: dict[int, LineCalendar], open_until: dict[int, dt.datetime]) -> None:
    from django.db.models import Case, IntegerField, Value, When

    from apps.downtime.models import DowntimeEvent

    reqs = [r for _, r in live]
    intervals_by_eq: dict[int, list[StateInterval]] = defaultdict(list)
    for iv in StateInterval.objects.filter(_intervals_q(reqs)).order_by("start"):
        intervals_by_eq[iv.equipment_id].append(iv)
    events_by_eq: dict[int, list] = defaultdict(list)
    for ev in DowntimeEvent.objects.filter(_intervals_q(reqs, DowntimeEvent)).select_related(
            "reason__category").order_by("start"):
        events_by_eq[ev.equipment_id].append(ev)
    # Counts: one grouped aggregate by equipment and range (requests of many equipment share their ranges: a
    # window's edges), each row labelled with its range.
    ranges: dict[tuple, int] = {}
    request_of: dict[tuple, int] = {}
    for i, r in live:
        key = (r.start, r.end, r.product_id)
        k = ranges.setdefault(key, len(ranges))
        request_of[(r.equipment.pk, k)] = i
    ids_of: dict[int, set[int]] = defaultdict(set)
    for eq_id, k in request_of:
        ids_of[k].add(eq_id)
    whens, count_q = [], Q(pk__in=[])
    for (a, b, product_id), k in ranges.items():
        qk = Q(equipment_id__in=sorted(ids_of[k]), ts__gte=a, ts__lt=b)
        if product_id is not None:
            qk &= Q(product_id=product_id)
        whens.append(When(qk, then=Value(k)))
        count_q |= qk
    rows = (CountDelta.objects.filter(count_q).annotate(rng=Case(*whens, default=Value(-1),
                                                                 output_field=IntegerField()))
            .values("equipment_id", "rng").order_by().annotate(**_COUNT_SUMS))
    for row in rows:
        i = request_of.get((row["equipment_id"], row["rng"]))
        if i is not None:
            _add_count_row(out[i], row)
    segments: dict[tuple, list] = {}
    for i, r in live:
        eq = r.equipment
        cal = calendars.get(eq.line_id)
        if cal is None:
            cal = calendars[eq.line_id] = LineCalendar(eq.line)
        ivs = [iv for iv in intervals_by_eq.get(eq.pk, ()) if iv.start < r.end and (iv.end is None or iv.end > r.start)]
        evs = [e for e in events_by_eq.get(eq.pk, ()) if e.start < r.end and (e.end is None or e.end > r.start)]
        key = (eq.line_id, r.start, r.end)
        if key not in segments:
            segments[key] = cal.segments(r.start, r.end)
        _accumulate_time(out[i], equipment=eq, start=r.start, end=r.end,
                         as_of=min(as_of, open_until.get(eq.pk, as_of)), calendar=cal, segments=segments[key],
                         product_id=r.product_id, intervals=ivs, events=evs)


def _accumulate_time(acc: Accumulator, *, equipment, start, end, as_of, calendar, product_id, intervals,
                     events, segments=None) -> None:
    threshold = float(equipment.small_stop_threshold_s)
    # Base segments covering [start, end) exactly: (a, b, interval or None).
    base: list[tuple[dt.datetime, dt.datetime, StateInterval | None]] = []
    cursor = start
    for iv in intervals:
        iv_end = iv.end or as_of
        a, b = max(iv.start, start), min(iv_end, end)
        if b <= a:
            continue
        if a > cursor:
            base.append((cursor, a, None))
        base.append((max(a, cursor), b, iv))
        cursor = max(cursor, b)
    if cursor < end:
        base.append((cursor, end, None))
    cal = segments if segments is not None else calendar.segments(start, end)
    ev_starts = [e.start for e in events]

    def add_unplanned(a: dt.datetime, b: dt.datetime) -> None:
        # Split an unplanned piece by the events covering it: planned reasons move time to planned_stop.
        i = max(bisect.bisect_right(ev_starts, a) - 1, 0)
        cursor_ = a
        while cursor_ < b:
            ev = None
            while i < len(events):
                e_end = events[i].end or as_of
                if e_end <= cursor_:
                    i += 1
                    continue
                ev = events[i]
                break
            if ev is None or ev.start >= b:
                acc.state_s["unplanned_stop"] += (b - cursor_).total_seconds()
                acc.reason_s[None] += (b - cursor_).total_seconds()
                return
            if ev.start > cursor_:
                acc.state_s["unplanned_stop"] += (ev.start - cursor_).total_seconds()
                acc.reason_s[None] += (ev.start - cursor_).total_seconds()
                cursor_ = ev.start
            stop = min(ev.end or as_of, b)
            secs = (stop - cursor_).total_seconds()
            if ev.reason_id and ev.reason.category.planned:
                acc.state_s["planned_stop"] += secs
            else:
                acc.state_s["unplanned_stop"] += secs
                acc.reason_s[ev.reason_id] += secs
            cursor_ = stop
            i += 1

    ci = 0
    for a, b, iv in base:
        if product_id is not None and (iv is None or iv.product_id != product_id):
            continue
        state = iv.state if iv is not None else BaseState.NO_DATA
        kind = _stop_kind(iv, iv.end or as_of, threshold) if state == BaseState.STOPPED else None
        while ci > 0 and cal[ci][0] > a:
            ci -= 1
        while cal[ci][1] <= a:
            ci += 1
        j = ci
        while j < len(cal) and cal[j][0] < b:
            x, y = max(a, cal[j][0]), min(b, cal[j][1])
            label = cal[j][2]
            secs = (y - x).total_seconds()
            if state == BaseState.RUNNING:
                effective = "running"  # running in a break or outside shifts is unplanned production: in PPT
            elif label == UNSCHEDULED:
                effective = "not_scheduled"
            elif label == BREAK:
                effective = "planned_stop"
            elif state == BaseState.STOPPED:
                effective = kind
            else:
                effective = str(state)
            if effective == "unplanned_stop":
                add_unplanned(x, y)
            else:
                acc.state_s[effective] += secs
            if effective == "small_stop" and iv is not None and x == iv.start:
                acc.small_stop_count += 1
            j += 1
    acc.stop_count += sum(1 for e in events if e.counted and start <= e.start < end
                         and not (e.reason_id and e.reason.category.planned)
                         and (product_id is None or _product_at(intervals, e.start) == product_id))


def _product_at(intervals, moment):
    for iv in intervals:
        if iv.start <= moment and (iv.end is None or moment < iv.end):
            return iv.product_id
    return None


_COUNT_SUMS = {
    "n_total": Sum("total"), "n_reject": Sum("reject"), "n_rework": Sum("rework"),
    "ict_total": Sum(F("ict_s") * F("total")),
    "ict_good": Sum(F("ict_s") * (F("total") - F("reject") - F("rework"))),
    "without_ict": Sum("total", filter=Q(ict_s__isnull=True)),
}


def _add_count_row(acc: Accumulator, agg: dict) -> None:
    acc.total += agg["n_total"] or 0
    acc.reject += agg["n_reject"] or 0
    acc.rework += agg["n_rework"] or 0
    acc.ict_total_s += agg["ict_total"] or 0.0
    acc.ict_good_s += agg["ict_good"] or 0.0
    acc.count_without_ict += agg["without_ict"] or 0


def _add_counts(acc: Accumulator, counts) -> None:
    _add_count_row(acc, counts.aggregate(**_COUNT_SUMS))


ROLLUP_STATE_FIELDS = {s: f"{s}_s" for s in STATES}


def accumulate_rollups(q: Q, *, model=HourRollup, reason_model=HourReasonRollup) -> Accumulator:
    """Sum rollup rows matching ``q`` in the database (one aggregate query plus one for reasons)."""
    acc = Accumulator()
    sums = {f"s_{s}": Sum(col) for s, col in ROLLUP_STATE_FIELDS.items()}
    agg = model.objects.filter(q).aggregate(
        **sums, n_total=Sum("total"), n_reject=Sum("reject"), n_rework=Sum("rework"), ict_total=Sum("ict_total_s"),
        ict_good=Sum("ict_good_s"), without_ict=Sum("count_without_ict"), small=Sum("small_stop_count"),
        stops=Sum("stop_count"))
    for s in STATES:
        acc.state_s[s] = agg[f"s_{s}"] or 0.0
    acc.total, acc.reject, acc.rework = agg["n_total"] or 0, agg["n_reject"] or 0, agg["n_rework"] or 0
    acc.ict_total_s, acc.ict_good_s = agg["ict_total"] or 0.0, agg["ict_good"] or 0.0
    acc.count_without_ict = agg["without_ict"] or 0
    acc.small_stop_count, acc.stop_count = agg["small"] or 0, agg["stops"] or 0
    for row in reason_model.objects.filter(q).values("reason_id").annotate(s=Sum("seconds")):
        acc.reason_s[row["reason_id"]] += row["s"] or 0.0
    return acc


DAY = dt.timedelta(days=1)


def _floor_day(t: dt.datetime) -> dt.datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def _ceil_day(t: dt.datetime) -> dt.datetime:
    f = _floor_day(t)
    return f if f == t else f + DAY


def _floor_hour(t: dt.datetime) -> dt.datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(t: dt.datetime) -> dt.datetime:
    f = _floor_hour(t)
    return f if f == t else f + HOUR


def accumulate(*, equipment_list, spans: Iterable[tuple[dt.datetime, dt.datetime]], as_of: dt.datetime,
               use_rollups: bool = True, product_id: int | None = None) -> Accumulator:
    """Sum the additive parts of every equipment over every span: day rollups for whole rolled-up UTC days, hour
    rollups for the other whole rolled-up hours, raw rows for the rest (partial hours, not yet rolled up)."""
    acc = Accumulator()
    calendars: dict[int, LineCalendar] = {}
    watermarks, last_change = {}, {}
    for pk, frm, to, changed in EquipmentRuntime.objects.filter(equipment__in=equipment_list).values_list(
            "equipment_id", "rolled_up_from", "rolled_up_to", "last_change_ts"):
        watermarks[pk], last_change[pk] = (frm, to), changed
    # Equipment whose PLC worker stopped heartbeating: its open interval ends where it was last seen (then no_data).
    open_until = {pk: seen for pk, seen in stale_equipment([eq.pk for eq in equipment_list],
                                                          last_change=last_change).items() if seen < as_of}
    raw: list[RawRequest] = []
    hour_ranges: dict[tuple, list[int]] = defaultdict(list)  # (h0, h1) -> equipment ids
    day_ranges: dict[tuple, list[int]] = defaultdict(list)
    for a, b in spans:
        b = min(b, as_of)
        if b <= a:
            continue
        for eq in equipment_list:
            if eq.line_id not in calendars:
                calendars[eq.line_id] = LineCalendar(eq.line)
            wm_from, wm = watermarks.get(eq.pk, (None, None))
            h0, h1 = _ceil_hour(a), _floor_hour(b)
            rolled = use_rollups and product_id is None and wm is not None and wm_from is not None
            if rolled:
                h0, h1 = max(h0, wm_from), min(h1, _floor_hour(wm))
            if not rolled or h1 <= h0:
                raw.append(RawRequest(eq, a, b, product_id))
                continue
            d0, d1 = _ceil_day(h0), _floor_day(h1)
            if d1 > d0:
                day_ranges[(d0, d1)].append(eq.pk)
                for x, y in ((h0, d0), (d1, h1)):
                    if y > x:
                        hour_ranges[(x, y)].append(eq.pk)
            else:
                hour_ranges[(h0, h1)].append(eq.pk)
            raw.append(RawRequest(eq, a, h0))
            raw.append(RawRequest(eq, h1, b))
    # Partial edge hours (and anything not rolled up) of every equipment and span: one query per table in all.
    for part in accumulate_raw_many(raw, as_of=as_of, calendars=calendars, open_until=open_until):
        acc.add(part)
    if hour_ranges:
        q = Q(pk__in=[])
        for (x, y), ids in hour_ranges.items():
            q |= Q(equipment_id__in=ids, hour__gte=x, hour__lt=y)
        acc.add(accumulate_rollups(q))
    if day_ranges:
        q = Q(pk__in=[])
        for (x, y), ids in day_ranges.items():
            q |= Q(equipment_id__in=ids, day__gte=x, day__lt=y)
        acc.add(accumulate_rollups(q, model=DayRollup, reason_model=DayReasonRollup))
    return acc


@dataclass
class OeeFigures:
    policy: str
    start: dt.datetime
    end: dt.datetime
    calendar_time_s: float
    planned_production_time_s: float
    run_time_s: float
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    teep: float | None
    count_quality: float | None
    scrap_ratio: float | None
    rework_ratio: float | None
    total_count: int
    good_count: int
    reject_count: int
    rework_count: int
    small_stop_count: int
    small_stop_s: float
    downtime_s: float
    stop_count: int
    mtbf_s: float | None
    mttr_s: float | None
    time_per_state: dict
    six_big_losses: dict
    downtime_by_reason: dict
    flags: list
    ideal_time_good_s: float = 0.0
    ideal_time_total_s: float = 0.0
    downtime_events: list = field(default_factory=list)

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        return d


def _div(a: float, b: float) -> float | None:
    return a / b if b else None


def figures_from(acc: Accumulator, *, policy: Policy, start: dt.datetime, end: dt.datetime,
                 reason_names: dict | None = None) -> OeeFigures:
    """Apply a policy to summed parts (shared/OEE.md §2–§3)."""
    calendar_s = sum(acc.state_s.values())
    bucket_s = defaultdict(float)
    for state, secs in acc.state_s.items():
        bucket_s[policy.buckets[state]] += secs
    ppt = calendar_s - bucket_s[EXCLUDED]
    run = ppt - bucket_s[AVAILABILITY]
    good = acc.total - acc.reject - acc.rework
    performance = _div(acc.ict_total_s, run)
    flags = []
    if performance is not None and performance > 1.0 + 1e-9:
        flags.append("ict_suspect")
    if acc.state_s["no_data"] > 0:
        flags.append("no_data")
    if acc.state_s["pending_stop"] > 0:
        flags.append("pending_stop")
    if acc.count_without_ict:
        flags.append("missing_ict")
    if good < 0:
        flags.append("rejects_exceed_total")
    downtime = acc.state_s["unplanned_stop"]
    speed_loss = run - acc.ict_total_s - (acc.state_s["small_stop"] if policy.buckets["small_stop"] == PERFORMANCE
                                          else 0.0)
    reason_names = reason_names or {}
    return OeeFigures(
        policy=policy.label, start=start, end=end, calendar_time_s=calendar_s, planned_production_time_s=ppt,
        run_time_s=run, availability=_div(run, ppt), performance=performance,
        quality=_div(acc.ict_good_s, acc.ict_total_s), oee=_div(acc.ict_good_s, ppt),
        teep=_div(acc.ict_good_s, calendar_s), count_quality=_div(good, acc.total),
        scrap_ratio=_div(acc.reject, acc.total), rework_ratio=_div(acc.rework, acc.total),
        total_count=acc.total, good_count=good, reject_count=acc.reject, rework_count=acc.rework,
        small_stop_count=acc.small_stop_count, small_stop_s=acc.state_s["small_stop"], downtime_s=downtime,
        stop_count=acc.stop_count, mtbf_s=_div(run, acc.stop_count), mttr_s=_div(downtime, acc.stop_count),
        time_per_state=dict(acc.state_s),
        six_big_losses={
            "breakdowns_s": downtime + acc.state_s["pending_stop"],
            "setup_and_adjustments_s": acc.state_s["changeover"],
            "small_stops_s": acc.state_s["small_stop"],
            "reduced_speed_s": speed_loss,
            "production_rejects_s": acc.ict_total_s - acc.ict_good_s,
            "startup_rejects_s": None,  # rejects are not told apart by start-up vs steady state yet
        },
        downtime_by_reason={reason_names.get(k, "uncoded" if k is None else str(k)): v
                            for k, v in sorted(acc.reason_s.items(), key=lambda kv: -kv[1]) if v},
        flags=flags, ideal_time_good_s=acc.ict_good_s, ideal_time_total_s=acc.ict_total_s,
    )


def _reason_names(ids) -> dict:
    from apps.lines.models import DowntimeReason

    names = {None: "uncoded"}
    if all(i is None for i in ids):
        return names
    for r in DowntimeReason.objects.filter(pk__in=[i for i in ids if i is not None]):
        names[r.pk] = r.code
    return names


def downtime_events_in(equipment_list, start: dt.datetime, end: dt.datetime, as_of: dt.datetime) -> list[dict]:
    from apps.downtime.models import DowntimeEvent

    rows = []
    events = DowntimeEvent.objects.filter(equipment__in=equipment_list, start__lt=end).filter(
        Q(end__isnull=True) | Q(end__gt=start)).select_related("reason__category", "equipment").order_by("start")
    for e in events:
        a, b = max(e.start, start), min(e.end or as_of, end)
        rows.append({
            "id": e.pk, "equipment": e.equipment.code, "start": e.start.isoformat(),
            "end": e.end.isoformat() if e.end else None, "seconds": max((b - a).total_seconds(), 0.0),
            "reason": e.reason.code if e.reason_id else None,
            "category": e.reason.category.code if e.reason_id else None,
            "started_in_window": bool(e.counted and start <= e.start < end),
        })
    return rows


def oee_compute(*, equipment_list, start: dt.datetime, end: dt.datetime, policy: str | Policy | None = None,
                spans: list[tuple[dt.datetime, dt.datetime]] | None = None, as_of: dt.datetime | None = None,
                use_rollups: bool = True, product_id: int | None = None,
                with_events: bool = True) -> OeeFigures:
    """OEE of some equipment over [start, end) (or over the union of disjoint ``spans``, e.g. the shifts of a
    production date). Time after ``as_of`` (default: now) has not happened and is not counted.

    ``policy`` defaults to the line's ``oee_policy`` (of the first equipment). One function for every screen.
    """
    equipment_list = list(equipment_list)
    as_of = as_of or timezone.now()
    if policy is None:
        policy = equipment_list[0].line.oee_policy if equipment_list else "oee_com"
    if isinstance(policy, str):
        policy = policy_get(policy)
    spans = spans or [(start, end)]
    acc = accumulate(equipment_list=equipment_list, spans=spans, as_of=as_of, use_rollups=use_rollups,
                     product_id=product_id)
    figures = figures_from(acc, policy=policy, start=start, end=min(end, max(as_of, start)),
                           reason_names=_reason_names(acc.reason_s))
    if len({eq.line.oee_policy for eq in equipment_list}) > 1:
        figures.flags.append("mixed_line_policies")
    if with_events:
        for a, b in spans:
            figures.downtime_events.extend(downtime_events_in(equipment_list, a, min(b, as_of), as_of))
    return figures
