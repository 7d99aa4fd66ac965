"""The embedded default's channel layer: in-memory in the web process, forwarded over loopback from the others.

Channels' ``InMemoryChannelLayer`` only reaches consumers in its own process, but in the embedded default
(``manage.py run_plant``) the broadcasts come from other processes too: the PLC worker and Celery. Those processes
are started by ``run_plant`` with ``MS5_LIVE_FORWARD_URL`` pointing at the web process's internal endpoint
(``apps.lines.views.live_forward``); their ``group_send`` POSTs the message there, signed with a key derived from
``SECRET_KEY`` and a timestamp, and the web process delivers it to its own in-memory groups.

The endpoint refuses anything that is not from a loopback address, not signed with the key, older than
``MAX_SKEW_S`` or not one of the live message types, so no one else can push HTML into the kiosks.

Delivery is at-most-once, like the Redis pub/sub layer of the scale-out topology: a forward that fails (web process
restarting) is logged and dropped, and clients resync on reconnect and by their slow safety poll
(docs/live-updates.md). With ``REDIS_URL`` set, settings pick channels_redis's pub/sub layer instead and none of
this is used.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import time
import urllib.error
from copy import deepcopy
import urllib.request
from urllib.parse import urlsplit

from channels.layers import InMemoryChannelLayer
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

FORWARD_ENV = "MS5_LIVE_FORWARD_URL"
FORWARD_PATH = "/internal/live/"
SIGNATURE_HEADER = "X-MS5-Live-Signature"
TIMESTAMP_HEADER = "X-MS5-Live-Timestamp"
MAX_SKEW_S = 30
MAX_BODY = 1_000_000
# Only the message kinds the line consumer handles may be forwarded (apps/lines/consumers.py).
FORWARDABLE_TYPES = frozenset({"fragment.push", "client.trigger"})
_GROUP_RE = re.compile(r"^[A-Za-z0-9._-]{1,99}$")


def _key() -> bytes:
    from django.conf import settings

    return hmac.new(settings.SECRET_KEY.encode(), b"ms5.layers.loopback-forward.v1", hashlib.sha256).digest()


def sign(body: bytes, timestamp: int) -> str:
    return hmac.new(_key(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def is_loopback_address(addr: str | None) -> bool:
    try:
        return ipaddress.ip_address((addr or "").strip("[]")).is_loopback
    except ValueError:
        return False


def check_forward_url(url: str) -> str:
    """A forward URL must be plain http to a loopback address: the internal endpoint is never exposed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http" or not (host == "localhost" or is_loopback_address(host)):
        raise ImproperlyConfigured(f"{FORWARD_ENV}={url!r} must be an http:// URL on a loopback address.")
    return url


class ForwardRejected(Exception):
    """Why the internal endpoint refused a forwarded message (the view answers 403/400 with it)."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.status = status


def verify_forward(*, remote_addr: str | None, body: bytes, timestamp: str | None, signature: str | None,
                   now: float | None = None) -> tuple[str, dict]:
    """Check a forwarded message and return (group, message), or raise ForwardRejected."""
    if not is_loopback_address(remote_addr):
        raise ForwardRejected("not from a loopback address")
    if len(body) > MAX_BODY:
        raise ForwardRejected("too large", 413)
    try:
        ts = int(timestamp or "")
    except ValueError:
        raise ForwardRejected("missing timestamp") from None
    if abs((now if now is not None else time.time()) - ts) > MAX_SKEW_S:
        raise ForwardRejected("stale timestamp")
    if not signature or not hmac.compare_digest(sign(body, ts), signature):
        raise ForwardRejected("bad signature")
    try:
        data = json.loads(body)
        group, message = data["group"], data["message"]
    except (ValueError, KeyError, TypeError):
        raise ForwardRejected("malformed body", 400) from None
    if not isinstance(group, str) or not _GROUP_RE.match(group):
        raise ForwardRejected("bad group name", 400)
    if not isinstance(message, dict) or message.get("type") not in FORWARDABLE_TYPES:
        raise ForwardRejected("message type not forwardable", 400)
    return group, message


class LoopbackChannelLayer(InMemoryChannelLayer):
    """In-memory groups in the web process; ``group_send`` from any other process is forwarded to it.

    A process forwards when ``forward_url`` (CONFIG) or the ``MS5_LIVE_FORWARD_URL`` environment variable is set;
    ``run_plant`` sets the variable for the PLC worker and Celery, never for the web server.
    """

    def __init__(self, forward_url: str | None = None, forward_timeout: float = 2.0, **kwargs) -> None:
        super().__init__(**kwargs)
        url = forward_url if forward_url is not None else os.environ.get(FORWARD_ENV, "")
        self.forward_url = check_forward_url(url) if url else ""
        self.forward_timeout = forward_timeout

    @property
    def forwards(self) -> bool:
        return bool(self.forward_url)

    async def group_send(self, group: str, message: dict) -> None:
        if not self.forward_url:
            await self.deliver_local(group, message)
            return
        await asyncio.to_thread(self._post, group, message)

    async def deliver_local(self, group: str, message: dict) -> None:
        """Deliver to this process's in-memory group (the internal endpoint calls this).

        Unlike the stock in-memory ``group_send`` (a deep copy and a full expiry sweep per member), the message is
        copied once and shared by every member — consumers only read group messages (apps/lines/consumers.py) —
        and a full channel drops the message, as the stock layer does.
        """
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        shared = deepcopy(message)
        expires = time.time() + self.expiry
        for channel in list(self.groups.get(group, {})):
            queue = self.channels.setdefault(channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
            try:
                queue.put_nowait((expires, shared))
            except asyncio.QueueFull:
                pass

    def _clean_expired(self) -> None:
        """The stock sweep walks every channel and group member and runs on every ``receive``: O(N²) per broadcast
        to N sockets (shared/RUNTIME.md). Expiry is measured in seconds, so sweep at most once per second."""
        now = time.monotonic()
        if now - getattr(self, "_swept_at", 0.0) < 1.0:
            return
        self._swept_at = now
        super()._clean_expired()

    def _post(self, group: str, message: dict) -> bool:
        body = json.dumps({"group": group, "message": message}, separators=(",", ":")).encode()
        ts = int(time.time())
        request = urllib.request.Request(
            self.forward_url, data=body, method="POST",
            headers={"Content-Type": "application/json", TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign(body, ts)},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.forward_timeout) as response:  # noqa: S310 (loopback)
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError) as exc:
            # At-most-once, like Redis pub/sub: clients resync on reconnect and by their safety poll.
            log.warning("live update for %s not forwarded to the web process (%s): dropped", group, exc)
            return False
