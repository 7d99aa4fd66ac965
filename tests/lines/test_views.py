"""Kiosk views and the internal live-forward endpoint (loopback-only, HMAC-signed)."""

from __future__ import annotations

import json
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import AsyncRequestFactory
from django.urls import reverse

from apps.lines import views
from ms5 import layers

pytestmark = pytest.mark.django_db


def test_kiosk_page_renders_tiles_and_opens_the_line_socket(client, operator, line_a):
    client.force_login(operator)
    response = client.get(reverse("lines:kiosk", args=[line_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'ws-connect="/ws/lines/{line_a.pk}/"' in html
    assert f'id="equipment-tiles-{line_a.pk}"' in html
    assert "LA.EQ1" in html and 'data-state="no_data"' in html


def test_kiosk_tiles_panel_is_the_partial_alone(client, operator, line_a):
    client.force_login(operator)
    response = client.get(reverse("lines:kiosk_tiles", args=[line_a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<section class="equipment-tiles" id="equipment-tiles-{line_a.pk}"')
    assert "<html" not in html


@pytest.mark.parametrize("name", ["lines:kiosk", "lines:kiosk_tiles"])
def test_operator_gets_404_for_another_line(client, operator, line_b, name):
    client.force_login(operator)
    assert client.get(reverse(name, args=[line_b.pk])).status_code == 404


def signed(body: bytes, ts: int | None = None) -> dict:
    ts = int(time.time()) if ts is None else ts
    return {"headers": {layers.TIMESTAMP_HEADER: str(ts), layers.SIGNATURE_HEADER: layers.sign(body, ts)}}


def forward_body(group="line.7", message=None) -> bytes:
    return json.dumps({"group": group, "message": message or {"type": "client.trigger", "event": "ms5:x"}}).encode()


def post_forward(body: bytes, *, remote_addr="127.0.0.1", **kwargs):
    async def go():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("line.7", channel)
        request = AsyncRequestFactory().post("/internal/live/", body, content_type="application/json", **kwargs)
        request.META["REMOTE_ADDR"] = remote_addr
        response = await views.live_forward(request)
        try:
            import asyncio

            received = await asyncio.wait_for(layer.receive(channel), timeout=0.3)
        except TimeoutError:
            received = None
        await layer.group_discard("line.7", channel)
        return response, received

    return async_to_sync(go)()


def test_a_signed_loopback_forward_is_delivered_to_the_group():
    body = forward_body()
    response, received = post_forward(body, **signed(body))
    assert response.status_code == 204
    assert received == {"type": "client.trigger", "event": "ms5:x"}


@pytest.mark.parametrize("case", ["remote", "bad_signature", "stale", "unsigned", "bad_type", "bad_group"])
def test_forward_is_refused(case):
    body = forward_body()
    kwargs = signed(body)
    remote = "127.0.0.1"
    if case == "remote":
        remote = "10.1.2.3"
    elif case == "bad_signature":
        kwargs = signed(forward_body(group="line.8"))  # signature of another body
    elif case == "stale":
        kwargs = signed(body, ts=int(time.time()) - layers.MAX_SKEW_S - 5)
    elif case == "unsigned":
        kwargs = {}
    elif case == "bad_type":
        body = forward_body(message={"type": "websocket.close"})
        kwargs = signed(body)
    elif case == "bad_group":
        body = forward_body(group="line 7!")
        kwargs = signed(body)
    response, received = post_forward(body, remote_addr=remote, **kwargs)
    assert response.status_code in (400, 403)
    assert received is None


def test_forward_url_must_be_loopback():
    from django.core.exceptions import ImproperlyConfigured

    assert layers.check_forward_url("http://127.0.0.1:8000/internal/live/")
    for url in ("http://10.0.0.5:8000/internal/live/", "https://127.0.0.1/internal/live/", "http://example.com/"):
        with pytest.raises(ImproperlyConfigured):
            layers.check_forward_url(url)


def test_a_forwarding_process_does_not_accept_forwards(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "ms5.layers.LoopbackChannelLayer",
                                           "CONFIG": {"forward_url": "http://127.0.0.1:1/internal/live/"}}}
    body = forward_body()
    response, _ = post_forward(body, **signed(body))
    assert response.status_code == 404


# --- kiosk stops panel and shift figures -------------------------------------------------------------------------

def make_stop(line, *, running=True, minutes_ago=5):
    import datetime as dt

    from django.utils import timezone

    from apps.downtime.models import DowntimeEvent

    start = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return DowntimeEvent.objects.create(equipment=line.equipment.first(), start=start, occurrence_start=start,
                                        end=None if running else start + dt.timedelta(minutes=2))


def make_reason(line, name="Bag film jam"):
    from apps.lines.models import DowntimeReason, ReasonCategory

    category = ReasonCategory.objects.create(line=line, code=f"MECH{line.pk}", name="Mechanical")
    return DowntimeReason.objects.create(category=category, line=line, code=f"JAM{line.pk}", name=name)


def test_stops_panel_lists_the_running_stop_with_the_reason_picker(client, operator, line_a):
    stop = make_stop(line_a)
    make_reason(line_a)
    client.force_login(operator)
    html = client.get(reverse("lines:kiosk_stops", args=[line_a.pk])).content.decode()
    assert "STOPPED NOW" in html and "Bag film jam" in html
    assert f'name="event" value="{stop.pk}"' in html
    assert 'hx-disabled-elt="find button"' in html and 'hx-sync="this:drop"' in html


def test_a_viewer_without_code_downtime_sees_stops_but_no_picker(client, line_a):
    from tests.factories.accounts import UserFactory

    make_stop(line_a)
    make_reason(line_a)
    client.force_login(UserFactory(role="viewer", lines=[line_a]))
    html = client.get(reverse("lines:kiosk_stops", args=[line_a.pk])).content.decode()
    assert "STOPPED NOW" in html and "Bag film jam" not in html


def test_coding_a_stop_from_the_kiosk(client, operator, line_a, django_capture_on_commit_callbacks):
    stop = make_stop(line_a)
    reason = make_reason(line_a)
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("lines:kiosk_stop_code", args=[line_a.pk]),
                               {"event": stop.pk, "reason": reason.pk})
    assert response.status_code == 200
    stop.refresh_from_db()
    assert stop.reason_id == reason.pk and stop.reason_source == "operator"
    assert "Every stop has a reason." in response.content.decode()
    assert callbacks, "a live nudge is queued for after commit"


def test_a_stop_of_another_line_or_a_foreign_reason_is_refused(client, operator, line_a, line_b):
    stop_b = make_stop(line_b)
    reason_b = make_reason(line_b)
    stop_a = make_stop(line_a)
    client.force_login(operator)
    url = reverse("lines:kiosk_stop_code", args=[line_a.pk])
    assert client.post(url, {"event": stop_b.pk, "reason": reason_b.pk}).status_code == 404
    response = client.post(url, {"event": stop_a.pk, "reason": reason_b.pk})
    assert response.status_code == 400
    stop_a.refresh_from_db()
    assert stop_a.reason_id is None
    assert client.post(reverse("lines:kiosk_stop_code", args=[line_b.pk]),
                       {"event": stop_b.pk, "reason": reason_b.pk}).status_code == 404


def test_shift_figures_show_targets_during_a_shift(client, operator, line_a):
    import datetime as dt

    from django.utils import timezone

    from tests.factories.lines import ShiftFactory, ShiftPatternFactory

    local = timezone.now().astimezone(line_a.area.site.tz)
    start = (local - dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    ShiftFactory(pattern=ShiftPatternFactory(line=line_a), name="Early", start_time=start.time(),
                 end_time=(start + dt.timedelta(hours=4)).time())
    client.force_login(operator)
    html = client.get(reverse("lines:kiosk_tiles", args=[line_a.pk]) + "?panel=shift-figures").content.decode()
    assert f'id="shift-figures-{line_a.pk}"' in html and "Early" in html
    assert "target 73 %" in html and "target 90 %" in html


def test_shift_figures_outside_every_shift(client, operator, line_a):
    client.force_login(operator)
    html = client.get(reverse("lines:kiosk_tiles", args=[line_a.pk]) + "?panel=shift-figures").content.decode()
    assert "No shift running" in html


def test_unknown_panel_is_404(client, operator, line_a):
    client.force_login(operator)
    assert client.get(reverse("lines:kiosk_tiles", args=[line_a.pk]) + "?panel=secret").status_code == 404


def test_overview_tile_shows_line_state_andon_and_uncoded_stops(client, manager, line_a):
    make_stop(line_a)
    client.force_login(manager)
    page = client.get(reverse("lines:overview")).content.decode()
    assert f'id="line-tile-{line_a.pk}"' in page and "Loading…" in page
    html = client.get(reverse("lines:kiosk_tiles", args=[line_a.pk]) + "?panel=line-tile").content.decode()
    assert f'id="line-tile-{line_a.pk}"' in html
    assert "Stops without a reason: <strong>1</strong>" in html
    assert "Open Andon calls: <strong>0</strong>" in html
    assert "load," not in html  # a loaded (or pushed) tile does not fetch itself again


def test_pushed_frame_carries_every_role_neutral_panel(line_a):
    from apps.lines import live

    html = live.render_board_partials(line_a.pk, *live.BOARD_PARTIALS)
    for element_id in (f"equipment-tiles-{line_a.pk}", f"shift-figures-{line_a.pk}", f"line-tile-{line_a.pk}"):
        assert f'id="{element_id}"' in html
    assert "csrf" not in html.lower()  # nothing user- or session-specific in a pushed frame


def make_call(line, title):
    from django.utils import timezone

    from apps.andon.models import AndonCall

    now = timezone.now()
    return AndonCall.objects.create(line=line, equipment=line.equipment.first(), source="manual", title=title,
                                    priority="high", opened_at=now, last_seen_at=now, dedupe_key=f"t:{title}")


def test_andon_board_shows_only_visible_lines_calls(client, operator, line_a, line_b):
    make_call(line_a, "Film roll empty")
    make_call(line_b, "Capper jammed")
    client.force_login(operator)
    page = client.get(reverse("lines:andon_board")).content.decode()
    assert "Film roll empty" in page and "Capper jammed" not in page
    assert f'ws-connect="/ws/lines/{line_a.pk}/"' in page and f'ws-connect="/ws/lines/{line_b.pk}/"' not in page
    panel = client.get(reverse("lines:andon_board_calls")).content.decode()
    assert panel.lstrip().startswith('<section id="andon-calls"') and "Film roll empty" in panel
    assert "andon-changed from:body" in panel


def test_local_delivery_reaches_every_member_and_drops_on_a_full_channel():
    layer = layers.LoopbackChannelLayer(forward_url="", capacity=1)

    async def go():
        channels = [await layer.new_channel() for _ in range(3)]
        for channel in channels:
            await layer.group_add("line.9", channel)
        await layer.group_send("line.9", {"type": "client.trigger", "event": "a"})
        await layer.group_send("line.9", {"type": "client.trigger", "event": "b"})  # every channel full: dropped
        got = [await layer.receive(channel) for channel in channels]
        import asyncio

        try:
            extra = await asyncio.wait_for(layer.receive(channels[0]), timeout=0.1)
        except TimeoutError:
            extra = None
        return got, extra

    got, extra = async_to_sync(go)()
    assert got == [{"type": "client.trigger", "event": "a"}] * 3
    assert extra is None
