"""``python manage.py oee --equipment CODE | --line CODE --start ISO --end ISO [--by hour|shift|day|production_date]
[--policy oee_com|iso22400] [--json]`` — the figures of shared/OEE.md, from the same calculator as every screen."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.lines.models import Equipment, Line
from apps.oee.calculator import oee_compute
from apps.oee.policies import CURRENT_VERSION
from apps.oee.windows import windows_for

FIELDS = ("planned_production_time_s", "run_time_s", "availability", "performance", "quality", "oee", "teep",
          "total_count", "good_count", "reject_count", "rework_count", "small_stop_count", "small_stop_s",
          "downtime_s", "downtime_events", "time_per_state", "downtime_by_reason", "flags")
EXTRA = ("policy", "calendar_time_s", "count_quality", "scrap_ratio", "rework_ratio", "stop_count", "mtbf_s",
         "mttr_s", "six_big_losses")


def _parse(value: str, tz) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not an ISO date-time such as 2026-03-28T22:00 or 2026-03-28T21:00Z.") \
            from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)  # naive times are the site's local wall-clock time
    return moment.astimezone(dt.timezone.utc)


class Command(BaseCommand):
    help = "Print OEE figures of one equipment or one line for a window, optionally per hour, shift or day."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--equipment", metavar="CODE")
        target.add_argument("--line", metavar="CODE")
        parser.add_argument("--start", required=True, help="ISO date-time; without an offset: site-local time.")
        parser.add_argument("--end", required=True, help="ISO date-time (exclusive); without an offset: site-local.")
        parser.add_argument("--by", choices=["hour", "shift", "day", "production_date"])
        parser.add_argument("--policy", choices=sorted(CURRENT_VERSION), help="Default: the line's policy.")
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")
        parser.add_argument("--raw", action="store_true", help="Recompute from raw data instead of rollups.")

    def handle(self, *args, **opts):
        if opts["equipment"]:
            eq = Equipment.objects.select_related("line__area__site").filter(code=opts["equipment"]).first()
            if eq is None:
                raise CommandError(f"No equipment with code {opts['equipment']!r}.")
            line, equipment, target = eq.line, [eq], {"equipment": eq.code}
        else:
            line = Line.objects.select_related("area__site").filter(code=opts["line"]).first()
            if line is None:
                raise CommandError(f"No line with code {opts['line']!r}.")
            equipment = list(Equipment.objects.filter(line=line, active=True).select_related("line__area__site"))
            target = {"line": line.code, "equipment": [e.code for e in equipment]}
        tz = line.area.site.tz
        start, end = _parse(opts["start"], tz), _parse(opts["end"], tz)
        if end <= start:
            raise CommandError("--end must be after --start.")
        as_of = timezone.now()
        policy = opts["policy"] or line.oee_policy
        results = []
        for label, spans in windows_for(line=line, start=start, end=end, by=opts["by"]):
            fig = oee_compute(equipment_list=equipment, start=spans[0][0], end=spans[-1][1], spans=spans,
                              policy=policy, as_of=as_of, use_rollups=not opts["raw"])
            row = {"window": label, "start": spans[0][0].isoformat(), "end": spans[-1][1].isoformat()}
            row.update({k: getattr(fig, k) for k in FIELDS + EXTRA})
            results.append(row)
        if opts["json"]:
            self.stdout.write(json.dumps({**target, "policy": policy, "time_zone": line.area.site.time_zone,
                                          "start": start.isoformat(), "end": end.isoformat(), "by": opts["by"],
                                          "windows": results}, indent=2, default=str))
            return
        for row in results:
            self.stdout.write(self._text(row))

    @staticmethod
    def _text(row) -> str:
        def pct(v):
            return "—" if v is None else f"{v * 100:.1f} %"

        lines = [f"{row['window']}  [{row['policy']}]",
                 f"  OEE {pct(row['oee'])}  A {pct(row['availability'])}  P {pct(row['performance'])}  "
                 f"Q {pct(row['quality'])}  TEEP {pct(row['teep'])}",
                 f"  planned {row['planned_production_time_s'] / 60:.1f} min, run {row['run_time_s'] / 60:.1f} min, "
                 f"downtime {row['downtime_s'] / 60:.1f} min, small stops {row['small_stop_count']} "
                 f"({row['small_stop_s'] / 60:.1f} min)",
                 f"  total {row['total_count']}, good {row['good_count']}, reject {row['reject_count']}, "
                 f"rework {row['rework_count']}"]
        if row["flags"]:
            lines.append("  flags: " + ", ".join(row["flags"]))
        return "\n".join(lines)
