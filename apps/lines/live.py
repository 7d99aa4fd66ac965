"""The only module that knows channel-group names and live message types (shared/STYLE.md §3).

Services call the ``*_on_commit`` functions; nothing is sent until the surrounding transaction commits. Two kinds:
``fragment.push`` carries HTML that is the same for everyone on the line (rendered once per event, swapped
out-of-band by id in the browser); ``client.trigger`` carries only an event name, and user-specific panels re-fetch
over HTTP. Works in any process: in the embedded default the PLC worker's and Celery's sends are forwarded to the
web process (ms5/layers.py); with REDIS_URL they go through Redis pub/sub.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

# Role-neutral partials pushed to a line's group, and the page template that defines each. Every one is rendered
# from selectors.line_tile_context (a superset of line_board_context), once per event for all sockets.
PUSHED_PARTIALS = {
    "equipment-tiles": "lines/kiosk.html",
    "shift-figures": "lines/kiosk.html",
    "last-faults": "lines/kiosk.html",
    "line-tile": "lines/overview.html",
}
BOARD_PARTIALS = tuple(PUSHED_PARTIALS)


def group_for_line(line_id: int) -> str:
    return f"line.{int(line_id)}"


def _group_send(line_id: int, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_for_line(line_id), message)
    except Exception:  # a live update must never break the service that committed: clients resync anyway
        log.exception("live update for line %s failed", line_id)


def render_board_partials(line_id: int, *partials: str) -> str:
    """The named partials of the line board, rendered from committed state, concatenated as one frame."""
    from apps.lines.selectors import line_tile_context

    unknown = set(partials) - set(PUSHED_PARTIALS)
    if unknown:
        raise ValueError(f"unknown board partials: {sorted(unknown)}")
    from django.utils import timezone

    ctx = {**line_tile_context(line_id=line_id), "tile_loaded": True}
    with timezone.override(ctx["line"].area.site.tz):  # the line's screens show the site's local time
        return "".join(render_to_string(f"{PUSHED_PARTIALS[name]}#{name}", ctx) for name in partials)


def push_board(line_id: int, *partials: str) -> None:
    """Render and push now (callers are already after commit)."""
    html = render_board_partials(line_id, *(partials or BOARD_PARTIALS))
    _group_send(line_id, {"type": "fragment.push", "html": html})


def push_partials_on_commit(line_id: int, *partials: str) -> None:
    """After commit, re-read the board and push the named partials (all of them if none named) as one frame."""
    transaction.on_commit(lambda: push_board(line_id, *partials), robust=True)


def nudge_on_commit(line_id: int, event: str) -> None:
    """After commit, ask the line's clients to re-fetch the panels that listen for ``event``."""
    transaction.on_commit(lambda: _group_send(line_id, {"type": "client.trigger", "event": event}), robust=True)


def equipment_changed_on_commit(*, line_ids: Iterable[int], equipment_ids: Iterable[int]) -> None:
    """Called by the OEE engine after ingesting PLC samples that changed state, counts or faults.

    Pushes the line's equipment tiles (role-neutral) and fires ``ms5:equipment-changed`` for panels that depend on
    the user. The caller coalesces (at most about one call per line per second, shared/STYLE.md §3.1 rule 9).
    """
    line_ids = sorted(set(line_ids))
    equipment_ids = sorted(set(equipment_ids))

    def send() -> None:
        if _pusher is not None:
            _pusher.submit(line_ids, equipment_ids)
            return
        for line_id in line_ids:
            _push_equipment_change(line_id, equipment_ids)

    transaction.on_commit(send, robust=True)


def _push_equipment_change(line_id: int, equipment_ids: list[int]) -> None:
    push_board(line_id, *BOARD_PARTIALS)
    _group_send(line_id, {"type": "client.trigger", "event": "ms5:equipment-changed", "equipment_ids": equipment_ids})


class BackgroundPusher(threading.Thread):
    """Renders and sends line boards on its own thread, so a process that writes many samples (the PLC worker)
    never waits for a board to render. Changes are coalesced per line: however many arrive, a line is pushed at
    most once per ``min_interval_s``, always with its latest committed state (clients resync on reconnect anyway).
    """

    def __init__(self, *, min_interval_s: float = 0.5) -> None:
        super().__init__(name="live-pusher", daemon=True)
        self.min_interval_s = min_interval_s
        self._pending: dict[int, set[int]] = {}
        self._last_push: dict[int, float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.pushes = 0

    def submit(self, line_ids: Iterable[int], equipment_ids: Iterable[int]) -> None:
        with self._lock:
            for line_id in line_ids:
                self._pending.setdefault(line_id, set()).update(equipment_ids)
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        self.join(timeout)

    def _take_due(self) -> tuple[dict[int, set[int]], float | None]:
        now = time.monotonic()
        due, next_due = {}, None
        with self._lock:
            for line_id in list(self._pending):
                ready_at = self._last_push.get(line_id, float("-inf")) + self.min_interval_s
                if ready_at <= now:
                    due[line_id] = self._pending.pop(line_id)
                    self._last_push[line_id] = now
                else:
                    next_due = ready_at if next_due is None else min(next_due, ready_at)
            self._wake.clear()
        return due, next_due

    def run(self) -> None:
        from django.db import close_old_connections

        while not self._stopping.is_set():
            due, next_due = self._take_due()
            for line_id, equipment_ids in due.items():
                try:
                    _push_equipment_change(line_id, sorted(equipment_ids))
                    self.pushes += 1
                except Exception:  # never let one bad render stop the live feed of every line
                    log.exception("background push for line %s failed", line_id)
            close_old_connections()
            timeout = None if next_due is None else max(0.0, next_due - time.monotonic())
            if not due:
                self._wake.wait(timeout if timeout is not None else 5.0)


_pusher: BackgroundPusher | None = None


def use_background_pusher(*, min_interval_s: float = 0.5) -> BackgroundPusher:
    """Route this process's equipment pushes through one background thread (the PLC worker calls this)."""
    global _pusher
    if _pusher is None or not _pusher.is_alive():
        _pusher = BackgroundPusher(min_interval_s=min_interval_s)
        _pusher.start()
    return _pusher


def stop_background_pusher() -> None:
    global _pusher
    if _pusher is not None:
        _pusher.stop()
        _pusher = None
