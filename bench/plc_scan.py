"""One PLC worker scanning N simulated connections × 32 tags at 1 Hz: CPU share, scan lateness, DB writes/s.

Run: .venv/bin/python -m bench.plc_scan [--connections 200] [--seconds 30] [--warmup 5] [--sink db|null]

Builds a throw-away database next to the configured one, creates N sim connections with 4 machines × 8 signals
each (32 tags), runs the real Worker (leases, one thread per connection, watchdog, writer) and reports, over the
measured window (after the warm-up):
- CPU share of one core: the whole process, the connection threads, and the database writer (ingest) thread;
- scan lateness p50 / p99 / max (actual start − t0 − k·interval), missed ticks;
- samples written and database writes per second as counted by the OEE engine's IngestResult.
``--sink null`` measures scanning alone (samples are dropped instead of ingested).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time


def thread_cpu_s(native_id: int) -> float:
    with open(f"/proc/self/task/{native_id}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--sink", choices=["db", "null"], default="db")
    args = parser.parse_args(argv)
    if not 1 <= args.connections <= 1000 or not 5 <= args.seconds <= 300 or not 0 <= args.warmup <= 60:
        parser.error("connections 1..1000, seconds 5..300, warmup 0..60")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ms5.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("plc_worker").setLevel(logging.WARNING)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    db = connection.settings_dict
    db["TEST"]["NAME"] = (str(settings.VAR_DIR / "bench_plc_scan.sqlite3")
                          if db["ENGINE"].endswith("sqlite3") else f"{db['NAME']}_bench_plc_scan")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from plc_worker.samples import default_sink
        from plc_worker.scanner import Worker
        from tests.factories.plc import sim_connection

        from tests.factories.lines import LineFactory

        for i in range(args.connections):
            sim_connection(code=f"B{i:04d}", equipment_count=4, seed=i + 1, line=LineFactory(code=f"BL{i:04d}"))
        totals = {"samples": 0, "writes": 0}

        def sink(samples):
            if args.sink == "null":
                totals["samples"] += len(samples)
                return None
            result = default_sink(samples)
            totals["samples"] += len(samples)
            totals["writes"] += result.writes
            return result

        from apps.lines import live

        pusher = live.use_background_pusher() if args.sink == "db" else None  # as run_plc_worker does
        worker = Worker(worker_id="bench", sink=sink, lease_seconds=10)
        runner_thread = threading.Thread(target=worker.run, kwargs={"max_seconds": args.warmup + args.seconds + 1})
        runner_thread.start()
        time.sleep(args.warmup)
        for r in worker.runners.values():
            r.lateness.clear()
        scans0 = sum(r.scans for r in worker.runners.values())
        missed0 = sum(r.missed for r in worker.runners.values())
        writer_cpu0 = thread_cpu_s(worker.writer.native_id)
        runners_cpu0 = sum(thread_cpu_s(r.native_id) for r in worker.runners.values())
        cpu0, wall0 = time.process_time(), time.monotonic()
        samples0, writes0 = totals["samples"], totals["writes"]
        pushes0 = pusher.pushes if pusher is not None else 0
        time.sleep(args.seconds)
        cpu1, wall1 = time.process_time(), time.monotonic()
        writer_cpu1 = thread_cpu_s(worker.writer.native_id)
        runners_cpu1 = sum(thread_cpu_s(r.native_id) for r in worker.runners.values())
        runners = list(worker.runners.values())
        lateness = [x * 1000 for r in runners for x in list(r.lateness)]
        scans = sum(r.scans for r in runners) - scans0
        missed = sum(r.missed for r in runners) - missed0
        samples, writes = totals["samples"] - samples0, totals["writes"] - writes0
        backlog = worker.writer.backlog
        runner_thread.join(timeout=60)
        wall = wall1 - wall0
        print(f"database: {connection.vendor}; sink: {args.sink}; {len(runners)} connections × 32 tags at 1 Hz; "
              f"window {wall:.1f} s after {args.warmup:.0f} s warm-up")
        print(f"CPU share of one core: process {100 * (cpu1 - cpu0) / wall:.1f} %, connection threads "
              f"{100 * (runners_cpu1 - runners_cpu0) / wall:.1f} %, writer/ingest thread "
              f"{100 * (writer_cpu1 - writer_cpu0) / wall:.1f} %")
        print(f"scans: {scans} ({scans / wall:.1f}/s), missed ticks: {missed}")
        print(f"lateness ms: p50 {pct(lateness, 0.5):.2f}, p99 {pct(lateness, 0.99):.2f}, "
              f"max {max(lateness) if lateness else float('nan'):.2f}, mean {statistics.fmean(lateness):.2f}")
        print(f"samples emitted (changed values only): {samples / wall:.1f}/s; database writes: {writes / wall:.1f}/s;"
              f" writer backlog at end: {backlog} scans")
        if pusher is not None:
            print(f"live board pushes (coalesced per line, background thread): {(pusher.pushes - pushes0) / wall:.1f}/s")
            live.stop_background_pusher()
        return 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    raise SystemExit(main())
