"""The floor screens in headless Chromium against a running run_plant server: pushed updates (a PLC fault through
the real ingest path, a stop coded on the kiosk reaching a manager's open page), reconnect and resync, and per-line
access for pages and sockets."""

from __future__ import annotations

import os
import signal

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RENAME = """
from django.db import transaction
from apps.lines import live
from apps.lines.models import Equipment
with transaction.atomic():
    Equipment.objects.filter(pk={eq}).update(name={name!r})
    {broadcast}
"""


def open_kiosk(signed_in_page, plant, persona="operator1"):
    page = signed_in_page(persona)
    response = page.goto(plant.url(f"/lines/{plant.seed['line1']}/kiosk/"))
    assert response.status == 200
    expect(page.locator("body")).to_have_attribute("data-ws", "open", timeout=10_000)
    return page


def rename(plant, eq: int, name: str, *, broadcast: bool) -> None:
    send = (f"live.equipment_changed_on_commit(line_ids=[{plant.seed['line1']}], equipment_ids=[{eq}])"
            if broadcast else "pass")
    plant.run_python(RENAME.format(eq=eq, name=name, broadcast=send), forward=True)


def test_equipment_change_pushed_after_a_service_call_appears_within_2_s(signed_in_page, plant):
    page = open_kiosk(signed_in_page, plant)
    tile = page.locator(f"#eq-tile-{plant.seed['eq1']} h2")
    page.evaluate("window.__ms5Marker = 'same-page'")
    rename(plant, plant.seed["eq1"], "Bagger 1 — pushed", broadcast=True)  # returns once committed and forwarded
    expect(tile).to_have_text("Bagger 1 — pushed", timeout=2_000)
    assert page.evaluate("window.__ms5Marker") == "same-page"  # no reload happened


FAULT = """
from django.utils import timezone
from apps.oee.ingest import EquipmentSample, samples_ingest
# Exactly what the PLC worker does after reading the sim driver: one canonical sample, fault bit 3 set.
samples_ingest([EquipmentSample(equipment_id={eq}, ts=timezone.now(), running=False, fault_word=1 << 3)])
"""


def test_a_plc_fault_appears_on_the_open_kiosk_in_plain_words_within_2_s(signed_in_page, plant):
    page = open_kiosk(signed_in_page, plant)
    faults = page.locator(f"#last-faults-{plant.seed['line1']}")
    expect(faults).not_to_contain_text("Film roll empty")
    page.evaluate("window.__ms5Marker = 'same-page'")
    plant.run_python(FAULT.format(eq=plant.seed["eq1"]), forward=True)  # returns once committed and forwarded
    expect(faults).to_contain_text("Film roll empty", timeout=2_000)
    expect(faults.locator(".fault-active")).to_contain_text("Film roll empty")
    assert page.evaluate("window.__ms5Marker") == "same-page"  # no reload happened


STOP = """
import datetime as dt
from django.utils import timezone
from apps.downtime.models import DowntimeEvent
start = timezone.now() - dt.timedelta(minutes=10)
event = DowntimeEvent.objects.create(equipment_id={eq}, start=start, end=start + dt.timedelta(minutes=3),
                                     occurrence_start=start)
print(event.pk)
"""


def test_coding_a_stop_on_the_kiosk_updates_the_managers_open_page(signed_in_page, plant):
    event = int(plant.run_python(STOP.format(eq=plant.seed["eq2"])).strip().splitlines()[-1])
    line = plant.seed["line1"]
    manager = signed_in_page("manager")
    assert manager.goto(plant.url(f"/lines/{line}/")).status == 200
    expect(manager.locator("body")).to_have_attribute("data-ws", "open", timeout=10_000)
    reason_cell = manager.locator(f"#dt-{event} .dt-reason")
    expect(reason_cell).to_contain_text("no reason yet")
    manager.evaluate("window.__ms5Marker = 'same-page'")

    kiosk = open_kiosk(signed_in_page, plant)
    stop = kiosk.locator(f"details.stop:has(input[name=event][value='{event}'])")
    stop.locator("summary").click()
    stop.locator(f"button[name=reason][value='{plant.seed['reason']}']").click()
    expect(kiosk.locator(f"details.stop:has(input[name=event][value='{event}'])")).to_have_count(0, timeout=5_000)

    expect(reason_cell).to_contain_text("Bag film jam", timeout=2_000)
    assert manager.evaluate("window.__ms5Marker") == "same-page"


def test_server_restart_shows_offline_banner_then_reconnects_and_resyncs(signed_in_page, plant):
    page = open_kiosk(signed_in_page, plant)
    banner = page.locator(".offline-banner")
    expect(banner).to_be_hidden()
    web = plant.web_pid()
    os.kill(web, signal.SIGKILL)  # the web server dies; run_plant restarts it
    expect(banner).to_be_visible(timeout=10_000)
    # A change made while the page is offline, with no broadcast at all: only the resync can show it.
    rename(plant, plant.seed["eq2"], "Basket Loader 1 — changed while offline", broadcast=False)
    plant.wait_web_restarted(web)
    expect(banner).to_be_hidden(timeout=90_000)
    expect(page.locator(f"#eq-tile-{plant.seed['eq2']} h2")).to_have_text(
        "Basket Loader 1 — changed while offline", timeout=10_000)
    # And pushes flow again on the new socket.
    rename(plant, plant.seed["eq1"], "Bagger 1 — after restart", broadcast=True)
    expect(page.locator(f"#eq-tile-{plant.seed['eq1']} h2")).to_have_text("Bagger 1 — after restart", timeout=2_000)


def test_operator_of_line_1_cannot_open_or_subscribe_to_line_2(signed_in_page, plant):
    page = open_kiosk(signed_in_page, plant)
    other = plant.seed["line2"]
    code = page.evaluate(
        """(url) => new Promise((resolve) => {
             const ws = new WebSocket(url);
             ws.onclose = (e) => resolve(e.code);
             setTimeout(() => resolve('timeout'), 8000);
           })""",
        plant.ws_url(f"/ws/lines/{other}/"),
    )
    assert code == 4403
    response = page.goto(plant.url(f"/lines/{other}/kiosk/"))
    assert response.status == 404
    assert page.request.get(plant.url(f"/lines/{other}/kiosk/tiles/")).status == 404


def test_signed_out_socket_is_closed_4401(browser, plant):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(plant.url("/accounts/login/"))
        code = page.evaluate(
            """(url) => new Promise((resolve) => {
                 const ws = new WebSocket(url);
                 ws.onclose = (e) => resolve(e.code);
                 setTimeout(() => resolve('timeout'), 8000);
               })""",
            plant.ws_url(f"/ws/lines/{plant.seed['line1']}/"),
        )
        assert code == 4401
    finally:
        context.close()
