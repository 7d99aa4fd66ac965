"""Andon reads. ``andon_calls_in`` and ``andon_kpis`` are the contract the Reports engine calls: the caller scopes
``line_ids`` by permission (apps/accounts/access.visible_lines) before asking."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from apps.andon.choices import LIVE_STATUSES
from apps.andon.models import AndonCall, AndonCallEvent

AGEING_BUCKETS = ((5 * 60, "< 5 min"), (15 * 60, "5–15 min"), (60 * 60, "15–60 min"), (None, "> 60 min"))


def andon_calls_in(*, line_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> QuerySet[AndonCall]:
    """Calls of these lines opened in [start, end), oldest first, with line, equipment and responders joined."""
    return (AndonCall.objects.filter(line_id__in=list(line_ids), opened_at__gte=start, opened_at__lt=end)
            .select_related("line", "equipment", "raised_by", "acknowledged_by", "resolved_by")
            .order_by("opened_at", "pk"))


def _stats(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "mean_s": None, "median_s": None, "p90_s": None, "max_s": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, max(0, int(round(0.9 * len(ordered) + 0.5)) - 1))]
    return {"count": len(values), "mean_s": round(statistics.fmean(values), 1),
            "median_s": round(statistics.median(values), 1), "p90_s": round(p90, 1), "max_s": round(ordered[-1], 1)}


def andon_kpis(*, line_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> dict:
    """Response-time KPIs of calls opened in [start, end):

    ``{"calls": n, "by_status": {...}, "tta": stats, "ttr": stats, "by": {"line"|"category"|"priority"|"shift":
    {key: {"calls", "tta", "ttr"}}}, "open_ageing": {"as_of", "buckets": {label: n}, "oldest_s"}}``

    tta = time to acknowledge (opened → acknowledged), ttr = time to resolve (opened → resolved); stats are
    count/mean/median/p90/max in seconds over the calls that reached that state; cancelled calls count in
    ``calls`` but in neither. Open-call ageing is measured at ``min(end, now)`` over calls live at that moment.
    Line keys are line codes; shift keys are shift codes ("" = outside any shift).
    """
    line_ids = list(line_ids)
    calls = list(andon_calls_in(line_ids=line_ids, start=start, end=end))
    by_status: dict[str, int] = defaultdict(int)
    groups: dict[str, dict[str, dict[str, list]]] = {g: defaultdict(lambda: {"tta": [], "ttr": [], "n": 0})
                                                     for g in ("line", "category", "priority", "shift")}
    tta, ttr = [], []
    for call in calls:
        by_status[call.status] += 1
        keys = {"line": call.line.code, "category": call.category or "", "priority": call.priority,
                "shift": call.shift_code}
        a = (call.acknowledged_at - call.opened_at).total_seconds() if call.acknowledged_at else None
        r = (call.resolved_at - call.opened_at).total_seconds() if call.resolved_at else None
        for group, key in keys.items():
            bucket = groups[group][key]
            bucket["n"] += 1
            if a is not None:
                bucket["tta"].append(a)
            if r is not None:
                bucket["ttr"].append(r)
        if a is not None:
            tta.append(a)
        if r is not None:
            ttr.append(r)
    as_of = min(end, timezone.now())
    live = AndonCall.objects.filter(line_id__in=line_ids, opened_at__lt=as_of).exclude(
        resolved_at__lte=as_of).exclude(cancelled_at__lte=as_of).exclude(
        status__in=["resolved", "cancelled"], resolved_at__isnull=True, cancelled_at__isnull=True)
    ages = [(as_of - opened).total_seconds() for opened in live.values_list("opened_at", flat=True)]
    buckets = {label: 0 for _, label in AGEING_BUCKETS}
    for age in ages:
        for limit, label in AGEING_BUCKETS:
            if limit is None or age < limit:
                buckets[label] += 1
                break
    return {
        "start": start, "end": end, "calls": len(calls), "by_status": dict(by_status),
        "tta": _stats(tta), "ttr": _stats(ttr),
        "by": {group: {key: {"calls": v["n"], "tta": _stats(v["tta"]), "ttr": _stats(v["ttr"])}
                       for key, v in sorted(values.items())} for group, values in groups.items()},
        "open_ageing": {"as_of": as_of, "buckets": buckets, "open": len(ages),
                        "oldest_s": round(max(ages), 1) if ages else None},
    }


def live_calls(*, line_ids: Iterable[int]) -> QuerySet[AndonCall]:
    """Open and acknowledged calls, most urgent first (critical, then oldest)."""
    from django.db.models import Case, IntegerField, Value, When

    rank = Case(*[When(priority=p, then=Value(i)) for i, p in enumerate(["critical", "high", "medium", "low"])],
                output_field=IntegerField())
    return (AndonCall.objects.filter(line_id__in=list(line_ids), status__in=LIVE_STATUSES)
            .select_related("line", "equipment", "acknowledged_by", "raised_by")
            .annotate(rank=rank).order_by("-status", "rank", "opened_at"))


def call_timeline(*, call_id: int) -> QuerySet[AndonCallEvent]:
    return AndonCallEvent.objects.filter(call_id=call_id).select_related("user").order_by("at", "pk")
