"""The line websocket: one group per line, read-only (commands go over HTTP), behind the access choke-point.

Close codes: 4401 not signed in (or the session ended), 4403 no access to the line (or access was revoked).
Group events (``fragment.push``, ``client.trigger``) never touch the ORM, so they are dispatched directly on the
event loop instead of through the stock per-message database-cleanup thread hop (shared/RUNTIME.md: that alone
halved fan-out latency and CPU). Connect, receive and disconnect keep the stock path.

Authentication is re-checked on every event: the user in scope must still be signed in and active, and at most every
``RECHECK_S`` seconds the session and the line grant are re-read from the database (on a thread), so a signed-out
kiosk or a revoked grant stops receiving within that time.
"""

from __future__ import annotations

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from apps.accounts import access
from apps.lines.live import group_for_line

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NO_ACCESS = 4403
RECHECK_S = 60.0
GROUP_EVENTS = {"fragment.push": "fragment_push", "client.trigger": "client_trigger"}


class LineConsumer(AsyncWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        self.line_id = self.scope["url_route"]["kwargs"]["line_id"]
        user = self.scope.get("user")
        # Accept first so the browser sees our close code (a refused handshake is only "1006").
        await self.accept()
        if not (user and user.is_authenticated and user.is_active):
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        if not await database_sync_to_async(access.can_access_line)(user, self.line_id, "lines.view_line"):
            await self.close(code=CLOSE_NO_ACCESS)
            return
        self.checked_at = time.monotonic()
        self.group = group_for_line(self.line_id)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """The socket is read-only: writes go over HTTP (CSRF, access check, instant partial response)."""

    async def dispatch(self, message: dict) -> None:
        handler = GROUP_EVENTS.get(message.get("type", ""))
        if handler is None:
            await super().dispatch(message)  # websocket.connect / receive / disconnect: the stock path
            return
        if self.group is None:
            return
        if not await self._still_allowed():
            return
        await getattr(self, handler)(message)

    async def _still_allowed(self) -> bool:
        user = self.scope.get("user")
        if not (user and user.is_authenticated and user.is_active):
            await self._drop(CLOSE_NOT_SIGNED_IN)
            return False
        if time.monotonic() - self.checked_at < RECHECK_S:
            return True
        verdict = await database_sync_to_async(self._recheck)(user)
        if verdict:
            await self._drop(verdict)
            return False
        self.checked_at = time.monotonic()
        return True

    def _recheck(self, user) -> int | None:
        """Re-read the session and the grant; return a close code when the socket must go."""
        from importlib import import_module

        from django.conf import settings
        from django.contrib.auth import SESSION_KEY, get_user_model

        session = self.scope.get("session")
        if session is not None and session.session_key:
            fresh = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
            if str(fresh.get(SESSION_KEY, "")) != str(user.pk):
                return CLOSE_NOT_SIGNED_IN
        if not get_user_model().objects.filter(pk=user.pk, is_active=True).exists():
            return CLOSE_NOT_SIGNED_IN
        if not access.can_access_line(user, self.line_id, "lines.view_line"):
            return CLOSE_NO_ACCESS
        return None

    async def _drop(self, code: int) -> None:
        await self.disconnect(code)
        await self.close(code=code)

    async def fragment_push(self, event: dict) -> None:
        """HTML rendered once per event; the htmx ws extension swaps each top-level element out-of-band by id."""
        await self.send(text_data=event["html"])

    async def client_trigger(self, event: dict) -> None:
        """Only an event name (and ids): user-specific panels re-fetch over HTTP, where the view checks access."""
        payload = {"trigger": event["event"]}
        if "equipment_ids" in event:
            payload["detail"] = {"equipment_ids": event["equipment_ids"]}
        await self.send(text_data=json.dumps(payload))
