"""The PLC worker's /healthz check: every enabled connection must be held by a live worker (an unexpired lease,
renewed a few times per lease period). Required only when enabled connections exist."""

from __future__ import annotations

from django.utils import timezone

from ms5.health import CheckResult, register


@register("plc_worker")
def check_plc_worker() -> CheckResult:
    from apps.lines.models import PlcConnection
    from plc_worker.models import PlcLease

    enabled = dict(PlcConnection.objects.filter(enabled=True).values_list("pk", "code"))
    if not enabled:
        return CheckResult(True, "no enabled PLC connections", required=False)
    now = timezone.now()
    live = PlcLease.objects.filter(connection_id__in=enabled, expires_at__gt=now).exclude(owner="")
    held = dict(live.values_list("connection_id", "state"))
    unowned = sorted(code for pk, code in enabled.items() if pk not in held)
    down = sorted(enabled[pk] for pk, state in held.items() if state == "down")
    workers = live.values("owner").distinct().count()
    if unowned:
        shown = ", ".join(unowned[:10]) + (" …" if len(unowned) > 10 else "")
        return CheckResult(False, f"{len(unowned)} of {len(enabled)} connections are not polled by any worker: "
                                  f"{shown}")
    detail = f"{len(enabled)} connections polled by {workers} worker(s)"
    if down:
        detail += f"; PLC unreachable: {', '.join(down[:10])}"
    return CheckResult(True, detail)
