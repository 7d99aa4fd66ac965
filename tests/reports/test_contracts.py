"""The shift report's sections fed by other apps' contracts: Andon calls with response times (through the Andon
services), and the jobs / checklists sections."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.reports.selectors import report_data
from apps.reports.services import report_generate
from tests.factories.reports import berlin_plant, feed_early_shift
from tests.reports.helpers import csv_tables, pdf_text, row

pytestmark = pytest.mark.django_db


def test_andon_calls_with_response_times_in_the_shift_report(supervisor):
    from apps.andon import services as andon
    from apps.andon.models import AndonCategory

    line, eq, p1, _ = berlin_plant("ANDON")
    start, end = feed_early_shift(eq, p1)
    AndonCategory.objects.create(line=line, code="maintenance", label="Maintenance")
    t0 = start + dt.timedelta(hours=2, minutes=1)
    call = andon.andon_call_raise(line_id=line.pk, category="maintenance", user=supervisor, now=t0)
    andon.andon_call_acknowledge(call_id=call.pk, user=supervisor, now=t0 + dt.timedelta(seconds=150))
    andon.andon_call_resolve(call_id=call.pk, user=supervisor, notes="belt", now=t0 + dt.timedelta(minutes=16))
    report = report_generate(user=supervisor, line=line, kind="shift", start=start, end=end, sections=["andon"])
    assert report.status == "done", report.error
    tables = csv_tables(report.csv_zip.read())
    calls = tables["andon__andon_calls.csv"]
    assert len(calls) == 1
    assert float(calls[0]["time_to_acknowledge_s"]) == 150 and float(calls[0]["time_to_resolve_s"]) == 960
    kpis = tables["andon__andon_kpis.csv"]
    assert row(kpis, figure="Calls")["value"] == "1"
    assert float(row(kpis, figure="Time to acknowledge, mean")["value"]) == 150
    text = pdf_text(report.pdf.read())
    assert "Response times" in text and "2.5 min" in text and "16.0 min" in text


def test_jobs_and_checklists_sections_render_their_contracts(supervisor):
    line, eq, p1, _ = berlin_plant("JOBS")
    start, end = feed_early_shift(eq, p1)
    data = report_data(line=line, kind="shift", start=start, end=end, sections=["jobs", "checklists"])
    for section in data.sections:
        assert section.available, section.note  # both contracts exist in this installation
        assert section.note == "None in this window."
    report = report_generate(user=supervisor, line=line, kind="shift", start=start, end=end,
                             sections=["jobs", "checklists"])
    assert report.status == "done", report.error
    assert "None in this window." in pdf_text(report.pdf.read())


def test_a_missing_contract_is_reported_honestly(monkeypatch):
    from apps.reports import selectors

    line, eq, p1, _ = berlin_plant("MISS")
    start, end = feed_early_shift(eq, p1)
    monkeypatch.setattr(selectors, "_optional", lambda module, name: None)
    data = report_data(line=line, kind="shift", start=start, end=end, sections=["andon", "jobs", "checklists"])
    assert [s.available for s in data.sections] == [False, False, False]
    assert all(s.note.startswith("Not available") and not s.tables for s in data.sections)
