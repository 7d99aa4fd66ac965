"""Real PDFs rendered through xhtml2pdf, read back with pypdf: text, page count, page size; an empty shift, a shift
with no data at all, and both DST nights (Europe/Berlin 2026-03-29 and 2026-10-25) render."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from apps.reports import render
from apps.reports.selectors import report_data
from apps.reports.services import report_generate
from tests.factories.lines import EquipmentFactory
from tests.factories.oee import Feed, line_with_shifts, product
from tests.factories.reports import berlin_plant, feed_early_shift
from tests.reports.helpers import csv_tables, page_size_pts, pdf_pages, pdf_text, row

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
A4 = (595.3, 841.9)
LETTER = (612.0, 792.0)


def _assert_size(blob, expected):
    w, h = page_size_pts(blob)
    assert abs(w - expected[0]) < 1 and abs(h - expected[1]) < 1, (w, h)


def _footer_pages(text: str) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in re.findall(r"page (\d+) of (\d+)", text)}


def test_shift_report_pdf_text_pages_and_sizes(supervisor):
    line, eq, p1, _ = berlin_plant()
    start, end = feed_early_shift(eq, p1)
    report = report_generate(user=supervisor, line=line, kind="shift", start=start, end=end, page_size="a4")
    assert report.status == "done", report.error
    blob = report.pdf.read()
    text = pdf_text(blob)
    pages = len(pdf_pages(blob))
    assert report.page_count == pages >= 2
    # every page carries "page n of N" with the true N
    assert _footer_pages(text) == {(n, pages) for n in range(1, pages + 1)}
    _assert_size(blob, A4)
    for expected in ("Shift report", "OEE against targets", "Hour by hour", "Downtime Pareto", "Scrap and rework",
                     "Handover notes", "06:00 CET", "13:00 CET", "generated", "by supervisor",
                     "Data flags: no_data"):
        assert expected in text, expected
    assert "Andon calls" in text and "Not available" not in text

    letter = report_generate(user=supervisor, line=line, kind="shift", start=start, end=end, page_size="letter")
    _assert_size(letter.pdf.read(), LETTER)


def test_charts_are_drawn_into_the_pdf(supervisor):
    """The charts are vector drawings: their axis labels are text in the PDF (not in any HTML table)."""
    line, eq, p1, _ = berlin_plant()
    start, end = feed_early_shift(eq, p1)
    data = report_data(line=line, kind="shift", start=start, end=end, sections=["oee", "hourly", "downtime"])
    text = pdf_text(render.render_pdf(data))
    assert "Actual vs target (%)" in text
    assert "Target vs good units per hour" in text
    assert "Downtime Pareto (minutes; cumulative %)" in text
    data_no_charts = report_data(line=line, kind="shift", start=start, end=end, sections=["quality"])
    assert "Actual vs target (%)" not in pdf_text(render.render_pdf(data_no_charts))


def test_empty_shift_renders(supervisor):
    """A line with shifts but no equipment at all: nothing to report, every section still renders."""
    line = line_with_shifts(tz="Europe/Berlin", code="EMPTY", shifts=[("E", "06:00", "14:00", [])])
    start, end = dt.datetime(2026, 3, 2, 5, tzinfo=UTC), dt.datetime(2026, 3, 2, 13, tzinfo=UTC)
    report = report_generate(user=supervisor, line=line, kind="shift", start=start, end=end)
    assert report.status == "done", report.error
    blob = report.pdf.read()
    text = pdf_text(blob)
    assert report.page_count == len(pdf_pages(blob)) >= 1
    assert "Shift report" in text and "EMPTY" in text
    assert "No unplanned downtime in this window." in text
    tables = csv_tables(report.csv_zip.read())
    assert row(tables["oee__oee_summary.csv"], figure="OEE")["actual"] == ""  # no figure, not 0
    assert row(tables["quality__scrap_rework.csv"], equipment="Line")["total"] == "0"


def test_no_data_shift_renders_and_says_no_data(supervisor):
    """Comms lost for the whole shift: every second is no_data, excluded and flagged, never guessed as stopped."""
    line, eq, p1, _ = berlin_plant("NODATA")
    start = dt.datetime(2026, 3, 2, 5, tzinfo=UTC)
    f = Feed(eq, product_number=p1.pk)
    f.sample(start, comms_ok=False)
    f.sample(start + dt.timedelta(hours=8), comms_ok=False)
    f.ingest()
    report = report_generate(user=supervisor, line=line, kind="shift", start=start, end=start + dt.timedelta(hours=8))
    assert report.status == "done", report.error
    text = pdf_text(report.pdf.read())
    assert "Data flags: no_data" in text and "never" in text
    tables = csv_tables(report.csv_zip.read())
    detail = tables["oee__oee_detail.csv"]
    # the 30-minute break stays a planned stop (the calendar decides it); the rest of the shift is no_data
    assert float(row(detail, figure="No data time")["value"]) == 7.5 * 3600
    assert float(row(detail, figure="Planned production time")["value"]) == 0
    assert row(tables["oee__oee_summary.csv"], figure="Availability")["actual"] == ""
    hourly = tables["hourly__hourly.csv"]
    assert len(hourly) == 8 and all("no_data" in r["flags"] for r in hourly)


def _night(line, eq, p1, local_start: dt.datetime, local_end: dt.datetime):
    start, end = local_start.astimezone(UTC), local_end.astimezone(UTC)
    f = Feed(eq, product_number=p1.pk)
    seconds = int((end - start).total_seconds())
    f.run(start, seconds, total=seconds // 2, step=300)
    f.stop(end)
    f.ingest()
    return start, end


@pytest.mark.parametrize("date,hours,labels", [
    (dt.date(2026, 3, 28), 7, ["22:00 CET", "23:00 CET", "00:00 CET", "01:00 CET", "03:00 CEST", "04:00 CEST",
                               "05:00 CEST"]),
    (dt.date(2026, 10, 24), 9, ["22:00 CEST", "23:00 CEST", "00:00 CEST", "01:00 CEST", "02:00 CEST", "02:00 CET",
                                "03:00 CET", "04:00 CET", "05:00 CET"]),
])
def test_dst_night_shift_renders_with_true_length(supervisor, date, hours, labels):
    from zoneinfo import ZoneInfo

    from apps.lines.shifts import shift_instances

    berlin = ZoneInfo("Europe/Berlin")
    line, eq, p1, _ = berlin_plant(f"DST{hours}")
    night = [i for i in shift_instances(line, dt.datetime.combine(date, dt.time(12), tzinfo=UTC),
                                        dt.datetime.combine(date, dt.time(23), tzinfo=UTC)) if i.shift_code == "N"][0]
    assert night.duration_s == hours * 3600
    start, end = _night(line, eq, p1, night.start.astimezone(berlin), night.end.astimezone(berlin))
    report = report_generate(user=supervisor, line=line, kind="shift", start=start, end=end, page_size="letter")
    assert report.status == "done", report.error
    blob = report.pdf.read()
    text = pdf_text(blob)
    _assert_size(blob, LETTER)
    for label in labels:
        assert label in text, label
    tables = csv_tables(report.csv_zip.read())
    hourly = tables["hourly__hourly.csv"]
    assert [r["hour"] for r in hourly] == labels
    assert float(row(tables["oee__oee_detail.csv"], figure="Calendar time")["value"]) == hours * 3600
    assert sum(int(r["total"]) for r in hourly) == int(row(tables["quality__scrap_rework.csv"],
                                                           equipment="Line")["total"]) == hours * 1800


def test_every_kind_renders(supervisor):
    line, eq, p1, _ = berlin_plant("KINDS")
    EquipmentFactory(line=line, code="KINDS.LOAD", position=2)
    product("2.0", code="KINDSP2")
    start, end = feed_early_shift(eq, p1)
    for kind in ("daily", "weekly", "oee_analysis", "downtime_analysis", "custom"):
        report = report_generate(user=supervisor, line=line, kind=kind, start=start - dt.timedelta(hours=5),
                                 end=end + dt.timedelta(days=1))
        assert report.status == "done", (kind, report.error)
        assert report.page_count >= 1
        text = pdf_text(report.pdf.read())
        assert line.code in text
    tables = csv_tables(report.csv_zip.read())  # custom: includes reliability per equipment
    rel = tables["equipment__equipment_reliability.csv"]
    assert [r["equipment"] for r in rel] == [eq.code, "KINDS.LOAD", "Line"]
