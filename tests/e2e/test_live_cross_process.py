"""Live updates cross processes in the embedded default: a broadcast made in another process (as the PLC worker
or Celery make them) reaches a websocket held by run_plant's web server, through the loopback forward."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

pytestmark = pytest.mark.slow

CHANGE_AND_BROADCAST = """
from django.db import transaction
from apps.lines import live
from apps.lines.models import Equipment
with transaction.atomic():
    Equipment.objects.filter(pk={eq}).update(name={name!r})
    live.equipment_changed_on_commit(line_ids=[{line}], equipment_ids=[{eq}])
print("committed")
"""


def run(coro):
    """asyncio.run in a thread of its own: a session-scoped Playwright browser keeps a loop running in this one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def open_line_socket(plant, line_id, persona="operator1"):
    return await websockets.connect(
        plant.ws_url(f"/ws/lines/{line_id}/"), open_timeout=10, compression=None,
        additional_headers={"Cookie": f"sessionid={plant.seed['sessions'][persona]}", "Origin": plant.url("")[:-1]},
    )


async def receive_all(ws, seconds: float) -> list[str]:
    got = []
    try:
        while True:
            got.append(await asyncio.wait_for(ws.recv(), timeout=seconds))
    except (TimeoutError, asyncio.TimeoutError):
        return got


def test_broadcast_from_another_process_reaches_the_web_servers_sockets(plant):
    seed = plant.seed

    async def scenario():
        ws = await open_line_socket(plant, seed["line1"])
        try:
            assert await receive_all(ws, 0.3) == []  # accepted and not closed
            out = await asyncio.to_thread(plant.run_python, CHANGE_AND_BROADCAST.format(
                eq=seed["eq1"], line=seed["line1"], name="Bagger 1 (renamed by PLC process)"), forward=True)
            assert "committed" in out
            return await receive_all(ws, 3)
        finally:
            await ws.close()

    messages = run(scenario())
    html = [m for m in messages if not m.startswith("{")]
    triggers = [json.loads(m) for m in messages if m.startswith("{")]
    assert len(html) == 1 and f'id="equipment-tiles-{seed["line1"]}"' in html[0]
    assert "Bagger 1 (renamed by PLC process)" in html[0]
    assert triggers == [{"trigger": "ms5:equipment-changed", "detail": {"equipment_ids": [seed["eq1"]]}}]


def test_without_the_forward_an_other_process_broadcast_is_lost(plant):
    """The control experiment: the plain in-memory layer does not cross processes (why ms5/layers.py exists)."""
    seed = plant.seed

    async def scenario():
        ws = await open_line_socket(plant, seed["line1"])
        try:
            await asyncio.to_thread(plant.run_python, CHANGE_AND_BROADCAST.format(
                eq=seed["eq2"], line=seed["line1"], name="Basket Loader 1 (not forwarded)"), forward=False)
            return await receive_all(ws, 1.5)
        finally:
            await ws.close()

    assert run(scenario()) == []


def test_forwarded_updates_respect_line_groups(plant):
    seed = plant.seed

    async def scenario():
        ws = await open_line_socket(plant, seed["line1"])
        try:
            await asyncio.to_thread(plant.run_python, CHANGE_AND_BROADCAST.format(
                eq=seed["eq3"], line=seed["line2"], name="Bagger 2 (other line)"), forward=True)
            return await receive_all(ws, 1.5)
        finally:
            await ws.close()

    assert run(scenario()) == []


def test_operator_socket_to_another_line_is_closed_4403(plant):
    async def scenario():
        ws = await open_line_socket(plant, plant.seed["line2"])
        try:
            await asyncio.wait_for(ws.recv(), timeout=5)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        return "not closed"

    assert run(scenario()) == 4403
