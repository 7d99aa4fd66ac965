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
