"""Honest data when the PLC worker dies (docs/oee.md, "When the PLC worker stops").

Samples are written only on change, so silence from a machine means "nothing changed" — as long as a PLC worker is
alive and polling it. The worker proves that with its lease heartbeat (``plc_worker.models.PlcLease.renewed_at``,
renewed four times per lease period). When the heartbeat of an equipment's connection has not been renewed for
more than ``STALE_PERIODS`` lease periods, what the equipment did since is unknown: its open interval is shown and
computed as ``no_data`` from the moment it was last seen, at query time (nothing is written).

Last seen = max(the connection's last heartbeat, the equipment's last recorded change). An equipment mapped to
several connections takes the oldest of their heartbeats. Equipment whose connections were never leased (no lease
row, or never renewed: e.g. data fed only by ``replay_telemetry``) or whose connections are all disabled is not
subject to this rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.utils import timezone

STALE_PERIODS = 3


def stale_after() -> dt.timedelta:
    """How long a heartbeat may be silent before the equipment is ``no_data``."""
    return dt.timedelta(seconds=STALE_PERIODS * float(settings.PLC_WORKER_LEASE_SECONDS))


def stale_equipment(equipment_ids: Iterable[int], *, now: dt.datetime | None = None,
                    last_change: dict[int, dt.datetime | None] | None = None) -> dict[int, dt.datetime]:
    """{equipment id: last seen} for the equipment whose PLC worker heartbeat is stale at ``now``.

    ``last_change`` ({id: EquipmentRuntime.last_change_ts}) may be passed when the caller already read it.
    Two queries at most, whatever the number of equipment."""
    ids = list(equipment_ids)
    if not ids or not apps.is_installed("plc_worker"):
        return {}
    from apps.lines.models import TagMap

    now = now or timezone.now()
    heartbeat: dict[int, dt.datetime] = {}
    for eq_id, renewed in (TagMap.objects.filter(equipment_id__in=ids, connection__enabled=True,
                                                 connection__lease__renewed_at__isnull=False)
                           .order_by().values_list("equipment_id", "connection__lease__renewed_at").distinct()):
        heartbeat[eq_id] = min(renewed, heartbeat.get(eq_id, renewed))
    if not heartbeat:
        return {}
    limit = now - stale_after()
    candidates = [i for i, hb in heartbeat.items() if hb < limit]
    if not candidates:
        return {}
    if last_change is None:
        from apps.oee.models import EquipmentRuntime

        last_change = dict(EquipmentRuntime.objects.filter(equipment_id__in=candidates).values_list(
            "equipment_id", "last_change_ts"))
    out = {}
    for eq_id in candidates:
        seen = max(heartbeat[eq_id], last_change.get(eq_id) or heartbeat[eq_id])
        if seen < limit:
            out[eq_id] = seen
    return out
