"""Benchmark: how long a shift report and an N-day OEE analysis take to build (figures), render (PDF) and export
(CSV zip), and how many pages and bytes they make.

    .venv/bin/python -m bench.reports_render [--days 30] [--repeat 3]

Uses a throw-away database next to the configured one (like bench.query_counts) and feeds one line's data
through the OEE engine's real ingest (one sample per minute, a stop every two hours). Prints figures; asserts
nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of history for the OEE analysis (1..120)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per report (median), 1..20")
    args = parser.parse_args(argv)
    if not (1 <= args.days <= 120 and 1 <= args.repeat <= 20):
        parser.error("--days must be 1..120 and --repeat 1..20")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ms5.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    db = connection.settings_dict
    db["TEST"]["NAME"] = (str(settings.VAR_DIR / "bench_reports.sqlite3")
                          if db["ENGINE"].endswith("sqlite3") else f"{db['NAME']}_bench_reports")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        import io

        from pypdf import PdfReader

        from apps.reports import render
        from apps.reports.selectors import report_data
        from tests.factories.oee import Feed
        from tests.factories.reports import berlin_plant

        line, eq, p1, _ = berlin_plant("BENCH")
        first = dt.datetime(2026, 3, 1, 5, tzinfo=dt.timezone.utc)
        started = time.perf_counter()
        f = Feed(eq, product_number=p1.pk)
        for day in range(args.days):
            base = first + dt.timedelta(days=day)
            for block in range(12):  # 2 h blocks: 110 min running, 10 min stopped
                a = base + dt.timedelta(hours=2 * block)
                f.run(a, 110 * 60, total=6000, reject=30, step=60)
                f.stop(a + dt.timedelta(minutes=110))
            f.ingest()
        print(f"database: {connection.vendor}; ingested {args.days} days through samples_ingest in "
              f"{time.perf_counter() - started:.1f} s")
        cases = [("shift report (8 h)", "shift", first, first + dt.timedelta(hours=8)),
                 (f"OEE analysis ({args.days} d)", "oee_analysis", first, first + dt.timedelta(days=args.days))]
        print(f"{'report':<24}{'build ms':>10}{'pdf ms':>9}{'csv ms':>9}{'pages':>7}{'pdf KB':>8}")
        for label, kind, a, b in cases:
            t_build, t_pdf, t_csv = [], [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                data = report_data(line=line, kind=kind, start=a, end=b)
                t1 = time.perf_counter()
                pdf = render.render_pdf(data)
                t2 = time.perf_counter()
                render.render_csv_zip(data)
                t3 = time.perf_counter()
                t_build.append((t1 - t0) * 1000)
                t_pdf.append((t2 - t1) * 1000)
                t_csv.append((t3 - t2) * 1000)
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            print(f"{label:<24}{statistics.median(t_build):>10.0f}{statistics.median(t_pdf):>9.0f}"
                  f"{statistics.median(t_csv):>9.0f}{pages:>7}{len(pdf) / 1024:>8.0f}", flush=True)
        return 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    sys.exit(main())
