"""Run one connection's poller against the real OEE ingest, as the worker does (writer thread + watchdog)."""

from __future__ import annotations

import contextlib

from django.db.models import Sum

from apps.oee.models import CountDelta, EquipmentRuntime, StateInterval
from plc_worker.buffer import Writer
from plc_worker.config import connection_configs
from plc_worker.samples import default_sink
from plc_worker.scanner import ConnectionRunner, Watchdog


@contextlib.contextmanager
def polling(connection, sink=default_sink):
    config = connection_configs(connection_ids=[connection.pk])[connection.pk]
    writer = Writer(sink, max_batches=1000, retry_s=0.1)
    runner = ConnectionRunner(config, writer)
    watchdog = Watchdog(lambda: [runner], period_s=0.05)
    writer.start()
    watchdog.start()
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()
        runner.join(timeout=10)
        watchdog.stop_event.set()
        writer.stop(drain_s=3)


def counted(equipment_id: int) -> int:
    return CountDelta.objects.filter(equipment_id=equipment_id).aggregate(n=Sum("total"))["n"] or 0


def raw_total(equipment_id: int):
    runtime = EquipmentRuntime.objects.filter(equipment_id=equipment_id).first()
    return runtime and runtime.counters.get("total_count")


def open_state(equipment_id: int):
    interval = StateInterval.objects.filter(equipment_id=equipment_id, end__isnull=True).first()
    return interval and interval.state
