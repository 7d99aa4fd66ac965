"""The kiosk job flow in headless Chromium against a running run_plant server (fixtures of tests/e2e/fixtures.py):
accept → pre-start checklist (drawn signature + PIN) → start → progress pushed live from counts → complete."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect


pytestmark = pytest.mark.browser

SETUP = """
import json
from apps.accounts.models import User
from apps.accounts.services import user_set_pin
from apps.lines.models import Line
from tests.factories.checklists import ChecklistTemplateFactory
from tests.factories.jobs import job_on_line
from tests.factories.lines import ProductFactory
line = Line.objects.get(pk={line})
user_set_pin(user=User.objects.get(username={username!r}), pin="2580", badge_number="E2E-OP1")
ChecklistTemplateFactory(line=line, code="E2E-PRESTART", name="Bagger pre-start", items=[
    {{"kind": "checkbox", "label": "Guards closed"}},
     {{"kind": "number", "label": "Air pressure", "min_value": "5.5", "max_value": "7.0", "unit": "bar"}}])
job = job_on_line(line, product=ProductFactory(code="BAG-5KG", name="Bags 5 kg"), quantity=40)
print(json.dumps({{"job": job.pk, "ref": job.ref}}))
"""

COUNTS = """
from django.db import transaction
from django.utils import timezone
from apps.lines import live
from apps.oee.models import CountDelta
with transaction.atomic():
    CountDelta.objects.create(equipment_id={eq}, ts=timezone.now(), total={total}, reject={reject})
    live.equipment_changed_on_commit(line_ids=[{line}], equipment_ids=[{eq}])
"""


def test_kiosk_job_flow_in_a_real_browser(signed_in_page, plant):
    line, eq = plant.seed["line1"], plant.seed["eq1"]
    out = plant.run_python(SETUP.format(line=line, username=plant.seed["usernames"]["operator1"]))
    ids = json.loads(out.strip().splitlines()[-1])
    page = signed_in_page("operator1")
    assert page.goto(plant.url(f"/jobs/lines/{line}/kiosk/")).status == 200
    expect(page.locator("body")).to_have_attribute("data-ws", "open", timeout=10_000)
    card = page.locator(f"#job-{ids['job']}")
    expect(card).to_contain_text(ids["ref"])

    card.get_by_role("button", name="Accept").click()
    expect(card.locator(".job-status")).to_have_text("Accepted")
    expect(card.locator(".gate-blocked")).to_contain_text("Complete the checklist")  # no Start until it passed
    expect(card.get_by_role("button", name="Start job")).to_have_count(0)

    card.get_by_role("link", name="Pre-start checklist").click()
    expect(page.locator("h1")).to_contain_text("Bagger pre-start")
    page.get_by_label("OK").check()
    page.get_by_label("Air pressure").fill("6.2")
    pad = page.locator("canvas[aria-label='Signature pad']")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 40 + (step % 3) * 30)
    page.mouse.up()
    page.locator("#ck-pin").fill("2580")
    page.get_by_role("button", name="Sign and submit").click()
    page.wait_for_url(plant.url(f"/jobs/lines/{line}/kiosk/"))
    expect(page.locator("body")).to_have_attribute("data-ws", "open", timeout=10_000)

    card = page.locator(f"#job-{ids['job']}")
    card.get_by_role("button", name="Start job").click()
    expect(card.locator(".job-status")).to_have_text("In progress")
    page.evaluate("window.__ms5Marker = 'same-page'")

    plant.run_python(COUNTS.format(eq=eq, line=line, total=25, reject=2), forward=True)
    expect(card.locator("[data-good]")).to_have_text("23", timeout=5_000)  # pushed, no reload
    expect(card.locator(".suggest")).to_have_count(0)
    plant.run_python(COUNTS.format(eq=eq, line=line, total=20, reject=0), forward=True)
    expect(card.locator(".suggest")).to_contain_text("Target reached", timeout=5_000)
    assert page.evaluate("window.__ms5Marker") == "same-page"

    card.get_by_role("button", name="Complete job").click()
    expect(page.locator(f"#job-{ids['job']}")).to_have_count(0)
    expect(page.locator(".my-jobs")).to_contain_text("No jobs for you")
    done = plant.run_python(
        f"from apps.jobs.models import Job; j = Job.objects.get(pk={ids['job']}); "
        "print(j.status, j.good_count, j.checklist_completion.passed, j.checklist_completion.signer.username)",
        forward=False)
    assert done.strip().splitlines()[-1].split() == ["completed", "43", "True", plant.seed["usernames"]["operator1"]]
