"""Scheduling, isolation, watchdog, reconnection and the database buffer, with scripted drivers (no network)."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from django import db

from plc_worker.buffer import Batch, Writer
from plc_worker.drivers.base import CommError, ConnectionConfig, Driver, TagRead, TagSpec
from plc_worker.scanner import ConnectionRunner, Watchdog, backoff_delay

TAGS = (TagSpec("Run", "BOOL", "running", 1), TagSpec("Count", "DINT", "total_count", 1))


class Recorder:
    def __init__(self):
        self.samples = []
        self.lock = threading.Lock()

    def __call__(self, samples):
        with self.lock:
            self.samples.extend(samples)
        return None


class ScriptedDriver(Driver):
    """A PLC whose counter advances on every read; behaviour switches through the shared ``plc`` dict."""

    instances = []

    def __init__(self, config, plc):
        super().__init__(config)
        self.plc = plc
        self.aborted = threading.Event()
        self.closed = False
        ScriptedDriver.instances.append(self)

    def open(self):
        if self.plc.get("down"):
            raise CommError("connection refused")

    def abort(self):
        self.aborted.set()

    def close(self):
        self.closed = True

    def read(self, tags):
        self.plc.setdefault("reads", []).append(time.monotonic())
        if self.plc.get("down"):
            raise CommError("peer gone")
        if self.plc.get("spin"):
            while not self.aborted.wait(0.01):  # pycomm3's endless receive loop, until the socket is broken
                pass
            raise OSError("Bad file descriptor")
        if self.plc.get("sleep"):
            time.sleep(self.plc["sleep"])
        self.plc["count"] = self.plc.get("count", 0) + 1
        return {"Run": TagRead(True), "Count": TagRead(self.plc["count"])}


def runner_for(plc, code="C1", interval=0.05, timeout=0.1, sink=None):
    config = ConnectionConfig(id=hash(code) % 10_000, code=code, driver="scripted", interval_s=interval,
                              timeout_s=timeout, tags=TAGS)
    writer = Writer(sink or Recorder(), max_batches=1000, retry_s=0.05)
    runner = ConnectionRunner(config, writer, driver_factory=lambda c: ScriptedDriver(c, plc))
    return runner, writer


def run_for(runners, seconds):
    watchdog = Watchdog(lambda: runners, period_s=0.02)
    watchdog.start()
    for r in runners:
        r.start()
    time.sleep(seconds)
    for r in runners:
        r.stop()
    for r in runners:
        r.join(timeout=3)
    watchdog.stop_event.set()
    assert not any(r.is_alive() for r in runners)


def test_schedule_does_not_drift_with_the_poll_duration():
    plc = {"sleep": 0.03}
    runner, _ = runner_for(plc, interval=0.05)
    run_for([runner], 1.0)
    # Drift-free: ~20 scans in 1 s even though each poll takes 30 ms (a sleep-after-poll loop would do ~12).
    assert 15 <= len(plc["reads"]) <= 21
    assert runner.missed <= 2


def test_overrunning_polls_count_missed_ticks_instead_of_queueing_them():
    plc = {"sleep": 0.12}
    runner, _ = runner_for(plc, interval=0.05, timeout=1.0)
    run_for([runner], 1.0)
    gaps = [b - a for a, b in zip(plc["reads"], plc["reads"][1:])]
    assert runner.missed >= 6  # each 120 ms poll runs past two 50 ms ticks
    assert min(gaps) > 0.1  # no burst of catch-up reads


def test_a_hung_plc_does_not_delay_another_and_the_watchdog_breaks_it():
    hung = {"spin": True}
    healthy = {}
    slow_runner, _ = runner_for(hung, code="HUNG", timeout=0.1)
    fast_runner, _ = runner_for(healthy, code="OK")
    run_for([slow_runner, fast_runner], 1.5)
    assert len(healthy["reads"]) >= 20
    assert slow_runner.comm_errors >= 1 and "watchdog" in slow_runner.last_error
    assert any(d.aborted.is_set() for d in ScriptedDriver.instances if d.plc is hung)


def test_comm_error_closes_emits_no_data_once_and_reconnects_with_a_new_driver():
    plc = {}
    sink = Recorder()
    runner, writer = runner_for(plc, interval=0.05, sink=sink)
    writer.start()
    drivers_before = len(ScriptedDriver.instances)
    runner.start()
    time.sleep(0.3)
    plc["down"] = True
    time.sleep(0.5)
    down_count = plc["count"]
    plc["down"] = False
    time.sleep(0.6)
    runner.stop()
    runner.join(3)
    writer.stop(drain_s=1)
    mine = ScriptedDriver.instances[drivers_before:]
    assert len(mine) >= 2 and all(d.closed for d in mine[:-1])  # a fresh driver (socket) after the error
    flags = [s.comms_ok for s in sink.samples]
    assert flags.count(False) == 1  # one no_data sample, however many retries failed
    lost = flags.index(False)
    assert all(flags[lost + 1:]) and len(flags) > lost + 1
    back = sink.samples[lost + 1]
    assert back.counters["total_count"] == down_count + 1  # the first read after reconnect, raw value


def test_backoff_grows_with_jitter_and_is_capped():
    import random

    rng = random.Random(1)
    first = [backoff_delay(1, 1.0, rng) for _ in range(50)]
    assert all(0.5 <= d <= 1.0 for d in first) and len(set(first)) > 40
    assert all(15 <= backoff_delay(20, 1.0, rng) <= 30 for _ in range(50))


def test_database_outage_buffers_and_flushes_in_order():
    delivered = []
    state = {"fail": 3}

    def sink(samples):
        if state["fail"]:
            state["fail"] -= 1
            raise db.OperationalError("server closed the connection unexpectedly")
        delivered.extend(samples)

    writer = Writer(sink, max_batches=100, retry_s=0.01)
    writer.start()
    for i in range(10):
        writer.put(Batch("C1", [_sample(i)]))
    writer.stop(drain_s=2)
    assert [s.counters["total_count"] for s in delivered] == list(range(10))


def test_full_buffer_drops_the_oldest_and_logs_exactly_what(caplog):
    def sink(samples):
        raise db.OperationalError("database is down")

    writer = Writer(sink, max_batches=3, retry_s=0.01)  # not started: nothing drains
    with caplog.at_level(logging.ERROR, logger="plc_worker.buffer"):
        for i in range(5):
            writer.put(Batch("C1", [_sample(i)]))
    assert writer.batches_dropped == 2 and writer.backlog == 3
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 2 and "counters={'total_count': 0}" in dropped[0] and "total_count': 1}" in dropped[1]


def _sample(i):
    import datetime as dt

    from plc_worker.samples import EquipmentSample

    return EquipmentSample(equipment_id=1, ts=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i),
                           running=True, counters={"total_count": i}, counter_moduli={"total_count": 2**32})


@pytest.fixture(autouse=True)
def _reset_instances():
    ScriptedDriver.instances = []
    yield


def test_catching_up_merges_count_only_updates_but_keeps_every_edge_and_the_last_count():
    import datetime as dt

    from plc_worker.buffer import merge_count_only
    from plc_worker.samples import EquipmentSample

    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def s(i, eq=1, running=True, count=0, ok=True):
        return EquipmentSample(equipment_id=eq, ts=t + dt.timedelta(seconds=i), comms_ok=ok,
                               running=running if ok else None, counters={"total_count": count} if ok else {})

    samples = [s(0, count=1), s(0, eq=2, count=50), s(1, count=2), s(2, count=3), s(3, running=False, count=3),
               s(4, running=False, count=3), s(5, ok=False), s(9, count=9), s(1, eq=2, count=51)]
    merged = merge_count_only(samples)
    got = [(m.equipment_id, (m.ts - t).seconds, m.running, m.comms_ok, dict(m.counters)) for m in merged]
    assert got == [
        (1, 0, True, True, {"total_count": 1}),
        (2, 0, True, True, {"total_count": 50}),
        # second 1 (count 2) is merged into second 2: no edge on either side of it
        (1, 2, True, True, {"total_count": 3}),  # the last count before the stop is kept …
        (1, 3, False, True, {"total_count": 3}),  # … and the stop edge keeps its exact second
        (1, 4, False, True, {"total_count": 3}),  # kept: the next sample is a comms change
        (1, 5, None, False, {}),
        (1, 9, True, True, {"total_count": 9}),
        (2, 1, True, True, {"total_count": 51}),
    ]


def test_a_writer_that_is_behind_merges_and_loses_no_count():
    delivered = []
    writer = Writer(lambda samples: delivered.extend(samples), max_batches=1000, retry_s=0.01, max_per_call=5)
    for i in range(100):  # pending far more than one call: the writer is behind
        writer.put(Batch("C1", [_sample(i)]))
    while writer.pending:
        assert writer.flush_once()
    assert writer.samples_merged > 0 and len(delivered) < 100
    assert delivered[-1].counters["total_count"] == 99
    counts = [s.counters["total_count"] for s in delivered]
    assert counts == sorted(counts)
