"""Benchmark: the OEE engine's ingest (``apps.oee.ingest.samples_ingest``) under the PLC worker's typical load.

    .venv/bin/python -m bench.oee_ingest [--machines 80] [--seconds 60] [--per-call 80] [--baseline REV]

Builds a throw-away database (``var/bench_oee_ingest.sqlite3`` on SQLite, ``<name>_bench_oee_ingest`` on
PostgreSQL), creates ``--machines`` running machines on lines with a three-shift calendar and a product, then feeds
``--seconds`` seconds of 1 Hz samples in which only the total counter moves (the dominant load: a running
machine's count advances every second), ``--per-call`` samples per ``samples_ingest`` call, in time order. One
hour boundary is crossed in the middle of the run, so the hour rollup is part of the measurement. Prints samples/s,
CPU ms per sample and queries per call. The after-commit live push (rendering each touched line's board, owned by
apps/lines) is left out unless ``--with-push``: it is measured separately.

``--baseline REV`` also runs the ingest module as it was at git revision REV (loaded with ``git show``) on a
fresh copy of the same data, so old and new paths are measured side by side in one run. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

UTC = dt.timezone.utc


def load_module_at(rev: str, path: str, name: str):
    source = subprocess.run(["git", "show", f"{rev}:{path}"], check=True, capture_output=True, text=True).stdout
    tmp = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
    tmp.write(source)
    tmp.close()
    spec = importlib.util.spec_from_file_location(name, tmp.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    os.unlink(tmp.name)
    return module


def build_plant(machines: int, tag: str):
    from decimal import Decimal

    from tests.factories.lines import EquipmentFactory, LineFactory, ProductFactory, three_shift_pattern

    product = ProductFactory(code=f"9{tag}", ideal_cycle_time_s=Decimal("0.5"))
    eqs = []
    for i in range(machines):
        if i % 20 == 0:
            line = LineFactory(code=f"L{tag}{i:04d}")
            three_shift_pattern(line)
        eqs.append(EquipmentFactory(line=line, code=f"E{tag}{i:04d}"))
    return product, eqs


def run(ingest_module, *, machines: int, seconds: int, per_call: int, tag: str) -> dict:
    from django.db import connection

    product, eqs = build_plant(machines, tag)
    Sample = ingest_module.EquipmentSample
    t0 = dt.datetime(2026, 3, 2, 9, 59, 30, tzinfo=UTC) - dt.timedelta(seconds=seconds // 2)
    # First sample of each machine: baseline counters, product, running (not measured: the first-ever sample creates
    # runtime rows and intervals).
    first = [Sample(equipment_id=e.pk, ts=t0, running=True, counters={"total_count": 1000, "reject_count": 0,
                                                                       "rework_count": 0},
                    product=int(product.code), fault_word=0, mode=0) for e in eqs]
    ingest_module.samples_ingest(first)
    samples = []
    for k in range(1, seconds + 1):
        ts = t0 + dt.timedelta(seconds=k)
        for i, e in enumerate(eqs):
            samples.append(Sample(equipment_id=e.pk, ts=ts, running=True,
                                  counters={"total_count": 1000 + 2 * k, "reject_count": k // 50, "rework_count": 0},
                                  product=int(product.code), fault_word=0, mode=0))
    calls = [samples[i:i + per_call] for i in range(0, len(samples), per_call)]
    writes = 0
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for call in calls:
            writes += ingest_module.samples_ingest(call).writes
        cpu1, wall1 = time.process_time(), time.perf_counter()
    n = len(samples)
    return {"samples": n, "calls": len(calls), "wall_s": wall1 - wall0, "cpu_s": cpu1 - cpu0,
            "rate": n / (wall1 - wall0), "cpu_ms": 1000 * (cpu1 - cpu0) / n, "queries": queries[0],
            "writes": writes}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=80)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--per-call", type=int, default=80)
    parser.add_argument("--baseline", help="git revision whose apps/oee/ingest.py to measure as well")
    parser.add_argument("--with-push", action="store_true",
                        help="include the after-commit live push (renders each touched line's board)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the new path (top 25)")
    args = parser.parse_args(argv)
    if not 1 <= args.machines <= 1000 or not 2 <= args.seconds <= 600 or not 1 <= args.per_call <= 5000:
        parser.error("machines 1..1000, seconds 2..600, per-call 1..5000")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ms5.settings")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    db = connection.settings_dict
    db["TEST"]["NAME"] = (str(settings.VAR_DIR / "bench_oee_ingest.sqlite3")
                          if db["ENGINE"].endswith("sqlite3") else f"{db['NAME']}_bench_oee_ingest")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from apps.oee import ingest as new_ingest

        if not args.with_push:
            import apps.lines.live as live

            live.equipment_changed_on_commit = lambda **kwargs: None

        results = {}
        if args.baseline:
            old = load_module_at(args.baseline, "apps/oee/ingest.py", "bench_oee_ingest_baseline")
            results[f"baseline ({args.baseline})"] = run(old, machines=args.machines, seconds=args.seconds,
                                                         per_call=args.per_call, tag="1")
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
        results["current"] = run(new_ingest, machines=args.machines, seconds=args.seconds, per_call=args.per_call,
                                 tag="2")
        if args.profile:
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        print(f"database: {connection.vendor}; {args.machines} running machines × {args.seconds} s of 1 Hz "
              f"count-only samples, {args.per_call} samples per call (one hour boundary crossed); live push "
              f"{'included' if args.with_push else 'left out'}")
        print(f"{'path':<28} {'samples':>8} {'calls':>6} {'samples/s':>10} {'CPU ms/sample':>14} "
              f"{'queries/call':>13} {'writes':>7}")
        for name, r in results.items():
            print(f"{name:<28} {r['samples']:>8} {r['calls']:>6} {r['rate']:>10.0f} {r['cpu_ms']:>14.3f} "
                  f"{r['queries'] / r['calls']:>13.1f} {r['writes']:>7}")
        return 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    raise SystemExit(main())
