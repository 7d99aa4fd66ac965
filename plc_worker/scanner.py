"""The polling loop: one thread per connection, one watchdog, one database writer, one lease keeper.

- Each connection runs on its own schedule without drift: scan k starts at t0 + k·interval. A scan that overruns
  skips the ticks it covered; they are counted in ``missed``, never queued (no burst of catch-up reads).
- One slow or dead PLC never delays another: it blocks only its own thread (pycomm3 is not thread-safe, so each
  thread owns its driver).
- Every poll runs under a wall-clock watchdog: past its deadline the watchdog breaks the socket from outside
  (pycomm3's receive loop can spin forever when a peer dies mid-reply) and the result is discarded.
- On ANY communication error: close, emit one ``comms_ok=False`` sample per equipment (→ no_data), back off with
  jitter and reopen with a NEW driver object (new socket: a late reply to a timed-out request can never be read
  as the answer to the next one).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from django import db
from django.conf import settings

from plc_worker import leases
from plc_worker.dbutil import close_stale_connection
from plc_worker.buffer import Batch, Writer
from plc_worker.config import connection_configs, enabled_connection_ids
from plc_worker.drivers import CommError, ConnectionConfig, Driver, make_driver
from plc_worker.transformer import ConnectionTransformer

log = logging.getLogger("plc_worker")

MAX_BACKOFF_S = 30.0


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def backoff_delay(failures: int, interval_s: float, rng: random.Random) -> float:
    """Exponential backoff (1, 2, 4 … intervals, capped) with 'equal jitter', so a plant-wide outage does not
    make every worker reconnect in the same millisecond."""
    base = min(MAX_BACKOFF_S, interval_s * 2 ** min(failures - 1, 8))
    return base / 2 + rng.uniform(0, base / 2)


class ConnectionRunner(threading.Thread):
    def __init__(self, config: ConnectionConfig, writer: Writer, *, driver_factory: Callable = make_driver):
        super().__init__(name=f"plc-{config.code}", daemon=True)
        self.config = config
        self.writer = writer
        self.driver_factory = driver_factory
        self.transformer = ConnectionTransformer(config.tags)
        self.stop_event = threading.Event()
        self.rng = random.Random(hash((config.code, os.getpid(), time.time_ns())))
        self.driver: Driver | None = None
        self.busy_since: float | None = None
        self.aborted = False
        self.deadline_s = 2 * config.timeout_s + 0.5  # open (several round trips) + read
        # Statistics
        self.scans = 0
        self.missed = 0
        self.comm_errors = 0
        self.failures = 0
        self.state = "connecting"
        self.last_error = ""
        self.last_scan_at: dt.datetime | None = None
        self.lateness: deque[float] = deque(maxlen=100_000)

    def stats(self) -> dict:
        return {"state": self.state, "last_scan_at": self.last_scan_at, "last_error": self.last_error[:300],
                "scans": self.scans, "missed_ticks": self.missed, "comm_errors": self.comm_errors}

    def stop(self) -> None:
        self.stop_event.set()

    # -- one poll -------------------------------------------------------------------------------------------
    def poll(self) -> None:
        self.aborted = False
        self.busy_since = time.monotonic()
        try:
            if self.driver is None:
                self.driver = self.driver_factory(self.config)
                self.driver.open()
            reads = self.driver.read(self.config.tags)
            if self.aborted:
                raise CommError(f"{self.config.code}: poll overran its {self.deadline_s:.1f} s watchdog")
        except Exception as exc:
            self.busy_since = None
            if self.aborted:
                exc = CommError(f"{self.config.code}: poll overran its {self.deadline_s:.1f} s watchdog ({exc})")
            elif isinstance(exc, OSError):
                exc = CommError(f"{self.config.code}: {exc}")
            self._failed(exc)
            return
        self.busy_since = None
        ts = utcnow()
        self.scans += 1
        self.last_scan_at = ts
        if self.state != "ok":
            log.info("%s: reading", self.config.code)
        self.state, self.failures = "ok", 0
        samples = self.transformer.update(reads, ts)
        if samples:
            self.writer.put(Batch(self.config.code, samples))

    def _failed(self, exc: Exception) -> None:
        self.comm_errors += 1
        self.failures += 1
        self.last_error = str(exc) if isinstance(exc, CommError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, CommError):
            log.exception("%s: unexpected error while polling", self.config.code)
        driver, self.driver = self.driver, None
        if driver is not None:
            driver.close()
        if self.state != "down":
            log.warning("%s: communication lost: %s", self.config.code, self.last_error)
        self.state = "down"
        samples = self.transformer.comms_lost(utcnow())
        if samples:
            self.writer.put(Batch(self.config.code, samples))

    def watchdog_check(self, now: float) -> None:
        started = self.busy_since
        if started is not None and not self.aborted and now - started > self.deadline_s:
            self.aborted = True
            log.warning("%s: poll running for %.1f s, breaking its socket", self.config.code, now - started)
            driver = self.driver
            if driver is not None:
                try:
                    driver.abort()
                except Exception:
                    log.exception("%s: abort failed", self.config.code)

    # -- the schedule ---------------------------------------------------------------------------------------
    def run(self) -> None:
        interval = self.config.interval_s
        t0 = time.monotonic() + self.rng.uniform(0, min(interval, 1.0))  # spread connections over the second
        k = 0
        retry_at = 0.0
        try:
            while not self.stop_event.is_set():
                scheduled = t0 + k * interval
                delay = scheduled - time.monotonic()
                if delay > 0 and self.stop_event.wait(delay):
                    break
                started = time.monotonic()
                if started >= retry_at:
                    self.lateness.append(started - scheduled)
                    had_failures = self.failures
                    self.poll()
                    if self.failures > had_failures:
                        retry_at = time.monotonic() + backoff_delay(self.failures, interval, self.rng)
                # The next tick on the grid after now; ticks we ran past are missed, not queued.
                next_k = max(k + 1, math.floor((time.monotonic() - t0) / interval) + 1)
                if self.state == "ok":
                    self.missed += next_k - k - 1
                k = next_k
        finally:
            if self.driver is not None:
                self.driver.close()


class Watchdog(threading.Thread):
    def __init__(self, runners: Callable[[], list[ConnectionRunner]], period_s: float = 0.1):
        super().__init__(name="plc-watchdog", daemon=True)
        self.runners = runners
        self.period_s = period_s
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(self.period_s):
            now = time.monotonic()
            for runner in self.runners():
                runner.watchdog_check(now)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.randrange(16**6):06x}"


class Worker:
    """Claims connections through leases, runs a ConnectionRunner for each, renews, hands back on stop."""

    def __init__(self, *, worker_id: str | None = None, sink: Callable | None = None, codes=None,
                 lease_seconds: float | None = None, driver_factory: Callable = make_driver):
        from plc_worker.samples import default_sink

        self.worker_id = worker_id or default_worker_id()
        self.codes = list(codes or [])
        self.lease_seconds = lease_seconds or settings.PLC_WORKER_LEASE_SECONDS
        self.writer = Writer(sink or default_sink, max_batches=settings.PLC_WORKER_BUFFER_SCANS)
        self.driver_factory = driver_factory
        self.runners: dict[int, ConnectionRunner] = {}
        self.stop_event = threading.Event()
        self.watchdog = Watchdog(lambda: list(self.runners.values()))
        self._last_refresh = float("-inf")

    # Statistics to the lease table and configuration re-reads happen at most this often.
    REFRESH_S = 10.0

    # -- lease keeping ----------------------------------------------------------------------------------------
    def sync(self) -> None:
        """One round: renew what we hold, claim what is free, start/stop runners accordingly.

        Cheap by design (it shares the GIL with the pollers): statistics are written and configurations re-read
        only every ``REFRESH_S``; newly claimed connections are configured at once."""
        close_stale_connection()
        now = time.monotonic()
        refresh = now - self._last_refresh >= self.REFRESH_S
        held = set(self.runners)
        stats = {cid: r.stats() for cid, r in self.runners.items()} if refresh else None
        owned = leases.lease_renew(worker_id=self.worker_id, connection_ids=held, seconds=self.lease_seconds,
                                   stats=stats)
        for cid in held - owned:
            log.warning("lost the lease of %s: another worker owns it now; stopping", self.runners[cid].config.code)
            self._stop_runner(cid)
        wanted = enabled_connection_ids(self.codes)
        for cid in set(self.runners) - set(wanted):
            log.info("%s was disabled or deleted: stopping", self.runners[cid].config.code)
            self._stop_runner(cid)
            leases.lease_release(worker_id=self.worker_id, connection_ids=[cid])
        free = [cid for cid in wanted if cid not in self.runners]
        claimed = leases.lease_claim(worker_id=self.worker_id, connection_ids=free, seconds=self.lease_seconds)
        to_configure = claimed | (set(self.runners) if refresh else set())
        if refresh:
            self._last_refresh = now
        if not to_configure:
            return
        for cid, config in connection_configs(connection_ids=to_configure).items():
            runner = self.runners.get(cid)
            if runner is not None and runner.config != config:
                log.info("%s: configuration changed, restarting its poller", config.code)
                self._stop_runner(cid)
                runner = None
            if runner is None:
                self._start_runner(config)

    def _start_runner(self, config: ConnectionConfig) -> None:
        runner = ConnectionRunner(config, self.writer, driver_factory=self.driver_factory)
        self.runners[config.id] = runner
        log.info("%s: polling %d tags every %.3g s (%s)", config.code, len(config.tags), config.interval_s,
                 config.driver)
        runner.start()

    def _stop_runner(self, cid: int, join_s: float = 0.0) -> ConnectionRunner:
        runner = self.runners.pop(cid)
        runner.stop()
        if runner.driver is not None and runner.busy_since is not None:
            try:
                runner.driver.abort()
            except Exception:
                pass
        if join_s:
            runner.join(timeout=join_s)
        return runner

    # -- life cycle -----------------------------------------------------------------------------------------
    def start(self) -> None:
        self.writer.start()
        self.watchdog.start()

    def run(self, *, max_seconds: float | None = None) -> None:
        """Run until ``stop()`` (SIGTERM) or ``max_seconds``."""
        self.start()
        ends = time.monotonic() + max_seconds if max_seconds else None
        period = max(0.2, self.lease_seconds / 4)
        try:
            while not self.stop_event.is_set():
                try:
                    self.sync()
                except db.Error as exc:
                    log.warning("lease round failed (database unavailable?): %s", exc)
                    db.connection.close()
                wait = period if ends is None else min(period, max(0.0, ends - time.monotonic()))
                if self.stop_event.wait(wait) or (ends is not None and time.monotonic() >= ends):
                    break
        finally:
            self.shutdown()

    def stop(self) -> None:
        self.stop_event.set()

    def shutdown(self) -> None:
        ids = list(self.runners)
        stopped = [self._stop_runner(cid) for cid in ids]
        for runner in stopped:
            runner.join(timeout=runner.deadline_s + 1)
        self.watchdog.stop_event.set()
        self.writer.stop()
        try:
            close_stale_connection()
            leases.lease_release(worker_id=self.worker_id, connection_ids=ids)
        except db.Error as exc:
            log.warning("could not release leases (they expire by themselves): %s", exc)
        db.connection.close()

    def run_once(self) -> dict[str, str]:
        """Claim, poll every claimed connection once (in this thread), write, hand the leases back.
        Returns {connection code: state or error} for the command's report."""
        wanted = enabled_connection_ids(self.codes)
        claimed = leases.lease_claim(worker_id=self.worker_id, connection_ids=wanted, seconds=self.lease_seconds)
        report = {}
        try:
            for config in connection_configs(connection_ids=claimed).values():
                runner = ConnectionRunner(config, self.writer, driver_factory=self.driver_factory)
                runner.poll()
                if runner.driver is not None:
                    runner.driver.close()
                report[config.code] = runner.state if runner.state == "ok" else f"down: {runner.last_error}"
            while self.writer.pending:
                if not self.writer.flush_once():
                    break
        finally:
            leases.lease_release(worker_id=self.worker_id, connection_ids=claimed)
        return report
