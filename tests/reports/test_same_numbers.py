"""Same numbers (shared/OEE.md §7): for one window, the report's PDF text and CSV equal ``manage.py oee --json``
and the calculator's output."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from apps.oee.calculator import oee_compute
from apps.reports.selectors import line_equipment
from apps.reports.services import report_generate
from tests.factories.reports import berlin_plant, feed_early_shift
from tests.reports.helpers import csv_tables, pdf_text, row

pytestmark = pytest.mark.django_db


def _oee_json(line, start, end) -> dict:
    out = io.StringIO()
    call_command("oee", "--line", line.code, "--start", start.isoformat(), "--end", end.isoformat(), "--json",
                 stdout=out)
    windows = json.loads(out.getvalue())["windows"]
    assert len(windows) == 1
    return windows[0]


def _pct(v: float) -> str:
    return f"{v * 100:.1f} %"


def test_report_pdf_and_csv_equal_oee_command_and_calculator(supervisor):
    line, eq, p1, jam = berlin_plant("SAME")
    start, end = feed_early_shift(eq, p1)
    cmd = _oee_json(line, start, end)
    calc = oee_compute(equipment_list=line_equipment(line), start=start, end=end)
    report = report_generate(user=supervisor, line=line, kind="shift", start=start, end=end)
    assert report.status == "done", report.error
    tables = csv_tables(report.csv_zip.read())
    summary, detail = tables["oee__oee_summary.csv"], tables["oee__oee_detail.csv"]

    # the window has real losses, so a wrong wiring cannot agree by accident
    assert 0 < cmd["oee"] < cmd["availability"] < 1 and cmd["reject_count"] > 0 and cmd["downtime_s"] > 0

    for figure, key in (("OEE", "oee"), ("Availability", "availability"), ("Performance", "performance"),
                        ("Quality", "quality"), ("TEEP", "teep")):
        csv_value = float(row(summary, figure=figure)["actual"])
        assert csv_value == cmd[key] == getattr(calc, key), figure  # unrounded, exactly equal
    for figure, key in (("Planned production time", "planned_production_time_s"), ("Run time", "run_time_s"),
                        ("Downtime (unplanned stops)", "downtime_s"), ("Total count", "total_count"),
                        ("Good count", "good_count"), ("Reject count", "reject_count"),
                        ("Rework count", "rework_count"), ("MTBF", "mtbf_s"), ("MTTR", "mttr_s")):
        assert float(row(detail, figure=figure)["value"]) == cmd[key] == getattr(calc, key), figure
    pareto = tables["downtime__downtime_pareto.csv"]
    assert {r["reason"]: float(r["seconds"]) for r in pareto} == cmd["downtime_by_reason"] == calc.downtime_by_reason
    line_quality = row(tables["quality__scrap_rework.csv"], equipment="Line")
    assert float(line_quality["scrap_ratio"]) == cmd["scrap_ratio"]
    assert float(line_quality["rework_ratio"]) == cmd["rework_ratio"]

    # the PDF shows the same figures, rounded only for display
    text = pdf_text(report.pdf.read())
    for key in ("oee", "availability", "performance", "quality"):
        assert _pct(cmd[key]) in text, key
    assert f"{cmd['planned_production_time_s'] / 60:.1f} min" in text
    assert f"{cmd['total_count']:,}" in text and f"{cmd['good_count']:,}" in text


def test_hourly_board_sums_to_the_window(supervisor):
    """The hour-by-hour board is the same calculator per hour: its counts add up to the window's."""
    line, eq, p1, _ = berlin_plant("HOURS")
    start, end = feed_early_shift(eq, p1)
    cmd = _oee_json(line, start, end)
    report = report_generate(user=supervisor, line=line, kind="shift", start=start, end=end, sections=["hourly"])
    hourly = csv_tables(report.csv_zip.read())["hourly__hourly.csv"]
    assert sum(int(r["total"]) for r in hourly) == cmd["total_count"]
    assert sum(int(r["good"]) for r in hourly) == cmd["good_count"]
    # breaks accounted for: the 09:00 hour (local) is scheduled 30 minutes only, and its target is half an hour's
    nine = row(hourly, hour="09:00 CET")
    eight = row(hourly, hour="08:00 CET")
    assert float(nine["scheduled_s"]) == 1800 and float(eight["scheduled_s"]) == 3600
    assert float(nine["target"]) == pytest.approx(float(eight["target"]) / 2)
