"""/healthz: database, channel layer, broker and worker heartbeats. HTTP 200 only when every required part is up.

Apps register further checks with ``register`` (the PLC worker adds its heartbeat, Andon adds beat's).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@dataclass
class CheckResult:
    ok: bool
    detail: str
    required: bool = True


_CHECKS: dict[str, Callable[[], CheckResult]] = {}


def register(name: str) -> Callable:
    def decorator(func: Callable[[], CheckResult]) -> Callable[[], CheckResult]:
        _CHECKS[name] = func
        return func

    return decorator


@register("database")
def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return CheckResult(True, connection.vendor)


@register("channel_layer")
def check_channel_layer() -> CheckResult:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return CheckResult(False, "no channel layer configured")

    async def round_trip() -> None:
        import asyncio

        if hasattr(layer, "new_channel"):
            channel = await layer.new_channel("healthz.")
        else:
            channel = f"healthz.{uuid.uuid4().hex}"
        await layer.send(channel, {"type": "healthz.ping"})
        await asyncio.wait_for(layer.receive(channel), timeout=2)

    async_to_sync(round_trip)()
    return CheckResult(True, type(layer).__name__)


@register("broker")
def check_broker() -> CheckResult:
    from ms5.celery import app

    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_out"]
        import os

        if not os.access(folder, os.W_OK):
            return CheckResult(False, f"broker folder {folder} is not writable")
        return CheckResult(True, "filesystem broker")
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return CheckResult(True, conn.transport_cls if isinstance(conn.transport_cls, str) else "connected")


def run_checks() -> tuple[bool, dict]:
    results = {}
    healthy = True
    for name, check in _CHECKS.items():
        started = time.monotonic()
        try:
            result = check()
        except Exception as exc:  # a health check reports every failure instead of raising
            result = CheckResult(False, f"{type(exc).__name__}: {exc}")
        results[name] = {
            "ok": result.ok, "required": result.required, "detail": result.detail,
            "ms": round((time.monotonic() - started) * 1000, 1),
        }
        if result.required and not result.ok:
            healthy = False
    return healthy, results


@require_GET
@never_cache
def healthz(request):
    healthy, results = run_checks()
    failing = [name for name, result in results.items() if result["required"] and not result["ok"]]
    return JsonResponse({"status": "ok" if healthy else "fail", "failing": failing, "checks": results},
                        status=200 if healthy else 503)
