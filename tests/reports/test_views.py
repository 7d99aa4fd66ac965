"""Report pages through the test client: generate (POST), download with the access log, templates, handover on
desktop and kiosk. The role × line matrix for every view is in tests/access_matrix.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.reports.models import GeneratedReport, HandoverNote, ReportAccess, ReportTemplate
from tests.factories.accounts import UserFactory
from tests.factories.reports import berlin_plant, feed_early_shift
from tests.reports.helpers import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant():
    line, eq, p1, jam = berlin_plant("VIEW")
    return line, eq, p1


@pytest.fixture
def boss(plant):
    return UserFactory(username="boss", role="shift_manager", lines=[plant[0]])


def test_generate_then_download_pdf_and_csv_logs_access(client, plant, boss):
    line, eq, p1 = plant
    start, end = feed_early_shift(eq, p1)
    client.force_login(boss)
    response = client.post(reverse("reports:generate", kwargs={"line_id": line.pk}), {
        "kind": "shift", "start": "2026-03-02 06:00", "end": "2026-03-02 14:00", "page_size": "letter",
        "sections": ["oee", "downtime"]})
    assert response.status_code == 302
    report = GeneratedReport.objects.get()
    # the form's times are the site's local (Berlin) wall-clock times
    assert (report.window_start, report.window_end) == (start, end)
    assert report.requested_by == boss and report.parameters["page_size"] == "letter"
    page = client.get(reverse("reports:line", kwargs={"line_id": line.pk}))
    assert report.title in page.content.decode()
    pdf = client.get(reverse("reports:download", kwargs={"report_id": report.pk, "fmt": "pdf"}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "OEE against targets" in pdf_text(b"".join(pdf.streaming_content))
    csv = client.get(reverse("reports:download", kwargs={"report_id": report.pk, "fmt": "csv"}))
    assert csv.status_code == 200 and csv["Content-Type"] == "application/zip"
    b"".join(csv.streaming_content)
    log = list(ReportAccess.objects.filter(report=report).values_list("user__username", "fmt"))
    assert sorted(log) == [("boss", "csv"), ("boss", "pdf")]
    assert client.get(reverse("reports:download", kwargs={"report_id": report.pk, "fmt": "xls"})).status_code == 404


def test_generate_with_bad_input_answers_400_and_stores_nothing(client, plant, boss):
    client.force_login(boss)
    response = client.post(reverse("reports:generate", kwargs={"line_id": plant[0].pk}), {
        "kind": "shift", "start": "2026-03-02 14:00", "end": "2026-03-02 06:00", "page_size": "a4"})
    assert response.status_code == 400 and "The end must be after the start." in response.content.decode()
    assert not GeneratedReport.objects.exists()


def test_a_user_of_another_line_cannot_download(client, plant, boss, line_b):
    line, eq, p1 = plant
    start, end = feed_early_shift(eq, p1)
    from apps.reports.services import report_generate

    report = report_generate(user=boss, line=line, kind="shift", start=start, end=end, sections=["oee"])
    other = UserFactory(username="other", role="shift_manager", lines=[line_b])
    client.force_login(other)
    assert client.get(reverse("reports:download", kwargs={"report_id": report.pk, "fmt": "pdf"})).status_code == 404
    assert not ReportAccess.objects.exists()
    assert report.title not in client.get(reverse("reports:list")).content.decode()


def test_manager_creates_and_edits_a_template(client, plant, boss):
    line = plant[0]
    client.force_login(boss)
    response = client.post(reverse("reports:template_new", kwargs={"line_id": line.pk}), {
        "name": "End of shift", "kind": "shift", "sections": ["oee", "hourly"], "page_size": "a4",
        "schedule": "shift_end", "recipients": "lead@example.com", "active": "on"})
    assert response.status_code == 302
    t = ReportTemplate.objects.get()
    assert t.sections == ["oee", "hourly"] and t.schedule == "shift_end" and t.created_by == boss
    response = client.post(reverse("reports:template_edit", kwargs={"template_id": t.pk}), {
        "name": "End of shift", "kind": "shift", "sections": ["oee"], "page_size": "letter", "schedule": "none",
        "recipients": "not-an-address"})
    assert response.status_code == 400 and "not an e-mail address" in response.content.decode()
    t.refresh_from_db()
    assert t.page_size == "a4"


def test_handover_on_kiosk_then_signed_is_immutable(client, plant, boss):
    line = plant[0]
    client.force_login(boss)
    url = reverse("reports:handover", kwargs={"line_id": line.pk})
    page = client.get(url + "?kiosk=1")
    assert page.status_code == 200
    assert "kiosk/base.html" in [t.name for t in page.templates]
    assert "base.html" in [t.name for t in client.get(url).templates]
    shift_key = page.context["shift"].key
    response = client.post(url + "?kiosk=1", {"shift": shift_key, "open_issues": "Label printer jams",
                                              "risks": "Short-staffed", "notes": ""})
    assert response.status_code == 302
    note = HandoverNote.objects.get(shift_key=shift_key)
    assert note.open_issues == "Label printer jams" and not note.signed
    response = client.post(reverse("reports:handover_sign", kwargs={"line_id": line.pk}), {"shift": shift_key})
    assert response.status_code == 302
    response = client.post(url, {"shift": shift_key, "open_issues": "changed after signing"})
    assert response.status_code == 409
    note.refresh_from_db()
    assert note.open_issues == "Label printer jams" and note.signed_by == boss
    assert "Signed off" in client.get(url + f"?shift={shift_key}").content.decode()
    assert client.post(reverse("reports:handover_sign", kwargs={"line_id": line.pk}),
                       {"shift": shift_key}).status_code == 409


def test_report_list_query_count_is_flat(client, plant, boss):
    """The list and the line page make the same number of queries for 1 or 20 reports (no N+1)."""
    from tests.factories.reports import GeneratedReportFactory
    from tests.query_counts import count_queries

    line = plant[0]
    client.force_login(boss)
    GeneratedReportFactory(line=line, requested_by=boss)
    urls = [reverse("reports:list"), reverse("reports:line", kwargs={"line_id": line.pk})]
    for url in urls:
        client.get(url)  # warm-up (session, content types)
    few = [count_queries(lambda u=u: client.get(u))[0] for u in urls]
    GeneratedReportFactory.create_batch(19, line=line, requested_by=boss)
    many = [count_queries(lambda u=u: client.get(u))[0] for u in urls]
    assert few == many


def test_admins_see_failed_reports_with_their_error(client, plant):
    from tests.factories.reports import GeneratedReportFactory

    line = plant[0]
    GeneratedReportFactory(line=line, status="failed", error="OSError: disk full", title="Night shift VIEW")
    GeneratedReportFactory(line=line, status="done", title="Early shift VIEW")
    client.force_login(UserFactory(username="root", role="admin"))
    page = client.get("/admin/reports/generatedreport/?status__exact=failed")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Night shift VIEW" in body and "OSError: disk full" in body and "Early shift VIEW" not in body
