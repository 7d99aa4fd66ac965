"""/healthz: 200 only when every required part is up; 503 naming the part that is down."""

from __future__ import annotations

import pytest
from django.test import override_settings

from ms5 import health

pytestmark = pytest.mark.django_db


def get_health(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


def test_healthy_on_the_embedded_default(client):
    status, body = get_health(client)
    assert status == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    for part in ("database", "channel_layer", "broker"):
        assert body["checks"][part]["ok"], part
    assert client.get("/healthz")["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("part", ["database", "channel_layer", "broker"])
def test_a_failing_part_gives_503_and_is_named(client, monkeypatch, part):
    def broken():
        raise ConnectionRefusedError(f"{part} is gone")

    monkeypatch.setitem(health._CHECKS, part, broken)
    status, body = get_health(client)
    assert status == 503
    assert body["status"] == "fail" and body["failing"] == [part]
    assert body["checks"][part] == {**body["checks"][part], "ok": False,
                                    "detail": f"ConnectionRefusedError: {part} is gone"}


def test_an_optional_part_down_keeps_200(client, monkeypatch):
    monkeypatch.setitem(health._CHECKS, "extra", lambda: health.CheckResult(False, "not yet", required=False))
    status, body = get_health(client)
    assert status == 200 and body["checks"]["extra"]["ok"] is False


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


def pubsub_layers(url: str) -> dict:
    return {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                        "CONFIG": {"hosts": [{"address": url}], "prefix": "ms5-healthz-test"}}}


def test_redis_channel_layer_up(client, redis_url):
    with override_settings(CHANNEL_LAYERS=pubsub_layers(redis_url)):
        status, body = get_health(client)
    assert status == 200, body
    assert body["checks"]["channel_layer"]["detail"] == "RedisPubSubChannelLayer"


def test_redis_channel_layer_down_gives_503(client):
    # Nothing listens on 127.0.0.1:1: the layer cannot connect and /healthz says which part is down.
    with override_settings(CHANNEL_LAYERS=pubsub_layers("redis://127.0.0.1:1/0")):
        status, body = get_health(client)
    assert status == 503
    assert body["failing"] == ["channel_layer"]
    assert "onnect" in body["checks"]["channel_layer"]["detail"]
