"""Read paths of reports. ``report_data`` assembles every section of one report for one line and window into plain
tables; the PDF and the CSV export are both rendered from these same tables, so they cannot disagree.

Every figure comes from the OEE engine (``apps.oee.selectors`` / ``apps.oee.calculator.oee_compute``, shared/OEE.md
§7); nothing here recomputes or rounds a figure. Values stay raw in the tables; the PDF formats them at display
time, the CSV writes them unrounded. Callers check line access first (apps/accounts/access.py).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from apps.lines.models import Equipment, Line, Product
from apps.oee.calculator import oee_compute
from apps.oee.calendar import SHIFT, LineCalendar
from apps.oee.windows import windows_for
from apps.reports.choices import DEFAULT_SECTIONS, SECTIONS, ReportKind

UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)
HOURLY_MAX = dt.timedelta(hours=48)


@dataclass
class Table:
    """A table of raw values. ``columns`` are (key, header, fmt); fmt is one of pct (a ratio), min (seconds shown
    in minutes), int, num, text, dt (an aware datetime, shown in the site's zone), or row (the format is the
    row's ``unit`` cell)."""

    name: str
    title: str
    columns: list[tuple[str, str, str]]
    rows: list[list] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    available: bool = True
    note: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list = field(default_factory=list)  # reportlab Drawings, rendered to SVG by apps/reports/charts.py


@dataclass
class ReportData:
    line: Line
    kind: str
    title: str
    start: dt.datetime
    end: dt.datetime
    as_of: dt.datetime
    tz: object
    figures: object  # the line's OeeFigures for the whole window
    sections: list[Section]
    equipment: list


# -- helpers -----------------------------------------------------------------------------------------------------

def line_equipment(line: Line) -> list[Equipment]:
    """The equipment a line's figures are summed over: the same list the ``oee`` command and line_oee use."""
    return list(Equipment.objects.filter(line=line, active=True).select_related("line__area__site")
                .order_by("position", "code"))


def _figures(equipment, start, end, *, as_of, spans=None, product_id=None, with_events=False):
    return oee_compute(equipment_list=equipment, start=start, end=end, spans=spans, as_of=as_of,
                       product_id=product_id, with_events=with_events)


def _optional(module: str, name: str):
    """A contract function of another app, or None when that app does not provide it (yet)."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _guess_fmt(value) -> str:
    if isinstance(value, bool) or value is None:
        return "text"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "num"
    if isinstance(value, dt.datetime):
        return "dt"
    return "text"


def _dict_table(name: str, title: str, rows: list[dict], *, shown: list[str] | None = None,
                fmts: dict | None = None) -> Table:
    """A table from a list of dicts of another app's contract: every key goes to the CSV; only ``shown`` keys
    (default all) are printed in the PDF, so wide contracts stay readable on A4."""
    keys: list[str] = list(shown or [])
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    guessed = {k: next((_guess_fmt(r.get(k)) for r in rows if r.get(k) is not None), "text") for k in keys}
    guessed.update({k: "min" for k in keys if k.endswith("_s") and guessed[k] in ("int", "num")})
    guessed.update(fmts or {})
    if shown:
        guessed.update({k: "hidden_dt" if guessed[k] == "dt" else "hidden" for k in keys if k not in shown})
    return Table(name, title, [(k, k.replace("_", " "), guessed[k]) for k in keys],
                 [[r.get(k) if not isinstance(r.get(k), (list, dict)) else ", ".join(map(str, r.get(k)))
                   for k in keys] for r in rows])


def _oee_row(label, fig) -> list:
    return [label, fig.total_count, fig.good_count, fig.reject_count, fig.rework_count, fig.planned_production_time_s,
            fig.availability, fig.performance, fig.quality, fig.oee]


OEE_ROW_COLUMNS = [("window", "Window", "text"), ("total", "Total", "int"), ("good", "Good", "int"),
                   ("reject", "Reject", "int"), ("rework", "Rework", "int"),
                   ("planned_production_time_s", "Planned", "min"), ("availability", "A", "pct"),
                   ("performance", "P", "pct"), ("quality", "Q", "pct"), ("oee", "OEE", "pct")]


def _local_label(moment: dt.datetime, tz, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    return moment.astimezone(tz).strftime(fmt)


def _window_label(label: str, spans, tz) -> str:
    """Windows from apps/oee/windows.py are labelled by ISO timestamps or keys; show local times for hours."""
    if "T" in label and "/" not in label:
        return _local_label(spans[0][0], tz, "%a %H:%M %Z")
    return label


# -- sections ----------------------------------------------------------------------------------------------------

def _section_oee(ctx: ReportData) -> Section:
    from apps.reports import charts

    fig, line = ctx.figures, ctx.line
    s = Section("oee", SECTIONS["oee"])
    targets = {"availability": line.target_availability, "performance": line.target_performance,
               "quality": line.target_quality, "oee": line.target_oee}
    kpi = Table("oee_summary", "OEE against targets", [("figure", "Figure", "text"), ("actual", "Actual", "pct"),
                                                      ("target", "Target", "pct"), ("met", "Target met", "text")])
    for key, label in (("oee", "OEE"), ("availability", "Availability"), ("performance", "Performance"),
                       ("quality", "Quality")):
        value, target = getattr(fig, key), float(targets[key])
        met = "—" if value is None else ("yes" if value >= target else "no")
        kpi.rows.append([label, value, target, met])
    kpi.rows.append(["TEEP", fig.teep, None, ""])
    s.tables.append(kpi)
    detail = Table("oee_detail", "Time and counts", [("figure", "Figure", "text"), ("value", "Value", "row"),
                                                     ("unit", "Unit", "hidden")])
    for label, value, unit in (
            ("Calendar time", fig.calendar_time_s, "min"), ("Planned production time", fig.planned_production_time_s,
                                                            "min"),
            ("Run time", fig.run_time_s, "min"), ("Downtime (unplanned stops)", fig.downtime_s, "min"),
            ("Small stops", fig.small_stop_count, "int"), ("Small stop time", fig.small_stop_s, "min"),
            ("Stops", fig.stop_count, "int"), ("MTBF", fig.mtbf_s, "min"), ("MTTR", fig.mttr_s, "min"),
            ("Total count", fig.total_count, "int"), ("Good count", fig.good_count, "int"),
            ("Reject count", fig.reject_count, "int"), ("Rework count", fig.rework_count, "int"),
            ("No data time", fig.time_per_state.get("no_data", 0.0), "min")):
        detail.rows.append([label, value, unit])
    s.tables.append(detail)
    s.note = f"Policy {fig.policy}." + (f" Flags: {', '.join(fig.flags)}." if fig.flags else "")
    s.charts.append(charts.kpi_bars([r[0] for r in kpi.rows[:4]], [r[1] for r in kpi.rows[:4]],
                                    [r[2] for r in kpi.rows[:4]]))
    return s


def _section_hourly(ctx: ReportData) -> Section:
    """Target vs actual per hour. Target = scheduled seconds of the hour (breaks and unscheduled time removed)
    ÷ the window's mean ideal cycle time (ideal time of what was made ÷ units made) × the line's OEE target."""
    from apps.reports import charts

    s = Section("hourly", SECTIONS["hourly"])
    if ctx.end - ctx.start > HOURLY_MAX:
        s.available = False
        s.note = (f"Hour by hour is shown for windows of up to {HOURLY_MAX.total_seconds() / 3600:.0f} hours; "
                  "use the OEE trend for longer windows.")
        return s
    fig = ctx.figures
    ict = fig.ideal_time_total_s / fig.total_count if fig.total_count and fig.ideal_time_total_s else None
    target_oee = float(ctx.line.target_oee)
    calendar = LineCalendar(ctx.line)
    t = Table("hourly", "Hour by hour", [
        ("hour", "Hour", "text"), ("start", "Start (UTC)", "hidden_dt"), ("scheduled_s", "Scheduled", "min"),
        ("target", "Target", "num0"), ("total", "Total", "int"), ("good", "Good", "int"),
        ("cumulative_target", "Cum. target", "num0"), ("cumulative_good", "Cum. good", "int"),
        ("oee", "OEE", "pct"), ("flags", "Flags", "text")])
    h = ctx.start.replace(minute=0, second=0, microsecond=0)
    cum_t, cum_g = 0.0, 0
    while h < ctx.end:
        a, b = max(h, ctx.start), min(h + HOUR, ctx.end)
        hf = _figures(ctx.equipment, a, b, as_of=ctx.as_of)
        scheduled = sum((y - x).total_seconds() for x, y, label in calendar.segments(a, b) if label == SHIFT)
        target = scheduled / ict * target_oee if ict else None
        cum_t += target or 0.0
        cum_g += hf.good_count
        t.rows.append([_local_label(a, ctx.tz, "%H:%M %Z"), a, scheduled, target, hf.total_count, hf.good_count,
                       cum_t if ict else None, cum_g, hf.oee, ", ".join(hf.flags)])
        h += HOUR
    s.tables.append(t)
    if ict is None:
        s.note = "No units with an ideal cycle time were made in this window, so hourly targets cannot be set."
    else:
        s.note = (f"Target = scheduled time of the hour (breaks removed) ÷ mean ideal cycle time {ict:.3f} s "
                  f"× OEE target {target_oee * 100:.1f} %.")
    if t.rows:
        s.charts.append(charts.grouped_bars([r[0] for r in t.rows], [("Target", [r[3] or 0 for r in t.rows]),
                                                                    ("Good", [r[5] for r in t.rows])],
                                            title="Target vs good units per hour"))
    return s


def _windows(ctx: ReportData, by: str):
    return windows_for(line=ctx.line, start=ctx.start, end=ctx.end, by=by)


def _grouping(ctx: ReportData) -> str:
    days = (ctx.end - ctx.start).total_seconds() / 86400
    if days <= 1.01:
        return "hour"
    has_shifts = bool(LineCalendar(ctx.line).shifts)
    return "production_date" if has_shifts else "day"


def _oee_windows_table(ctx: ReportData, name: str, title: str, by: str) -> Table:
    t = Table(name, title, list(OEE_ROW_COLUMNS))
    for label, spans in _windows(ctx, by):
        fig = _figures(ctx.equipment, spans[0][0], spans[-1][1], spans=spans, as_of=ctx.as_of)
        t.rows.append(_oee_row(_window_label(label, spans, ctx.tz), fig))
    return t


def _section_production(ctx: ReportData) -> Section:
    s = Section("production", SECTIONS["production"])
    days = (ctx.end - ctx.start).total_seconds() / 86400
    has_shifts = bool(LineCalendar(ctx.line).shifts)
    by = "shift" if has_shifts and days <= 1.5 else ("production_date" if has_shifts else "day")
    s.tables.append(_oee_windows_table(ctx, "production", f"Production by {by.replace('_', ' ')}", by))
    s.tables[0].rows.append(_oee_row("Total", ctx.figures))
    if not has_shifts:
        s.note = "The line has no shift pattern: production is shown per calendar day."
    return s


def _section_trend(ctx: ReportData) -> Section:
    from apps.reports import charts

    s = Section("trend", SECTIONS["trend"])
    by = _grouping(ctx)
    t = _oee_windows_table(ctx, "trend", f"OEE per {by.replace('_', ' ')}", by)
    s.tables.append(t)
    if t.rows:
        s.charts.append(charts.trend([r[0] for r in t.rows], [r[-1] for r in t.rows], float(ctx.line.target_oee)))
    return s


def _section_by_shift(ctx: ReportData) -> Section:
    s = Section("by_shift", SECTIONS["by_shift"])
    t = _oee_windows_table(ctx, "by_shift", "OEE per shift", "shift")
    s.tables.append(t)
    if not t.rows:
        s.note = "No shift instance falls in this window."
    return s


def _section_losses(ctx: ReportData) -> Section:
    fig = ctx.figures
    s = Section("losses", SECTIONS["losses"])
    t = Table("six_big_losses", "Six big losses", [("loss", "Loss", "text"), ("seconds", "Time", "min")])
    for k, v in fig.six_big_losses.items():
        t.rows.append([k.removesuffix("_s").replace("_", " "), v])
    s.tables.append(t)
    st = Table("time_per_state", "Time per state", [("state", "State", "text"), ("seconds", "Time", "min"),
                                                    ("share", "Share of calendar", "pct")])
    for k, v in fig.time_per_state.items():
        st.rows.append([k.replace("_", " "), v, v / fig.calendar_time_s if fig.calendar_time_s else None])
    s.tables.append(st)
    s.note = "Start-up rejects are not told apart from production rejects yet (shown empty)."
    return s


def _products_in(ctx: ReportData) -> list[Product]:
    from apps.oee.models import CountDelta, StateInterval

    eq_ids = [e.pk for e in ctx.equipment]
    ids = set(CountDelta.objects.filter(equipment_id__in=eq_ids, ts__gte=ctx.start, ts__lt=ctx.end,
                                        product__isnull=False).values_list("product_id", flat=True).distinct())
    ids |= set(StateInterval.objects.filter(equipment_id__in=eq_ids, start__lt=ctx.end, product__isnull=False)
               .filter(Q(end__isnull=True) | Q(end__gt=ctx.start)).values_list("product_id", flat=True).distinct())
    return list(Product.objects.filter(pk__in=ids).order_by("code"))


def _section_by_product(ctx: ReportData) -> Section:
    s = Section("by_product", SECTIONS["by_product"])
    t = Table("by_product", "OEE per product", [("product", "Product", "text")] + OEE_ROW_COLUMNS[1:])
    for p in _products_in(ctx):
        fig = _figures(ctx.equipment, ctx.start, ctx.end, as_of=ctx.as_of, product_id=p.pk)
        t.rows.append(_oee_row(f"{p.code} {p.name}", fig))
    s.tables.append(t)
    if not t.rows:
        s.note = "No product ran in this window."
    return s


def _section_downtime(ctx: ReportData) -> Section:
    from apps.reports import charts

    fig = ctx.figures
    s = Section("downtime", SECTIONS["downtime"])
    occurrences: dict[str, int] = {}
    for e in fig.downtime_events:
        if e["started_in_window"]:
            key = e["reason"] or "uncoded"
            occurrences[key] = occurrences.get(key, 0) + 1
    total = sum(fig.downtime_by_reason.values())
    pareto = Table("downtime_pareto", "Downtime Pareto (unplanned stops by reason)", [
        ("reason", "Reason", "text"), ("seconds", "Time", "min"), ("stops", "Stops", "int"),
        ("share", "Share", "pct"), ("cumulative", "Cumulative", "pct")])
    cum = 0.0
    for reason, secs in fig.downtime_by_reason.items():
        cum += secs
        pareto.rows.append([reason, secs, occurrences.get(reason, 0), secs / total if total else None,
                            cum / total if total else None])
    s.tables.append(pareto)
    events = Table("downtime_events", "Downtime events", [
        ("equipment", "Equipment", "text"), ("start", "Start", "dt"), ("end", "End", "dt"),
        ("seconds", "In window", "min"), ("reason", "Reason", "text"), ("category", "Category", "text")])
    for e in fig.downtime_events:
        events.rows.append([e["equipment"], dt.datetime.fromisoformat(e["start"]),
                            dt.datetime.fromisoformat(e["end"]) if e["end"] else None, e["seconds"],
                            e["reason"] or "uncoded", e["category"] or ""])
    s.tables.append(events)
    if pareto.rows:
        s.charts.append(charts.pareto([r[0] for r in pareto.rows], [r[1] / 60 for r in pareto.rows],
                                      [r[4] for r in pareto.rows]))
    else:
        s.note = "No unplanned downtime in this window."
    return s


def _section_equipment(ctx: ReportData) -> Section:
    s = Section("equipment", SECTIONS["equipment"])
    t = Table("equipment_reliability", "Reliability per equipment", [
        ("equipment", "Equipment", "text"), ("stops", "Stops", "int"), ("downtime_s", "Downtime", "min"),
        ("run_time_s", "Run time", "min"), ("mtbf_s", "MTBF", "min"), ("mttr_s", "MTTR", "min"),
        ("top_reasons", "Top reasons", "text")])
    for eq in ctx.equipment:
        fig = _figures([eq], ctx.start, ctx.end, as_of=ctx.as_of)
        top = ", ".join(f"{r} ({v / 60:.1f} min)" for r, v in list(fig.downtime_by_reason.items())[:3])
        t.rows.append([eq.code, fig.stop_count, fig.downtime_s, fig.run_time_s, fig.mtbf_s, fig.mttr_s, top])
    f = ctx.figures
    t.rows.append(["Line", f.stop_count, f.downtime_s, f.run_time_s, f.mtbf_s, f.mttr_s,
                   ", ".join(f"{r} ({v / 60:.1f} min)" for r, v in list(f.downtime_by_reason.items())[:3])])
    s.tables.append(t)
    s.note = "MTBF = run time ÷ stops; MTTR = unplanned downtime ÷ stops (a stop counts in the window it started)."
    return s


def _section_quality(ctx: ReportData) -> Section:
    s = Section("quality", SECTIONS["quality"])
    t = Table("scrap_rework", "Scrap and rework", [
        ("equipment", "Equipment", "text"), ("total", "Total", "int"), ("good", "Good", "int"),
        ("reject", "Scrap", "int"), ("rework", "Rework", "int"), ("scrap_ratio", "Scrap %", "pct"),
        ("rework_ratio", "Rework %", "pct"), ("count_quality", "Good / total", "pct"), ("quality", "Q (OEE)", "pct")])
    for eq in ctx.equipment:
        fig = _figures([eq], ctx.start, ctx.end, as_of=ctx.as_of)
        t.rows.append([eq.code, fig.total_count, fig.good_count, fig.reject_count, fig.rework_count, fig.scrap_ratio,
                       fig.rework_ratio, fig.count_quality, fig.quality])
    f = ctx.figures
    t.rows.append(["Line", f.total_count, f.good_count, f.reject_count, f.rework_count, f.scrap_ratio,
                   f.rework_ratio, f.count_quality, f.quality])
    s.tables.append(t)
    return s


def _not_available(key: str, module: str, fname: str) -> Section:
    return Section(key, SECTIONS[key], available=False,
                   note=f"Not available: this installation does not provide {module}.{fname} yet.")


JOB_COLUMNS = ["ref", "product_code", "status", "assigned_to", "planned_quantity", "good", "reject",
               "quantity_attainment", "actual_duration_s", "changeover_s"]
CHECKLIST_COLUMNS = ["template_code", "equipment_code", "signer_username", "signed_at", "passed", "failed_items",
                     "hash_ok"]


def _section_rows(ctx: ReportData, key: str, module: str, fname: str, shown: list[str], fmts: dict) -> Section:
    fn = _optional(module, fname)
    if fn is None:
        return _not_available(key, module, fname)
    rows = [dict(r) for r in fn(line_ids=[ctx.line.pk], start=ctx.start, end=ctx.end)]
    s = Section(key, SECTIONS[key], tables=[_dict_table(key, SECTIONS[key], rows, shown=shown, fmts=fmts)])
    if not rows:
        s.note = "None in this window."
    return s


def _section_andon(ctx: ReportData) -> Section:
    """Andon calls opened in the window with their response times (apps.andon.selectors contract)."""
    calls_in = _optional("apps.andon.selectors", "andon_calls_in")
    kpis_fn = _optional("apps.andon.selectors", "andon_kpis")
    if calls_in is None or kpis_fn is None:
        return _not_available("andon", "apps.andon.selectors", "andon_calls_in/andon_kpis")
    s = Section("andon", SECTIONS["andon"])
    k = kpis_fn(line_ids=[ctx.line.pk], start=ctx.start, end=ctx.end)
    kt = Table("andon_kpis", "Response times", [("figure", "Figure", "text"), ("value", "Value", "row"),
                                                ("unit", "Unit", "hidden")])
    kt.rows.append(["Calls", k["calls"], "int"])
    for status, n in sorted(k["by_status"].items()):
        kt.rows.append([f"Calls {status}", n, "int"])
    for stat, label in (("tta", "Time to acknowledge"), ("ttr", "Time to resolve")):
        for part in ("mean_s", "median_s", "p90_s", "max_s"):
            kt.rows.append([f"{label}, {part.removesuffix('_s')}", k[stat][part], "min"])
    kt.rows.append(["Open at the end of the window", k["open_ageing"]["open"], "int"])
    s.tables.append(kt)
    t = Table("andon_calls", "Andon calls", [
        ("opened_at", "Opened", "dt"), ("equipment", "Equipment", "text"), ("category", "Category", "text"),
        ("priority", "Priority", "text"), ("title", "Title", "text"), ("status", "Status", "text"),
        ("time_to_acknowledge_s", "To ack.", "min"), ("time_to_resolve_s", "To resolve", "min"),
        ("acknowledged_by", "Acknowledged by", "text"), ("resolved_by", "Resolved by", "hidden")])
    for c in calls_in(line_ids=[ctx.line.pk], start=ctx.start, end=ctx.end):
        t.rows.append([
            c.opened_at, c.equipment.code if c.equipment_id else "", c.category, c.priority, c.title, c.status,
            (c.acknowledged_at - c.opened_at).total_seconds() if c.acknowledged_at else None,
            (c.resolved_at - c.opened_at).total_seconds() if c.resolved_at else None,
            c.acknowledged_by.get_username() if c.acknowledged_by_id else "",
            c.resolved_by.get_username() if c.resolved_by_id else ""])
    s.tables.append(t)
    if not t.rows:
        s.note = "No Andon call was opened in this window."
    return s


def _section_handover(ctx: ReportData) -> Section:
    from apps.reports.models import HandoverNote

    s = Section("handover", SECTIONS["handover"])
    t = Table("handover_notes", "Handover notes", [
        ("shift", "Shift", "text"), ("signed_by", "Signed off by", "text"), ("signed_at", "Signed at", "dt"),
        ("open_issues", "Open issues", "text"), ("risks", "Risks for next shift", "text"), ("notes", "Notes", "text")])
    for n in HandoverNote.objects.filter(line=ctx.line, shift_start__lt=ctx.end, shift_end__gt=ctx.start) \
            .select_related("signed_by").order_by("shift_start"):
        t.rows.append([n.shift_key, n.signed_by.get_username() if n.signed_by else "not signed off", n.signed_at,
                       n.open_issues, n.risks, n.notes])
    s.tables.append(t)
    if not t.rows:
        s.note = "No handover note was written for this window."
    return s


SECTION_BUILDERS = {
    "oee": _section_oee,
    "hourly": _section_hourly,
    "production": _section_production,
    "trend": _section_trend,
    "losses": _section_losses,
    "by_product": _section_by_product,
    "by_shift": _section_by_shift,
    "downtime": _section_downtime,
    "equipment": _section_equipment,
    "andon": _section_andon,
    "jobs": lambda ctx: _section_rows(ctx, "jobs", "apps.jobs.selectors", "job_summaries", JOB_COLUMNS,
                                      {"quantity_attainment": "pct", "time_ratio": "pct"}),
    "checklists": lambda ctx: _section_rows(ctx, "checklists", "apps.checklists.selectors",
                                            "checklist_completions", CHECKLIST_COLUMNS, {}),
    "quality": _section_quality,
    "handover": _section_handover,
}


def report_title(*, line: Line, kind: str, start: dt.datetime, end: dt.datetime) -> str:
    tz = line.area.site.tz
    label = ReportKind(kind).label
    return (f"{label} · {line.code} · {_local_label(start, tz, '%Y-%m-%d %H:%M')} – "
            f"{_local_label(end, tz, '%Y-%m-%d %H:%M %Z')}")


def report_data(*, line: Line, kind: str, start: dt.datetime, end: dt.datetime, sections: list[str] | None = None,
                as_of: dt.datetime | None = None, title: str | None = None) -> ReportData:
    """Every requested section of one report. Unknown section keys raise ValueError."""
    sections = list(sections or DEFAULT_SECTIONS[kind])
    unknown = [k for k in sections if k not in SECTION_BUILDERS]
    if unknown:
        raise ValueError(f"Unknown report section(s): {', '.join(unknown)}. Known: {', '.join(SECTIONS)}.")
    if end <= start:
        raise ValueError("The report window must end after it starts.")
    line = Line.objects.select_related("area__site").get(pk=line.pk)
    as_of = as_of or timezone.now()
    equipment = line_equipment(line)
    figures = _figures(equipment, start, end, as_of=as_of, with_events=True)
    ctx = ReportData(line=line, kind=kind, title=title or report_title(line=line, kind=kind, start=start, end=end),
                     start=start, end=end, as_of=as_of, tz=line.area.site.tz, figures=figures, sections=[],
                     equipment=equipment)
    for key in sections:
        ctx.sections.append(SECTION_BUILDERS[key](ctx))
    return ctx


def shift_instances_ended(*, line: Line, since: dt.datetime, until: dt.datetime):
    """Shift instances of ``line`` that ended in (since, until] — the windows of end-of-shift reports."""
    return [i for i in LineCalendar(line).instances(since - dt.timedelta(days=1), until) if since < i.end <= until]


def reports_for_user(*, user, line_ids=None):
    """Generated reports on the lines the user may see reports of, newest first."""
    from apps.accounts.access import visible_lines
    from apps.reports.models import GeneratedReport

    qs = GeneratedReport.objects.filter(line__in=visible_lines(user, "lines.view_reports"))
    if line_ids:
        qs = qs.filter(line_id__in=line_ids)
    return qs.select_related("line", "requested_by", "template")


def handover_shift_choices(*, line: Line, now: dt.datetime | None = None, days: int = 3):
    """Shift instances a handover can be written for: started in the last ``days`` days, most recent first (the
    running shift, if any, comes first)."""
    now = now or timezone.now()
    insts = LineCalendar(line).instances(now - dt.timedelta(days=days), now + dt.timedelta(seconds=1))
    return [i for i in reversed(insts) if i.start <= now]
