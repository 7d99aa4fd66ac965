"""The only module that knows channel-group names and live message types (shared/STYLE.md §3).

Services call the ``*_on_commit`` functions; nothing is sent until the surrounding transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def group_for_line(line_id: int) -> str:
    return f"line.{line_id}"


def _group_send(line_id: int, message: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group_for_line(line_id), message)


def nudge_on_commit(line_id: int, event: str) -> None:
    """After commit, ask the line's clients to re-fetch the panels that listen for ``event``."""
    transaction.on_commit(lambda: _group_send(line_id, {"type": "client.trigger", "event": event}))


def equipment_changed_on_commit(*, line_ids: Iterable[int], equipment_ids: Iterable[int]) -> None:
    """Called by the OEE engine after ingesting PLC samples that changed state, counts or faults."""
    line_ids = sorted(set(line_ids))
    equipment_ids = sorted(set(equipment_ids))

    def send() -> None:
        for line_id in line_ids:
            _group_send(line_id, {"type": "client.trigger", "event": "ms5:equipment-changed",
                                  "equipment_ids": equipment_ids})

    transaction.on_commit(send)
