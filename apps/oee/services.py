"""Write paths of the OEE engine besides PLC samples: operator context (product/job, changeover, no order) and
rollup rebuilds. Operator context goes through the same per-equipment state machine as PLC samples."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from apps.lines.models import Equipment
from apps.oee.ingest import IngestResult, _EquipmentIngest
from apps.oee.models import (
    BaseState,
    DayReasonRollup,
    DayRollup,
    EquipmentRuntime,
    HourReasonRollup,
    HourRollup,
    StateInterval,
)

_UNSET = object()


@transaction.atomic
def equipment_context_set(*, equipment_id: int, at: dt.datetime, product_id=_UNSET, job_ref: str | None = None,
                          changeover: bool | None = None, no_order: bool | None = None) -> IngestResult:
    """Apply operator context from ``at`` on: the product/job being run (its ideal cycle time is snapshotted
    now), an operator-started or -ended changeover, or "no order" (scheduled but nothing to make).

    Called by the jobs app when a job starts or ends, and by ``replay_telemetry``. Arguments left out are kept.
    """
    from apps.lines.live import equipment_changed_on_commit

    eq = Equipment.objects.select_related("line__area__site").get(pk=equipment_id)
    result = IngestResult()
    worker = _EquipmentIngest(eq, result)
    rt = worker.rt
    if job_ref is not None and job_ref != rt.job_ref:
        rt.job_ref = job_ref
        worker.rt_dirty = True
    if product_id is not _UNSET and product_id != rt.ctx_product_id:
        rt.ctx_product_id = product_id
        worker.rt_dirty = True
        if rt.product_number is None:
            worker.switch_product(product_id)
    if changeover is not None and changeover != rt.ctx_changeover:
        rt.ctx_changeover = changeover
        worker.rt_dirty = True
    if no_order is not None and no_order != rt.ctx_no_order:
        rt.ctx_no_order = no_order
        worker.rt_dirty = True
    if worker.rt_dirty and worker.cur is not None:
        worker.max_ts = at
        state = worker.cur.state
        if rt.ctx_changeover:
            state = BaseState.CHANGEOVER
        elif state == BaseState.CHANGEOVER and not (rt.mode == 2):
            state = BaseState.RUNNING if rt.running else BaseState.STOPPED
        if state in (BaseState.STOPPED, BaseState.NO_ORDER):
            state = BaseState.NO_ORDER if rt.ctx_no_order else BaseState.STOPPED
        worker._set_state(state, at)
    if worker.rt_dirty and (rt.last_change_ts is None or at > rt.last_change_ts):
        rt.last_change_ts = at
    worker.finish()
    if worker.rt_dirty or result.writes:
        equipment_changed_on_commit(line_ids=[eq.line_id], equipment_ids=[eq.pk])
    return result


@transaction.atomic
def rollup_rebuild(*, equipment: Equipment, as_of: dt.datetime) -> int:
    """Recompute every rollup hour of one equipment (after a shift-pattern edit, for example)."""
    from apps.oee.rollups import hours_between, rollup_recompute

    first = StateInterval.objects.filter(equipment=equipment).order_by("start").values_list("start", flat=True)[:1]
    rt = EquipmentRuntime.objects.filter(equipment=equipment).first()
    if not first or rt is None or rt.rolled_up_to is None:
        return 0
    HourRollup.objects.filter(equipment=equipment).delete()
    HourReasonRollup.objects.filter(equipment=equipment).delete()
    DayRollup.objects.filter(equipment=equipment).delete()
    DayReasonRollup.objects.filter(equipment=equipment).delete()
    hours = hours_between(first[0], rt.rolled_up_to)
    if hours:
        rt.rolled_up_from = hours[0]
        rt.save(update_fields=["rolled_up_from"])
    rollup_recompute(equipment=equipment, hours=hours, as_of=as_of)
    return len(hours)


@transaction.atomic
def equipment_comms_gap_record(*, equipment_ids, last_seen: dt.datetime) -> IngestResult:
    """Nobody polled these equipment since ``last_seen`` (their PLC worker died and another one — or the same one
    restarted — takes over now): record the unseen time as ``no_data``.

    Called by the PLC worker when it claims a lease whose last heartbeat is older than one lease period, before its
    first new sample. For every equipment with a recorded timeline, a ``comms_ok=False`` sample is ingested at
    max(``last_seen``, its last recorded change), so the gap until the next good sample is ``no_data`` in every
    figure and the counts made meanwhile are reconciled by the counter rules at that sample. Equipment already in
    ``no_data`` is left as it is (nothing is written).
    """
    from apps.oee.ingest import EquipmentSample, samples_ingest

    rows = EquipmentRuntime.objects.filter(equipment_id__in=list(equipment_ids), last_change_ts__isnull=False,
                                           comms_ok=True).values_list("equipment_id", "last_change_ts")
    samples = [EquipmentSample(equipment_id=pk, ts=max(last_seen, changed), comms_ok=False) for pk, changed in rows]
    return samples_ingest(samples)
