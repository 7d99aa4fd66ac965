"""The one entry point from the PLC worker (and replay) into the OEE engine.

``samples_ingest`` turns canonical signal samples into stored facts, writing only what changed: a state change
(timeline interval), a non-zero count delta, a fault edge, a data-quality event. Rules: shared/OEE.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connections, router, transaction

from apps.lines.models import Equipment, FaultCode, Product
from apps.oee.counters import DEFAULT_MODULUS, counter_delta, plausible_max
from apps.oee.models import BaseState, CountDelta, DataQualityEvent, EquipmentRuntime, StateInterval

log = logging.getLogger(__name__)

COUNTERS = ("total_count", "reject_count", "rework_count")
MODE_CHANGEOVER = 2
# Without a run bit, the machine is stopped when the total count has not advanced for max(K × ICT, FLOOR).
NO_RUN_BIT_K = 3
NO_RUN_BIT_FLOOR_S = 10.0


@dataclass(frozen=True)
class EquipmentSample:
    equipment_id: int
    ts: dt.datetime  # aware UTC, when the scan read the values
    comms_ok: bool = True  # False => no_data from ts until a later comms_ok sample
    running: bool | None = None  # None: no run bit mapped (stopped when the count doesn't advance)
    counters: Mapping[str, int] = field(default_factory=dict)  # RAW counter values
    counter_moduli: Mapping[str, int] = field(default_factory=dict)  # 2**16 INT, 2**32 DINT; default 2**32
    fault_word: int | None = None  # active fault bits as one non-negative int (64-bit); None = unmapped
    mode: int | None = None  # 0 auto, 1 manual, 2 changeover, 3 maintenance
    speed: float | None = None
    product: int | None = None


@dataclass
class IngestResult:
    writes: int = 0
    changed_equipment_ids: set[int] = field(default_factory=set)
    line_ids: set[int] = field(default_factory=set)
    # Lines where something besides counts changed (a state, fault, product, data-quality event): pushed at once.
    edge_line_ids: set[int] = field(default_factory=set)


# Live pushes for count-only changes are coalesced to at most one per line per this many seconds (shared/STYLE.md
# §3.1 rule 9); every other change is pushed at once. A running machine counts again within the second, so the
# next call pushes the newer counts; the screens' safety poll covers a line that falls silent.
COUNT_PUSH_MIN_INTERVAL_S = 1.0
_last_push: dict[int, float] = {}
_last_push_lock = threading.Lock()


def _lines_to_push(result: IngestResult) -> set[int]:
    now = time.monotonic()
    with _last_push_lock:
        lines = set(result.edge_line_ids)
        lines.update(line for line in result.line_ids - result.edge_line_ids
                     if now - _last_push.get(line, float("-inf")) >= COUNT_PUSH_MIN_INTERVAL_S)
        for line in lines:
            _last_push[line] = now
        if len(_last_push) > 10_000:  # bounded: forget lines not pushed for a minute
            for line in [k for k, v in _last_push.items() if now - v > 60]:
                del _last_push[line]
    return lines


def _bits(word: int):
    bit = 0
    while word:
        if word & 1:
            yield bit
        word >>= 1
        bit += 1


def ict_lookup(equipment: Equipment, product_id: int | None) -> float | None:
    """Ideal cycle time of a product on an equipment: per equipment, else per line, else the product's default."""
    if product_id is None:
        return None
    from django.db.models import Q

    from apps.lines.models import IdealCycleTime

    rows = list(IdealCycleTime.objects.filter(product_id=product_id, line_id=equipment.line_id).filter(
        Q(equipment_id=equipment.pk) | Q(equipment__isnull=True)))
    row = next((r for r in rows if r.equipment_id), None) or next(iter(rows), None)
    if row is not None:
        return float(row.ideal_cycle_time_s)
    product = Product.objects.filter(pk=product_id).only("ideal_cycle_time_s").first()
    return float(product.ideal_cycle_time_s) if product else None


def product_by_number(number: int) -> Product | None:
    """The product a PLC product number names: the product whose code is that number, else the one with that id."""
    return Product.objects.filter(code=str(number)).first() or Product.objects.filter(pk=number).first()


_LOAD = object()
RUNTIME_FIELDS = tuple(f.attname for f in EquipmentRuntime._meta.concrete_fields if not f.primary_key)


