"""Services of reports: templates, stored reports with who/when/parameters, handover notes (immutable once signed),
retention."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.lines.shifts import shift_instances
from apps.reports import services
from apps.reports.models import GeneratedReport, HandoverNote
from tests.factories.reports import berlin_plant, feed_early_shift
from tests.reports.helpers import csv_tables, pdf_text, row

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


def _early_shift(line, day=dt.date(2026, 3, 2)):
    insts = shift_instances(line, dt.datetime.combine(day, dt.time(4), tzinfo=UTC),
                            dt.datetime.combine(day, dt.time(6), tzinfo=UTC))
    return next(i for i in insts if i.shift_code == "E")


def test_generated_report_is_stored_with_who_when_and_parameters(supervisor, media_root):
    line, eq, p1, _ = berlin_plant()
    start, end = feed_early_shift(eq, p1)
    before = timezone.now()
    report = services.report_generate(user=supervisor, line=line, kind="shift", start=start, end=end,
                                      sections=["oee", "quality"], page_size="letter")
    report.refresh_from_db()
    assert report.requested_by == supervisor and report.created_at >= before
    assert report.parameters["sections"] == ["oee", "quality"] and report.parameters["page_size"] == "letter"
    assert (report.window_start, report.window_end) == (start, end)
    assert report.status == "done" and report.attempts == 1 and report.error == ""
    for f in (report.pdf, report.csv_zip):
        assert os.path.isfile(f.path) and f.path.startswith(str(media_root))
    assert set(csv_tables(report.csv_zip.read())) == {"report.csv", "oee__oee_summary.csv", "oee__oee_detail.csv",
                                                       "quality__scrap_rework.csv"}


def test_generate_refuses_bad_parameters(supervisor):
    line, *_ = berlin_plant()
    start = dt.datetime(2026, 3, 2, 5, tzinfo=UTC)
    with pytest.raises(ValidationError, match="Unknown section"):
        services.report_generate(user=supervisor, line=line, kind="shift", start=start,
                                 end=start + dt.timedelta(hours=8), sections=["nope"])
    with pytest.raises(ValidationError, match="after its start"):
        services.report_generate(user=supervisor, line=line, kind="shift", start=start, end=start)
    with pytest.raises(ValidationError, match="page size"):
        services.report_generate(user=supervisor, line=line, kind="shift", start=start,
                                 end=start + dt.timedelta(hours=1), page_size="a3")
    assert not GeneratedReport.objects.exists()


def test_a_failure_is_recorded_on_the_report(supervisor, monkeypatch):
    line, *_ = berlin_plant()
    start = dt.datetime(2026, 3, 2, 5, tzinfo=UTC)

    def boom(*a, **k):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr("apps.reports.render.render_pdf", boom)
    report = services.report_generate(user=supervisor, line=line, kind="shift", start=start,
                                      end=start + dt.timedelta(hours=8))
    assert report.status == "failed" and "renderer exploded" in report.error and not report.pdf


def test_template_save_validates(supervisor):
    line, *_ = berlin_plant()
    t = services.report_template_save(user=supervisor, line=line, name="Shift end", kind="shift",
                                      sections=["oee", "downtime"], schedule="shift_end",
                                      recipients="a@example.com, b@example.com")
    assert t.recipient_list == ["a@example.com", "b@example.com"] and t.created_by == supervisor
    with pytest.raises(ValidationError, match="not an e-mail"):
        services.report_template_save(user=supervisor, line=line, name="X", kind="shift", sections=[],
                                      recipients="nobody")
    with pytest.raises(ValidationError, match="already has"):
        services.report_template_save(user=supervisor, line=line, name="Shift end", kind="daily", sections=[])
    t2 = services.report_template_save(user=supervisor, line=line, template=t, name="Shift end", kind="daily",
                                       sections=["production"], page_size="letter", schedule="daily")
    assert t2.pk == t.pk and t2.kind == "daily"


def test_handover_is_editable_until_signed_then_immutable(supervisor, manager):
    line, eq, p1, _ = berlin_plant()
    shift = _early_shift(line)
    note = services.handover_note_save(user=supervisor, line=line, shift=shift, open_issues="Capper leaks",
                                       risks="Low on film")
    note = services.handover_note_save(user=supervisor, line=line, shift=shift, open_issues="Capper leaks badly",
                                       risks="Low on film", notes="ok")
    assert HandoverNote.objects.count() == 1 and note.open_issues == "Capper leaks badly"
    signed = services.handover_note_sign(user=supervisor, note=note)
    assert signed.signed_by == supervisor and signed.signed_at is not None
    with pytest.raises(services.HandoverSigned):
        services.handover_note_save(user=manager, line=line, shift=shift, open_issues="rewritten")
    with pytest.raises(services.HandoverSigned):
        services.handover_note_sign(user=manager, note=note)
    note.refresh_from_db()
    assert note.open_issues == "Capper leaks badly" and note.signed_by == supervisor


def test_handover_appears_in_the_shift_report(supervisor):
    line, eq, p1, _ = berlin_plant()
    start, end = feed_early_shift(eq, p1)
    shift = _early_shift(line)
    assert (shift.start, shift.end) == (start, end)
    note = services.handover_note_save(user=supervisor, line=line, shift=shift, open_issues="Sensor B3 flaky",
                                       risks="Film roll change at 15:00")
    services.handover_note_sign(user=supervisor, note=note)
    report = services.report_generate(user=supervisor, line=line, kind="shift", start=start, end=end,
                                      sections=["handover"])
    text = " ".join(pdf_text(report.pdf.read()).split())  # table cells wrap
    assert "Sensor B3 flaky" in text and "Film roll change at 15:00" in text and "supervisor" in text
    notes = csv_tables(report.csv_zip.read())["handover__handover_notes.csv"]
    assert row(notes, shift=shift.key)["signed_by"] == "supervisor"


def test_retention_deletes_old_files_and_keeps_the_record(supervisor, settings):
    line, eq, p1, _ = berlin_plant()
    start, end = feed_early_shift(eq, p1)
    old = services.report_generate(user=supervisor, line=line, kind="shift", start=start, end=end,
                                   sections=["oee"])
    new = services.report_generate(user=supervisor, line=line, kind="shift", start=start, end=end,
                                   sections=["oee"])
    GeneratedReport.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    old_paths = [old.pdf.path, old.csv_zip.path]
    settings.REPORTS_RETENTION_DAYS = 30
    assert services.reports_purge_expired() == 2
    old.refresh_from_db()
    new.refresh_from_db()
    assert not any(os.path.exists(p) for p in old_paths)
    assert old.purged_at is not None and not old.pdf and old.title  # the record stays
    assert os.path.exists(new.pdf.path) and new.purged_at is None
    assert services.reports_purge_expired() == 0  # idempotent


def test_hour_by_hour_is_refused_for_long_windows_with_a_note():
    from apps.reports.selectors import report_data

    line, *_ = berlin_plant()
    start = dt.datetime(2026, 3, 2, 5, tzinfo=UTC)
    data = report_data(line=line, kind="custom", start=start, end=start + dt.timedelta(hours=49),
                       sections=["hourly"])
    assert not data.sections[0].available and "up to 48 hours" in data.sections[0].note
    data = report_data(line=line, kind="custom", start=start, end=start + dt.timedelta(hours=48),
                       sections=["hourly"])
    assert data.sections[0].available and len(data.sections[0].tables[0].rows) == 48
