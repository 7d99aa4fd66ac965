"""Andon write path. Only the fault hand-off used by the OEE engine exists so far."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from apps.andon.choices import LIVE_STATUSES, CallSource
from apps.andon.models import AndonCall
from apps.lines import live
from apps.lines.models import FaultCode


@transaction.atomic
def andon_call_raise_for_fault(*, equipment_id: int, fault_code_id: int, raised_at: datetime) -> AndonCall:
    """Open an Andon call for a catalog fault with ``raises_andon``; if a live call for the same equipment and
    fault already exists, record the repeat on it instead (never a duplicate).

    Called by the OEE engine inside its ingest transaction when the fault's rising edge is seen.
    """
    fault = FaultCode.objects.select_related("equipment").get(pk=fault_code_id, equipment_id=equipment_id)
    key = f"fault:{fault.pk}"
    live_calls = AndonCall.objects.select_for_update().filter(
        equipment_id=equipment_id, dedupe_key=key, status__in=LIVE_STATUSES
    )
    call = live_calls.first()
    if call is None:
        try:
            # A savepoint, so that losing a race to another worker leaves our transaction usable.
            with transaction.atomic():
                call = AndonCall.objects.create(
                    line_id=fault.equipment.line_id, equipment_id=equipment_id, source=CallSource.FAULT,
                    category=fault.category, priority=fault.andon_priority,
                    title=f"{fault.equipment.code}: {fault.code} {fault.text}"[:200],
                    opened_at=raised_at, last_seen_at=raised_at, dedupe_key=key, fault_code=fault,
                )
        except IntegrityError:
            call = live_calls.get()
        else:
            live.nudge_on_commit(call.line_id, "andon-changed")
            return call
    call.repeat_count += 1
    call.last_seen_at = max(call.last_seen_at, raised_at)
    call.save(update_fields=["repeat_count", "last_seen_at"])
    return call
