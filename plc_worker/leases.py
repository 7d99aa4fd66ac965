"""Lease services: which worker polls which connection. Every change is a conditional UPDATE whose row count
(or a re-read of ``owner``) decides, so concurrent workers cannot both win (shared/STYLE.md §1.2 pattern 16)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from plc_worker.models import PlcLease


def _now() -> dt.datetime:
    return timezone.now()


@transaction.atomic
def lease_claim(*, worker_id: str, connection_ids: Iterable[int], seconds: float) -> set[int]:
    """Take every listed connection that is unowned or whose lease expired; return all ids this worker now owns."""
    ids = list(connection_ids)
    if not ids:
        return set()
    PlcLease.objects.bulk_create([PlcLease(connection_id=i) for i in ids], ignore_conflicts=True)
    now = _now()
    free = PlcLease.objects.filter(connection_id__in=ids).filter(
        Q(owner="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now))
    # The last heartbeat of each free connection, read under the same lock as the claim (select_for_update).
    last_heartbeat = dict(free.select_for_update().values_list("connection_id", "renewed_at"))
    free.update(owner=worker_id, expires_at=now + dt.timedelta(seconds=seconds), claimed_at=now, renewed_at=now,
                state="connecting", last_error="")
    owned = set(PlcLease.objects.filter(connection_id__in=ids, owner=worker_id).values_list("connection_id",
                                                                                             flat=True))
    _record_unseen_gaps({cid: hb for cid, hb in last_heartbeat.items() if cid in owned}, now=now, seconds=seconds)
    return owned


def _record_unseen_gaps(last_heartbeat: dict[int, dt.datetime | None], *, now: dt.datetime, seconds: float) -> None:
    """Connections nobody polled for more than a lease period (their worker died, or all workers were stopped):
    the time since their last heartbeat is recorded as no_data for their equipment, before the first new sample
    (apps.oee.services.equipment_comms_gap_record). Never-polled connections have no heartbeat: nothing to record."""
    from apps.lines.models import TagMap

    limit = now - dt.timedelta(seconds=seconds)
    stale = {cid: hb for cid, hb in last_heartbeat.items() if hb is not None and hb < limit}
    if not stale:
        return
    from apps.oee.services import equipment_comms_gap_record

    by_heartbeat: dict[dt.datetime, set[int]] = {}
    for cid, eq_id in TagMap.objects.filter(connection_id__in=stale).values_list("connection_id", "equipment_id"):
        by_heartbeat.setdefault(stale[cid], set()).add(eq_id)
    for heartbeat, equipment_ids in sorted(by_heartbeat.items()):
        equipment_comms_gap_record(equipment_ids=sorted(equipment_ids), last_seen=heartbeat)


@transaction.atomic
def lease_renew(*, worker_id: str, connection_ids: Iterable[int], seconds: float,
                stats: dict[int, dict] | None = None) -> set[int]:
    """Extend this worker's leases; return the ids it still owns (a lost one must stop being polled)."""
    ids = list(connection_ids)
    if not ids:
        return set()
    now = _now()
    PlcLease.objects.filter(connection_id__in=ids, owner=worker_id).update(
        expires_at=now + dt.timedelta(seconds=seconds), renewed_at=now
    )
    owned = set(PlcLease.objects.filter(connection_id__in=ids, owner=worker_id).values_list("connection_id",
                                                                                              flat=True))
    if stats:
        rows = []
        for cid, s in stats.items():
            if cid in owned:
                rows.append(PlcLease(connection_id=cid, **s))
        fields = ["state", "last_scan_at", "last_error", "scans", "missed_ticks", "comm_errors"]
        PlcLease.objects.bulk_update(rows, fields, batch_size=200)
    return owned


@transaction.atomic
def lease_release(*, worker_id: str, connection_ids: Iterable[int]) -> int:
    """Hand connections back at once (clean shutdown), so another worker need not wait for expiry."""
    return PlcLease.objects.filter(connection_id__in=list(connection_ids), owner=worker_id).update(
        owner="", expires_at=None, state=""
    )
