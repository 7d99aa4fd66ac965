"""The line websocket through the real ASGI stack: origin validation, session auth, the access choke-point."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from apps.lines import consumers, live
from ms5.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://testserver")


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return [ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


def open_socket(line_id, headers):
    return WebsocketCommunicator(application, f"/ws/lines/{line_id}/", headers=headers)


async def connect_and_expect_close(line_id, headers) -> int:
    comm = open_socket(line_id, headers)
    connected, _ = await comm.connect()
    assert connected  # accepted first, so the browser sees the close code
    out = await comm.receive_output(timeout=3)
    await comm.wait()
    assert out["type"] == "websocket.close"
    return out["code"]


def test_anonymous_gets_4401(line_a):
    assert async_to_sync(connect_and_expect_close)(line_a.pk, [ORIGIN]) == 4401


def test_signed_in_without_access_gets_4403(line_a, outsider):
    assert async_to_sync(connect_and_expect_close)(line_a.pk, session_headers(outsider)) == 4403


def test_operator_of_one_line_cannot_subscribe_to_another(line_a, line_b, operator):
    assert async_to_sync(connect_and_expect_close)(line_b.pk, session_headers(operator)) == 4403


def test_foreign_origin_is_refused_before_the_consumer(line_a, operator):
    headers = [(b"origin", b"http://evil.example")] + session_headers(operator)[1:]

    async def scenario():
        comm = open_socket(line_a.pk, headers)
        connected, _ = await comm.connect()
        await comm.disconnect()
        return connected

    assert async_to_sync(scenario)() is False


def commit_and_broadcast(line_id: int, *, nudge: str | None = "ms5:andon-changed", push: bool = True) -> None:
    """As a service would: queue the live updates inside a transaction; they go out when it commits."""
    with transaction.atomic():
        if push:
            live.push_partials_on_commit(line_id, "equipment-tiles")
        if nudge:
            live.nudge_on_commit(line_id, nudge)


def broadcast_roundtrip(line, headers):
    async def scenario():
        comm = open_socket(line.pk, headers)
        connected, _ = await comm.connect()
        assert connected
        assert await comm.receive_nothing(timeout=0.2)  # accepted and subscribed, not closed
        await sync_to_async(commit_and_broadcast)(line.pk)
        html = await comm.receive_from(timeout=3)
        trigger = json.loads(await comm.receive_from(timeout=3))
        await comm.disconnect()
        return html, trigger

    return async_to_sync(scenario)()


def test_broadcast_reaches_a_subscribed_operator_in_memory(line_a, operator):
    html, trigger = broadcast_roundtrip(line_a, session_headers(operator))
    assert f'id="equipment-tiles-{line_a.pk}"' in html
    assert "LA.EQ1" in html
    assert trigger == {"trigger": "ms5:andon-changed"}


def test_broadcast_over_redis_pubsub(line_a, operator, redis_url, settings):
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [redis_url], "prefix": f"ms5test-{uuid.uuid4().hex[:8]}"},
    }}
    from channels.layers import get_channel_layer

    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
    html, trigger = broadcast_roundtrip(line_a, session_headers(operator))
    assert f'id="equipment-tiles-{line_a.pk}"' in html
    assert trigger == {"trigger": "ms5:andon-changed"}


def test_other_lines_broadcasts_are_not_delivered(line_a, line_b, operator):
    headers = session_headers(operator)

    async def scenario():
        comm = open_socket(line_a.pk, headers)
        assert (await comm.connect())[0]
        await sync_to_async(commit_and_broadcast)(line_b.pk)
        nothing = await comm.receive_nothing(timeout=0.3)
        await comm.disconnect()
        return nothing

    assert async_to_sync(scenario)()


@pytest.mark.parametrize("how, code", [("sign_out", 4401), ("revoke", 4403), ("deactivate", 4401)])
def test_authentication_is_rechecked_per_event(how, code, line_a, operator, monkeypatch):
    monkeypatch.setattr(consumers, "RECHECK_S", 0.0)
    client = Client()
    client.force_login(operator)
    headers = [ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]

    def take_away() -> None:
        if how == "sign_out":
            client.logout()
        elif how == "revoke":
            from apps.accounts.access import revoke_line_scope

            revoke_line_scope(operator, line_a)
        else:
            type(operator).objects.filter(pk=operator.pk).update(is_active=False)

    async def scenario():
        comm = open_socket(line_a.pk, headers)
        assert (await comm.connect())[0]
        assert await comm.receive_nothing(timeout=0.2)
        await sync_to_async(take_away)()
        await sync_to_async(commit_and_broadcast)(line_a.pk, push=False)
        out = await comm.receive_output(timeout=3)
        await comm.wait()
        return out

    out = async_to_sync(scenario)()
    assert out["type"] == "websocket.close"
    assert out["code"] == code


def test_still_allowed_events_keep_flowing_after_a_recheck(line_a, operator, monkeypatch):
    monkeypatch.setattr(consumers, "RECHECK_S", 0.0)
    headers = session_headers(operator)

    async def scenario():
        comm = open_socket(line_a.pk, headers)
        assert (await comm.connect())[0]
        got = []
        for n in range(2):
            await sync_to_async(commit_and_broadcast)(line_a.pk, nudge=f"ms5:event-{n}", push=False)
            got.append(json.loads(await comm.receive_from(timeout=3)))
        await comm.disconnect()
        return got

    assert async_to_sync(scenario)() == [{"trigger": "ms5:event-0"}, {"trigger": "ms5:event-1"}]
