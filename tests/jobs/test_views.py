"""Kiosk and board views through the Django test client: the whole flow, refusals shown in the panel, the
schedule form, and checklist submission with PIN and signature."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from apps.checklists.models import ChecklistCompletion
from apps.jobs.choices import JobStatus
from apps.jobs.models import Job, ScheduleEntry
from apps.oee.models import CountDelta
from tests.factories.checklists import ChecklistTemplateFactory, passing_answers, signature_data
from tests.factories.jobs import job_on_line
from tests.factories.lines import ProductFactory


@pytest.fixture
def signer(operator):
    from apps.accounts.services import user_set_pin

    return user_set_pin(user=operator, pin="4711", badge_number="B-2002")


def post(client, name, line, job=None, data=None):
    kwargs = {"line_id": line.pk}
    if job is not None:
        kwargs["job_id"] = job.pk
    return client.post(reverse(name, kwargs=kwargs), data or {}, HTTP_HX_REQUEST="true")


def submit_checklist(client, line, job, template, **overrides):
    data = {f"item-{k}": v for k, v in passing_answers(template).items()}
    data.update(template=template.pk, pin="4711", signature=signature_data())
    data.update(overrides)
    return client.post(reverse("checklists:submit_for_job", kwargs={"line_id": line.pk, "job_id": job.pk}), data)


def test_kiosk_flow_accept_checklist_start_progress_complete(client, signer, line_a):
    template = ChecklistTemplateFactory(line=line_a)
    job = job_on_line(line_a, quantity=10)
    client.force_login(signer)
    page = client.get(reverse("jobs:kiosk", kwargs={"line_id": line_a.pk}))
    assert page.status_code == 200 and job.ref in page.content.decode()

    r = post(client, "jobs:accept", line_a, job)
    assert r.status_code == 200 and "Accepted" in r.content.decode()
    r = post(client, "jobs:start", line_a, job)
    assert r.status_code == 409 and "Complete the checklist" in r.content.decode()

    form = client.get(reverse("checklists:fill_for_job", kwargs={"line_id": line_a.pk, "job_id": job.pk}))
    assert form.status_code == 200 and template.name in form.content.decode()
    r = submit_checklist(client, line_a, job, template, pin="0000")
    assert r.status_code == 400 and "Wrong PIN." in r.content.decode()
    r = submit_checklist(client, line_a, job, template)
    assert r.status_code == 302 and r["Location"] == reverse("jobs:kiosk", kwargs={"line_id": line_a.pk})
    c = ChecklistCompletion.objects.get()
    assert c.passed and c.signer == signer and c.product_id == job.schedule.product_id

    r = post(client, "jobs:start", line_a, job)
    assert r.status_code == 200 and "In progress" in r.content.decode()
    eq = line_a.equipment.get()
    CountDelta.objects.create(equipment=eq, ts=Job.objects.get(pk=job.pk).started_at,
                              total=12, reject=1)
    panel = client.get(reverse("jobs:kiosk_panel", kwargs={"line_id": line_a.pk})).content.decode()
    assert "11</strong> good of 10" in panel and "Target reached" in panel
    r = post(client, "jobs:complete", line_a, job)
    assert r.status_code == 200
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.good_count == 11


def test_failed_checklist_shows_failure_and_blocks(client, signer, line_a):
    template = ChecklistTemplateFactory(line=line_a)
    job = job_on_line(line_a)
    client.force_login(signer)
    post(client, "jobs:accept", line_a, job)
    guards = template.items.get(kind="checkbox")
    r = submit_checklist(client, line_a, job, template, raise_andon="on", **{f"item-{guards.pk}": ""})
    c = ChecklistCompletion.objects.get()
    assert c.andon_call_id is not None
    assert r.status_code == 302 and r["Location"].endswith(f"/completions/{c.pk}/")
    detail = client.get(r["Location"]).content.decode()
    assert "FAILED: Guards closed" in detail and 'data-integrity="ok"' in detail
    assert f"An Andon call was raised (#{c.andon_call_id})" in detail
    r = post(client, "jobs:start", line_a, job)
    assert r.status_code == 409 and "failed (Guards closed)" in r.content.decode()


def test_completion_page_shows_tampering(client, signer, line_a):
    from tests.factories.checklists import completion_on_line

    c = completion_on_line(line_a)
    ChecklistCompletion.objects.filter(pk=c.pk).update(passed=True, failed_items=[], answers={**c.answers, "x": 1})
    client.force_login(signer)
    page = client.get(reverse("checklists:completion", kwargs={"line_id": line_a.pk, "completion_id": c.pk}))
    assert 'data-integrity="tampered"' in page.content.decode()


def test_badge_signer_on_a_station_tablet(client, kiosk_user, signer, line_a):
    template = ChecklistTemplateFactory(line=line_a)
    job = job_on_line(line_a)
    client.force_login(kiosk_user)
    r = submit_checklist(client, line_a, job, template, badge="B-2002")
    assert r.status_code == 302 and ChecklistCompletion.objects.get().signer == signer
    r = submit_checklist(client, line_a, job, template, badge="NOPE")
    assert r.status_code == 400 and "Unknown badge." in r.content.decode()


def test_schedule_form_creates_flags_and_refuses_overlaps(client, supervisor, line_a):
    product = ProductFactory(code="PX", ideal_cycle_time_s=10)
    client.force_login(supervisor)
    url = reverse("jobs:schedule_create", kwargs={"line_id": line_a.pk})
    data = {"product": product.pk, "quantity": 500, "planned_start": "2026-05-04T06:00",
            "planned_end": "2026-05-04T07:00"}
    r = client.post(url, data)
    assert r.status_code == 302
    entry = ScheduleEntry.objects.get()
    assert entry.too_short and entry.planned_start == dt.datetime(2026, 5, 4, 4, 0, tzinfo=dt.timezone.utc)  # Berlin
    r = client.post(url, {**data, "planned_start": "2026-05-04T06:30", "planned_end": "2026-05-04T08:00"})
    assert r.status_code == 400 and f"Overlaps {entry.ref}" in r.content.decode()
    board = client.get(reverse("jobs:board", kwargs={"line_id": line_a.pk}) + "?day=2026-05-04").content.decode()
    assert entry.ref in board and "Too short" in board


def test_board_cancel_and_reassign(client, supervisor, operator, line_a):
    job = job_on_line(line_a)
    client.force_login(supervisor)
    r = post(client, "jobs:cancel", line_a, job, {"reason": ""})
    assert r.status_code == 409 and "Give a reason" in r.content.decode()
    r = post(client, "jobs:reassign", line_a, job, {"assigned_to": operator.pk})
    assert r.status_code == 200 and Job.objects.get(pk=job.pk).assigned_to == operator
    r = post(client, "jobs:cancel", line_a, job, {"reason": "No film"})
    assert r.status_code == 200 and Job.objects.get(pk=job.pk).status == JobStatus.CANCELLED


def test_a_job_of_another_line_is_404(client, signer, line_a, line_b):
    job = job_on_line(line_b)
    client.force_login(signer)
    assert post(client, "jobs:accept", line_a, job).status_code == 404