def _runtime_values(rt: EquipmentRuntime) -> dict:
    # counters is a dict: copy it so later in-place edits are still seen as changes.
    return {f: (dict(v) if isinstance(v := getattr(rt, f), dict) else v) for f in RUNTIME_FIELDS}


def _runtime_update_many(rows: list[EquipmentRuntime], fields: tuple[str, ...]) -> None:
    meta = EquipmentRuntime._meta
    columns = [meta.get_field(f) for f in fields]
    conn = connections[router.db_for_write(EquipmentRuntime)]
    qn = conn.ops.quote_name
    sql = (f"UPDATE {qn(meta.db_table)} SET " + ", ".join(f"{qn(c.column)} = %s" for c in columns)
           + f" WHERE {qn(meta.pk.column)} = %s")
    params = [[c.get_db_prep_save(getattr(rt, c.attname), conn) for c in columns] + [rt.pk] for rt in rows]
    with conn.cursor() as cursor:
        cursor.executemany(sql, params)


class _EquipmentIngest:
    """Applies the samples of one equipment, in time order, inside the caller's transaction."""

    def __init__(self, equipment: Equipment, result: IngestResult, *, runtime: EquipmentRuntime | None = None,
                 current=_LOAD):
        """``runtime`` (locked by the caller) and ``current`` (the open interval or None) may be preloaded for a
        batch of equipment by ``samples_ingest``; otherwise they are read here, one equipment at a time."""
        self.eq = equipment
        self.result = result
        if runtime is None:
            runtime, _ = EquipmentRuntime.objects.select_for_update().get_or_create(equipment=equipment)
        self.rt = runtime
        self._loaded = _runtime_values(runtime)
        if current is _LOAD:
            current = StateInterval.objects.filter(equipment=equipment, end__isnull=True).order_by("-start").first()
        self.cur = current
        self.rt_dirty = False
        self.writes = 0
        self.dirty: list[tuple[dt.datetime, dt.datetime]] = []
        self._catalog: dict[int, FaultCode] | None = None
        self._event_checked_for: dt.datetime | None = None
        self.max_ts: dt.datetime | None = None
        self.count_rows: list[CountDelta] = []  # written in one bulk insert by finish()
        self.count_writes = 0

    # -- helpers -----------------------------------------------------------------------------------------------
    def _dq(self, ts, kind, **detail):
        DataQualityEvent.objects.create(equipment=self.eq, ts=ts, kind=kind, detail=detail)
        self.writes += 1

    def _touch(self, a: dt.datetime, b: dt.datetime) -> None:
        self.dirty.append((min(a, b), max(a, b)))

    def _catalog_for(self) -> dict[int, FaultCode]:
        if self._catalog is None:
            self._catalog = {fc.bit: fc for fc in FaultCode.objects.filter(equipment=self.eq)}
        return self._catalog

    # -- the rules ---------------------------------------------------------------------------------------------
    def apply(self, s: EquipmentSample) -> None:
        rt = self.rt
        if rt.last_change_ts and s.ts < rt.last_change_ts:
            self._dq(s.ts, DataQualityEvent.Kind.LATE_SAMPLE, last_change=rt.last_change_ts.isoformat())
            return
        self.max_ts = s.ts if self.max_ts is None else max(self.max_ts, s.ts)
        writes_before = self.writes
        if not s.comms_ok:
            if rt.comms_ok:
                rt.comms_ok = False
                self.rt_dirty = True
            self._set_state(BaseState.NO_DATA, s.ts)
        else:
            if not rt.comms_ok:
                rt.comms_ok = True
                self.rt_dirty = True
            self._product(s)
            advanced = self._counters(s)
            self._faults(s)
            for attr in ("mode", "running"):
                if getattr(s, attr) != getattr(rt, attr):
                    setattr(rt, attr, getattr(s, attr))
                    self.rt_dirty = True
            state, at = self._decide(s, advanced)
            if state is not None:
                self._set_state(state, at)
            self._stop_check(s.ts)
        if self.writes != writes_before or self.rt_dirty:
            if rt.last_change_ts is None or s.ts > rt.last_change_ts:
                rt.last_change_ts = s.ts
                self.rt_dirty = True

    def _product(self, s: EquipmentSample) -> None:
        rt = self.rt
        if s.product is None or s.product == rt.product_number:
            return
        rt.product_number = s.product
        self.rt_dirty = True
        product = product_by_number(s.product)
        if product is None:
            self._dq(s.ts, DataQualityEvent.Kind.UNKNOWN_PRODUCT, product_number=s.product)
        self.switch_product(product.pk if product else rt.ctx_product_id)

    def switch_product(self, product_id: int | None) -> None:
        rt = self.rt
        if product_id != rt.product_id:
            rt.product_id = product_id
            rt.ict_s = ict_lookup(self.eq, product_id)  # snapshot at run start: later edits don't rewrite history
            self.rt_dirty = True

    def _counters(self, s: EquipmentSample) -> bool:
        rt = self.rt
        if not s.counters:
            return False
        elapsed = (s.ts - rt.counters_ts).total_seconds() if rt.counters_ts else 0.0
        plausible = plausible_max(elapsed, rt.ict_s)
        raw = dict(rt.counters)
        deltas = {}
        for name in COUNTERS:
            if name not in s.counters:
                continue
            modulus = int(s.counter_moduli.get(name, DEFAULT_MODULUS))
            current = int(s.counters[name]) % modulus
            if name in raw:
                delta, kind = counter_delta(int(raw[name]), current, modulus, plausible)
                if kind == "implausible":
                    self._dq(s.ts, DataQualityEvent.Kind.COUNTER_IMPLAUSIBLE, counter=name, previous=raw[name],
                             current=current, delta=delta, plausible_max=plausible)
                    delta = 0
                elif kind == "reset":
                    self._dq(s.ts, DataQualityEvent.Kind.COUNTER_RESET, counter=name, previous=raw[name],
                             current=current)
                deltas[name] = delta
            if raw.get(name) != current:
                raw[name] = current
        if raw != rt.counters:
            rt.counters = raw
            rt.counters_ts = s.ts
            self.rt_dirty = True
        total = deltas.get("total_count", 0)
        reject = deltas.get("reject_count", 0)
        rework = deltas.get("rework_count", 0)
        if total or reject or rework:
            self.count_rows.append(CountDelta(equipment=self.eq, ts=s.ts, total=total, reject=reject,
                                              rework=rework, product_id=rt.product_id, ict_s=rt.ict_s))
            self.writes += 1
            self.count_writes += 1
            self._touch(s.ts, s.ts)
        if total > 0:
            rt.last_advance_ts = s.ts
            self.rt_dirty = True
            return True
        return False

    def _faults(self, s: EquipmentSample) -> None:
        from apps.downtime.models import FaultEvent

        rt = self.rt
        if s.fault_word is None:
            return
        current = int(s.fault_word)
        previous = int(rt.fault_word) if rt.fault_word is not None else 0
        if current == previous and rt.fault_word is not None:
            return
        rt.fault_word = current
        self.rt_dirty = True
        for bit in _bits(previous & ~current):
            self.writes += FaultEvent.objects.filter(equipment=self.eq, bit=bit, cleared_at__isnull=True).update(
                cleared_at=s.ts)
        for bit in _bits(current & ~previous):
            fc = self._catalog_for().get(bit)
            event = FaultEvent.objects.create(
                equipment=self.eq, fault_code=fc, bit=bit, raised_at=s.ts,
                text=fc.text if fc else f"Unknown fault bit {bit}", category=fc.category if fc else "")
            self.writes += 1
            if fc is not None and fc.raises_andon:
                _andon_raise(equipment_id=self.eq.pk, fault_code_id=fc.pk, raised_at=s.ts, fault_event=event)

    def _decide(self, s: EquipmentSample, advanced: bool) -> tuple[str | None, dt.datetime]:
        rt = self.rt
        stop_state = BaseState.NO_ORDER if rt.ctx_no_order else BaseState.STOPPED
        if rt.ctx_changeover or s.mode == MODE_CHANGEOVER:
            return BaseState.CHANGEOVER, s.ts
        if s.running is True:
            return BaseState.RUNNING, s.ts
        if s.running is False:
            return stop_state, s.ts
        # No run bit mapped (OEE.md §4).
        if advanced:
            return BaseState.RUNNING, s.ts
        cur_state = self.cur.state if self.cur else None
        if cur_state == BaseState.RUNNING:
            limit = max(NO_RUN_BIT_K * (rt.ict_s or 0.0), NO_RUN_BIT_FLOOR_S)
            since = rt.last_advance_ts or self.cur.start
            if (s.ts - since).total_seconds() > limit:
                return stop_state, max(since, self.cur.start)
            return None, s.ts
        if cur_state in (BaseState.STOPPED, BaseState.NO_ORDER):
            return stop_state, s.ts
        return stop_state, s.ts

    def _set_state(self, state: str, at: dt.datetime) -> None:
        rt = self.rt
        cur = self.cur
        product_id = rt.product_id
        if cur is not None:
            same_run = cur.product_id == product_id or state in (BaseState.STOPPED, BaseState.NO_DATA)
            if cur.state == state and same_run:
                return
            at = max(at, cur.start)
            if at == cur.start:
                was_stop = cur.state == BaseState.STOPPED
                cur.state, cur.product_id, cur.ict_s, cur.job_ref = state, product_id, rt.ict_s, rt.job_ref
                cur.save(update_fields=["state", "product", "ict_s", "job_ref"])
                self.writes += 1
                if was_stop:
                    from apps.downtime.services import downtime_stop_discard

                    downtime_stop_discard(equipment=self.eq, stop_start=cur.start)
                self._touch(cur.start, at)
                return
            cur.end = at
            cur.save(update_fields=["end"])
            self.writes += 1
            self._touch(cur.start, at)
            if cur.state == BaseState.STOPPED:
                self._stop_closed(cur)
        self.cur = StateInterval.objects.create(equipment=self.eq, state=state, start=at, product_id=product_id,
                                                ict_s=rt.ict_s, job_ref=rt.job_ref)
        self.writes += 1
        self._touch(at, at)

    def _stop_closed(self, interval: StateInterval) -> None:
        from apps.downtime.services import downtime_stop_sync

        if (interval.end - interval.start).total_seconds() > self.eq.small_stop_threshold_s:
            downtime_stop_sync(equipment=self.eq, stop_start=interval.start, stop_end=interval.end)
            self.writes += 1

    def _stop_check(self, ts: dt.datetime) -> None:
        """An open stop longer than the threshold is an unplanned stop now: open its downtime event."""
        cur = self.cur
        if cur is None or cur.state != BaseState.STOPPED or self._event_checked_for == cur.start:
            return
        if (ts - cur.start).total_seconds() <= self.eq.small_stop_threshold_s:
            return
        from apps.downtime.models import DowntimeEvent
        from apps.downtime.services import downtime_stop_sync

        if DowntimeEvent.objects.filter(equipment=self.eq, occurrence_start=cur.start).exists():
            self._event_checked_for = cur.start
        elif downtime_stop_sync(equipment=self.eq, stop_start=cur.start, stop_end=None, observed_at=ts):
            self._event_checked_for = cur.start
            self.writes += 1
            self._touch(cur.start, ts)

    def changed_runtime_fields(self) -> tuple[str, ...]:
        """The runtime columns whose value differs from what was loaded (only these are written)."""
        now = _runtime_values(self.rt)
        return tuple(f for f in RUNTIME_FIELDS if now[f] != self._loaded[f])

    def finish(self, *, save: bool = True) -> None:
        """Write the pending count rows (unless the caller already did, in one insert for the whole batch), bring
        the rollups up to date and, with ``save``, the runtime row (else the caller bulk-updates it)."""
        from apps.oee.rollups import hours_between, rollup_recompute

        rt = self.rt
        if self.count_rows:
            CountDelta.objects.bulk_create(self.count_rows)
            self.count_rows = []
        if self.max_ts is not None:
            watermark = self.max_ts.replace(minute=0, second=0, microsecond=0)
            old = rt.rolled_up_to
            hours: set[dt.datetime] = set()
            if old is None:
                first = StateInterval.objects.filter(equipment=self.eq).order_by("start").values_list(
                    "start", flat=True).first() or self.max_ts
                old = first.replace(minute=0, second=0, microsecond=0)
                rt.rolled_up_from = old
            if watermark > old:
                hours.update(hours_between(old, watermark))
            for a, b in self.dirty:
                hours.update(h for h in hours_between(a.replace(minute=0, second=0, microsecond=0),
                                                      b + dt.timedelta(microseconds=1)) if h < watermark)
            if hours:
                rollup_recompute(equipment=self.eq, hours=sorted(hours), as_of=self.max_ts)
            if rt.rolled_up_to != max(old, watermark):
                rt.rolled_up_to = max(old, watermark)
                self.rt_dirty = True
        if save:
            fields = self.changed_runtime_fields()
            if fields:
                rt.save(update_fields=fields)
                self._loaded = _runtime_values(rt)
        if self.writes:
            self.result.writes += self.writes
            self.result.changed_equipment_ids.add(self.eq.pk)
            self.result.line_ids.add(self.eq.line_id)
            if self.writes > self.count_writes:
                self.result.edge_line_ids.add(self.eq.line_id)


