"""The PLC worker's background pusher: equipment changes are rendered off the writer thread and coalesced."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import override_settings

from apps.lines import live

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _drain(layer, channel: str, seconds: float) -> list[dict]:
    messages, deadline = [], time.monotonic() + seconds

    async def receive_until():
        import asyncio

        while time.monotonic() < deadline:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), timeout=0.1))
            except asyncio.TimeoutError:
                pass

    async_to_sync(receive_until)()
    return messages


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_a_burst_of_changes_is_coalesced_into_few_pushes_carrying_every_equipment(line_a):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.group_for_line(line_a.pk), channel)
    eq_id = line_a.equipment.get().pk
    pusher = live.use_background_pusher(min_interval_s=0.5)
    try:
        for i in range(50):
            live.equipment_changed_on_commit(line_ids=[line_a.pk], equipment_ids=[eq_id, 10_000 + i])
        messages = _drain(layer, channel, 1.5)
    finally:
        live.stop_background_pusher()

    fragments = [m for m in messages if m["type"] == "fragment.push"]
    triggers = [m for m in messages if m["type"] == "client.trigger"]
    assert 1 <= len(fragments) <= 3, f"50 changes gave {len(fragments)} pushes"
    assert f'id="equipment-tiles-{line_a.pk}"' in fragments[-1]["html"]
    # Coalescing keeps every equipment id that changed, not only the last one submitted.
    seen = set().union(*(set(t["equipment_ids"]) for t in triggers))
    assert {eq_id, 10_000, 10_049} <= seen
    assert pusher.pushes == len(fragments)


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_without_the_background_pusher_each_commit_pushes_at_once(line_a):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.group_for_line(line_a.pk), channel)
    eq_id = line_a.equipment.get().pk
    for _ in range(3):
        live.equipment_changed_on_commit(line_ids=[line_a.pk], equipment_ids=[eq_id])
    messages = _drain(layer, channel, 0.5)
    assert len([m for m in messages if m["type"] == "fragment.push"]) == 3
