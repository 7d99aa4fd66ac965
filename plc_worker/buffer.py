"""The single database writer: scan batches from every connection thread go through ONE thread (one database
connection, serialised writes — SQLite-friendly), in arrival order.

If the database is unavailable the batches stay in a bounded in-memory buffer and are flushed in order when it
returns. When the buffer is full the OLDEST batch is dropped and logged sample by sample — what was dropped is
exactly stated. (Counters are raw PLC values, so a dropped sample loses timeline resolution, never counts: the
next sample that gets through carries the counter's current value and the OEE engine reconciles the delta.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from django import db

from plc_worker.dbutil import close_stale_connection

log = logging.getLogger("plc_worker.buffer")

# Errors that mean "the database is not there right now": keep the data and retry.
TRANSIENT = (db.OperationalError, db.InterfaceError)


@dataclass
class Batch:
    connection_code: str
    samples: list
    queued_at: float = field(default_factory=time.monotonic)


def describe(sample) -> str:
    if not sample.comms_ok:
        return f"equipment={sample.equipment_id} ts={sample.ts.isoformat()} comms_ok=False"
    return (f"equipment={sample.equipment_id} ts={sample.ts.isoformat()} running={sample.running} "
            f"counters={dict(sample.counters)} fault_word={sample.fault_word} mode={sample.mode} "
            f"speed={sample.speed} product={sample.product}")


def _edges(sample) -> tuple:
    return (sample.comms_ok, sample.running, sample.fault_word, sample.mode, sample.product)


def merge_count_only(samples: list) -> list:
    """Drop an equipment's sample that is neither an edge nor the last before one: its state, faults, mode and
    product equal those of the equipment's previous AND next sample in this slice, so only counters (and speed)
    moved. Counters are raw PLC values, so the next sample carries every count; only the time resolution of the
    counts coarsens. Every state/fault edge and comms change keeps its exact timestamp. Order is preserved."""
    by_equipment: dict[int, list[int]] = {}
    for i, sample in enumerate(samples):
        by_equipment.setdefault(sample.equipment_id, []).append(i)
    drop = set()
    for indexes in by_equipment.values():
        for prev, cur, nxt in zip(indexes, indexes[1:], indexes[2:]):
            if samples[cur].comms_ok and _edges(samples[prev]) == _edges(samples[cur]) == _edges(samples[nxt]):
                drop.add(cur)
    return [s for i, s in enumerate(samples) if i not in drop]


class Writer(threading.Thread):
    def __init__(self, sink: Callable, *, max_batches: int, retry_s: float = 1.0, max_per_call: int = 50):
        super().__init__(name="plc-writer", daemon=True)
        self.sink = sink
        self.max_batches = max_batches
        self.retry_s = retry_s
        self.max_per_call = max_per_call
        self.pending: deque[Batch] = deque()
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.db_down_since: float | None = None
        self.drain_deadline = float("inf")
        # Statistics (read by the worker and the benchmark).
        self.calls = 0
        self.samples_written = 0
        self.batches_dropped = 0
        self.samples_dropped = 0
        self.samples_merged = 0
        self.catch_up_factor = 40  # when behind, one call takes up to 40 × max_per_call scans
        self.results: list = []  # IngestResult objects of the last calls (bounded)

    def put(self, batch: Batch) -> None:
        with self.cond:
            while len(self.pending) >= self.max_batches:
                dropped = self.pending.popleft()
                self.batches_dropped += 1
                self.samples_dropped += len(dropped.samples)
                log.error("buffer full (%d scans): dropped the oldest scan of %s: %s", self.max_batches,
                          dropped.connection_code, "; ".join(describe(s) for s in dropped.samples))
            self.pending.append(batch)
            self.cond.notify()

    @property
    def backlog(self) -> int:
        return len(self.pending)

    def flush_once(self) -> bool:
        """Write the oldest pending batches in one sink call; True if the call succeeded (or nothing to do).

        When the writer is behind (more pending than one call takes), it takes a bigger slice and merges
        count-only updates (see ``merge_count_only``), so the database catches up without losing a count."""
        with self.cond:
            behind = len(self.pending) > self.max_per_call
            limit = self.max_per_call * (self.catch_up_factor if behind else 1)
            batches = []
            for b in self.pending:
                batches.append(b)
                if len(batches) >= limit:
                    break
        if not batches:
            return True
        samples = [s for b in batches for s in b.samples]
        if behind:
            before = len(samples)
            samples = merge_count_only(samples)
            self.samples_merged += before - len(samples)
        close_stale_connection()
        try:
            result = self.sink(samples)
        except TRANSIENT as exc:
            if self.db_down_since is None:
                self.db_down_since = time.monotonic()
                log.warning("database unavailable (%s): buffering scans in memory (limit %d scans)", exc,
                            self.max_batches)
            try:
                db.connection.close()
            except Exception:
                pass
            return False
        except Exception:
            # Not a transient failure: a bug or bad data. Never block every other machine behind it.
            log.exception("ingest rejected %d samples; dropped: %s", len(samples),
                          "; ".join(describe(s) for s in samples))
            result = None
            self.samples_dropped += len(samples)
            self.batches_dropped += len(batches)
        else:
            self.calls += 1
            self.samples_written += len(samples)
            self.results.append(result)
            del self.results[:-100]
            if self.db_down_since is not None:
                log.warning("database back after %.1f s; flushing %d buffered scans in order",
                            time.monotonic() - self.db_down_since, len(self.pending))
                self.db_down_since = None
        with self.cond:
            for _ in batches:
                self.pending.popleft()
        return True

    def run(self) -> None:
        try:
            while True:
                with self.cond:
                    if not self.pending:
                        if self.stopping.is_set():
                            return
                        self.cond.wait(timeout=0.2)
                        continue
                if not self.flush_once():
                    if self.stopping.is_set() and time.monotonic() >= self.drain_deadline:
                        return
                    time.sleep(self.retry_s)
        finally:
            db.connection.close()

    def stop(self, drain_s: float = 5.0) -> None:
        """Stop after flushing what is pending (for at most ``drain_s``); what cannot be written is logged."""
        self.drain_deadline = time.monotonic() + drain_s
        self.stopping.set()
        with self.cond:
            self.cond.notify()
        if self.ident is not None:
            self.join(timeout=drain_s + 2 * self.retry_s + 2)
        for b in list(self.pending):
            log.error("stopped with the database unavailable: not written for %s: %s", b.connection_code,
                      "; ".join(describe(s) for s in b.samples))