def _andon_raise(*, equipment_id: int, fault_code_id: int, raised_at: dt.datetime, fault_event) -> None:
    """Raise the automatic Andon call for a catalogued fault, inside the ingest transaction."""
    try:
        from apps.andon.services import andon_call_raise_for_fault
    except ImportError:
        log.warning("apps.andon.services.andon_call_raise_for_fault is not available; no Andon call for fault %s",
                    fault_code_id)
        return
    andon_call_raise_for_fault(equipment_id=equipment_id, fault_code_id=fault_code_id, raised_at=raised_at)


def samples_ingest(samples: Sequence[EquipmentSample]) -> IngestResult:
    """Apply canonical samples in one transaction; see the module docstring. Samples of one call are sorted per
    equipment by time, so the order inside a batch does not matter; a sample older than the equipment's last
    recorded change is recorded as a ``late_sample`` data-quality event and not applied."""
    result = IngestResult()
    if not samples:
        return result
    by_equipment: dict[int, list[EquipmentSample]] = defaultdict(list)
    for sample in samples:
        by_equipment[sample.equipment_id].append(sample)
    with transaction.atomic():
        equipment = Equipment.objects.in_bulk(list(by_equipment))
        # Their lines (with area and site, for the calendar) once per line, not once per equipment.
        from apps.lines.models import Line

        lines = Line.objects.select_related("area__site").in_bulk({e.line_id for e in equipment.values()})
        for eq in equipment.values():
            eq.line = lines[eq.line_id]
        for eq_id in sorted(set(by_equipment) - set(equipment)):
            log.warning("samples for unknown equipment id %s ignored", eq_id)
        ids = sorted(equipment)
        # The call's equipment in a few queries, not a few per equipment: runtime rows (locked, in id order, so
        # concurrent callers cannot deadlock), missing ones created in one insert, and the open intervals.
        runtimes = {rt.equipment_id: rt for rt in
                    EquipmentRuntime.objects.select_for_update().filter(equipment_id__in=ids).order_by("pk")}
        missing = [i for i in ids if i not in runtimes]
        if missing:
            EquipmentRuntime.objects.bulk_create([EquipmentRuntime(equipment_id=i) for i in missing],
                                                 ignore_conflicts=True)
            runtimes.update((rt.equipment_id, rt) for rt in EquipmentRuntime.objects.select_for_update().filter(
                equipment_id__in=missing).order_by("pk"))
        current: dict[int, StateInterval] = {}
        for iv in StateInterval.objects.filter(equipment_id__in=ids, end__isnull=True).order_by("start"):
            current[iv.equipment_id] = iv  # the latest open one (there is at most one)
        workers = []
        for eq_id in ids:
            worker = _EquipmentIngest(equipment[eq_id], result, runtime=runtimes[eq_id],
                                      current=current.get(eq_id))
            for sample in sorted(by_equipment[eq_id], key=lambda smp: smp.ts):
                worker.apply(sample)
            workers.append(worker)
        # Count deltas of every equipment in one insert, before any rollup reads them.
        count_rows = [row for w in workers for row in w.count_rows]
        if count_rows:
            CountDelta.objects.bulk_create(count_rows)
        by_fields: dict[tuple[str, ...], list[EquipmentRuntime]] = defaultdict(list)
        for worker in workers:
            worker.count_rows = []
            worker.finish(save=False)
            fields = worker.changed_runtime_fields()
            if fields:
                by_fields[fields].append(worker.rt)
        # Runtime rows: one prepared UPDATE executed for many rows per set of changed columns (count-only samples
        # all change the same few). Django's bulk_update builds a CASE per column and row, which cost more CPU
        # than everything else in the call.
        for fields, rows in by_fields.items():
            _runtime_update_many(rows, fields)
        lines = _lines_to_push(result) if result.changed_equipment_ids else set()
        if lines:
            from apps.lines.live import equipment_changed_on_commit

            equipment_changed_on_commit(line_ids=lines, equipment_ids=result.changed_equipment_ids)
    return result
