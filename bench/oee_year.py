"""Benchmark: a year-long OEE query for one line of 20 equipment, from hourly rollups vs recomputed from raw data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/oee_year.py [--days 365] [--equipment 20]

Runs on PostgreSQL only, in its own throw-away database ``ms5_bench`` (created and dropped here). The year of
history is synthesized directly as interval, count-delta, downtime-event and rollup rows with COPY (bounded:
~100 intervals and ~250 count rows per equipment-day), so generation takes a minute, not a year of ingest.
Count deltas are written every 5 minutes instead of at every 1 Hz poll; the raw timing is therefore a lower
bound (real 1 Hz history holds up to 300× more count rows). The storage of true 1 Hz history is measured
separately by ingesting one hour of 1 Hz samples through the real pipeline and extrapolating per day.
Prints figures; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ms5.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)
SHIFTS = (("E", 6, 14, 10), ("L", 14, 22, 18), ("N", 22, 6, 2))  # code, start h, end h, 30-min break at h
ICT = 1.0
COUNT_STEP_S = 300


def _breaks_and_bounds(day: dt.datetime):
    """Fixed boundaries of a day (UTC site): shift changes and 30-min breaks."""
    breaks = sorted((day + dt.timedelta(hours=h), day + dt.timedelta(hours=h, minutes=30)) for _, _, _, h in SHIFTS)
    bounds = sorted({day + dt.timedelta(hours=h) for h in (6, 14, 22)} | {b for pair in breaks for b in pair}
                    | {day + dt.timedelta(days=1)})
    return breaks, bounds


def synthesize(eq_id: int, start: dt.datetime, days: int, rnd: random.Random):
    """Intervals, counts, events and hourly rollups of one equipment: runs with small and unplanned stops, stopped
    in every break, 24/7 three-shift calendar. Stops never cross a break or shift boundary (so each unplanned
    stop is exactly one downtime event)."""
    intervals, counts, events = [], [], []
    hours: dict[dt.datetime, dict] = {}

    def hour_row(h):
        return hours.setdefault(h, {"running": 0.0, "small": 0.0, "unplanned": 0.0, "planned": 0.0, "total": 0,
                                    "reject": 0, "small_n": 0, "stops": 0})

    def spread(a, b, key):
        h = a.replace(minute=0, second=0, microsecond=0)
        while h < b:
            x, y = max(a, h), min(b, h + HOUR)
            hour_row(h)[key] += (y - x).total_seconds()
            h += HOUR

    def shift_key(moment):
        hh = moment.hour
        code = "E" if 6 <= hh < 14 else "L" if 14 <= hh < 22 else "N"
        prod_date = (moment - dt.timedelta(days=1)).date() if hh < 6 else moment.date()
        return f"LINE:{code}:{prod_date.isoformat()}"

    t = start
    end = start + dt.timedelta(days=days)
    while t < end:
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        breaks, bounds = _breaks_and_bounds(day)
        in_break = next(((a, b) for a, b in breaks if a <= t < b), None)
        if in_break:
            intervals.append((eq_id, "stopped", t, in_break[1]))
            spread(t, in_break[1], "planned")
            t = in_break[1]
            continue
        next_bound = next(b for b in bounds if b > t)
        next_break = next((a for a, _ in breaks if a >= t), day + dt.timedelta(days=1))
        run_end = min(t + dt.timedelta(seconds=rnd.randint(300, 2400)), next_break, end)
        intervals.append((eq_id, "running", t, run_end))
        spread(t, run_end, "running")
        k = t + dt.timedelta(seconds=COUNT_STEP_S)
        while k < run_end:
            made = int(COUNT_STEP_S / ICT * 0.9)
            rej = rnd.randint(0, 6)
            counts.append((eq_id, k, made, rej))
            hr = hour_row(k.replace(minute=0, second=0, microsecond=0))
            hr["total"] += made
            hr["reject"] += rej
            k += dt.timedelta(seconds=COUNT_STEP_S)
        t = run_end
        if t >= end or t == next_break:
            continue
        next_bound = next(b for b in bounds if b > t)
        small = rnd.random() < 0.7
        length = rnd.randint(20, 120) if small else rnd.randint(180, 1800)
        stop_end = min(t + dt.timedelta(seconds=length), next_bound, end)
        if (stop_end - t).total_seconds() <= 120:
            spread(t, stop_end, "small")
            hour_row(t.replace(minute=0, second=0, microsecond=0))["small_n"] += 1
        else:
            spread(t, stop_end, "unplanned")
            hour_row(t.replace(minute=0, second=0, microsecond=0))["stops"] += 1
            events.append((eq_id, t, stop_end, t, True, shift_key(t)))
        intervals.append((eq_id, "stopped", t, stop_end))
        t = stop_end
    return intervals, counts, events, hours


def copy_rows(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--equipment", type=int, default=20)
    parser.add_argument("--raw-runs", type=int, default=1)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "ms5_bench"
    from django.test.utils import get_runner  # noqa: F401  (settings are configured; creation needs them)

    creation = connection.creation
    t0 = time.perf_counter()
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args, time.perf_counter() - t0)
    finally:
        creation.destroy_test_db("ms5_bench", verbosity=0)


def run(args, setup_s: float) -> None:
    from apps.lines import models as lm
    from apps.oee.calculator import oee_compute
    from apps.oee.models import EquipmentRuntime

    site = lm.Site.objects.create(code="BENCH", name="Bench", time_zone="UTC")
    area = lm.Area.objects.create(site=site, code="A", name="A")
    line = lm.Line.objects.create(area=area, code="LINE", name="Bench line")
    pattern = lm.ShiftPattern.objects.create(line=line, name="3x8")
    for code, a, b, brk in SHIFTS:
        shift = lm.Shift.objects.create(pattern=pattern, code=code, name=code, start_time=dt.time(a),
                                        end_time=dt.time(b), weekdays=list(range(7)))
        lm.ShiftBreak.objects.create(shift=shift, name="Break", start_time=dt.time(brk),
                                     end_time=dt.time(brk, 30))
    equipment = [lm.Equipment.objects.create(line=line, code=f"B.EQ{i:02d}", name=f"EQ{i}", position=i + 1)
                 for i in range(args.equipment)]
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    end = start + dt.timedelta(days=args.days)
    rnd = random.Random(2026)
    t1 = time.perf_counter()
    n_int = n_cnt = n_ev = n_hr = 0
    with connection.cursor() as cur:
        pg = cur.cursor if hasattr(cur, "cursor") else cur
        for eq in equipment:
            intervals, counts, events, hours = synthesize(eq.pk, start, args.days, rnd)
            copy_rows(pg, "oee_stateinterval", ("equipment_id", "state", "start", '"end"', "ict_s", "job_ref"),
                      ((e, s, a, b, ICT, "") for e, s, a, b in intervals))
            copy_rows(pg, "oee_countdelta", ("equipment_id", "ts", "total", "reject", "rework", "ict_s"),
                      ((e, ts, n, r, 0, ICT) for e, ts, n, r in counts))
            copy_rows(pg, "downtime_downtimeevent",
                      ("equipment_id", "start", '"end"', "occurrence_start", "counted", "reason_source",
                       "shift_key", "created_at"),
                      ((e, a, b, o, c, "", k, end) for e, a, b, o, c, k in events))
            copy_rows(pg, "oee_hourrollup",
                      ("equipment_id", "hour", "running_s", "small_stop_s", "unplanned_stop_s", "pending_stop_s",
                       "changeover_s", "planned_stop_s", "no_order_s", "not_scheduled_s", "no_data_s", "total",
                       "reject", "rework", "ict_total_s", "ict_good_s", "count_without_ict", "small_stop_count",
                       "stop_count"),
                      ((eq.pk, h, r["running"], r["small"], r["unplanned"], 0, 0, r["planned"], 0, 0, 0, r["total"],
                        r["reject"], 0, r["total"] * ICT, (r["total"] - r["reject"]) * ICT, 0, r["small_n"],
                        r["stops"]) for h, r in sorted(hours.items())))
            copy_rows(pg, "oee_hourreasonrollup", ("equipment_id", "hour", "seconds"),
                      ((eq.pk, h, r["unplanned"]) for h, r in sorted(hours.items()) if r["unplanned"]))
            days: dict[dt.datetime, dict] = {}
            for h, r in hours.items():
                d = days.setdefault(h.replace(hour=0), dict.fromkeys(r, 0))
                for k, v in r.items():
                    d[k] += v
            copy_rows(pg, "oee_dayrollup",
                      ("equipment_id", "day", "running_s", "small_stop_s", "unplanned_stop_s", "pending_stop_s",
                       "changeover_s", "planned_stop_s", "no_order_s", "not_scheduled_s", "no_data_s", "total",
                       "reject", "rework", "ict_total_s", "ict_good_s", "count_without_ict", "small_stop_count",
                       "stop_count"),
                      ((eq.pk, d, r["running"], r["small"], r["unplanned"], 0, 0, r["planned"], 0, 0, 0, r["total"],
                        r["reject"], 0, r["total"] * ICT, (r["total"] - r["reject"]) * ICT, 0, r["small_n"],
                        r["stops"]) for d, r in sorted(days.items())))
            copy_rows(pg, "oee_dayreasonrollup", ("equipment_id", "day", "seconds"),
                      ((eq.pk, d, r["unplanned"]) for d, r in sorted(days.items()) if r["unplanned"]))
            n_int, n_cnt, n_ev, n_hr = n_int + len(intervals), n_cnt + len(counts), n_ev + len(events), \
                n_hr + len(hours)
        cur.execute("ANALYZE")
    for eq in equipment:
        EquipmentRuntime.objects.create(equipment=eq, rolled_up_from=start, rolled_up_to=end, last_change_ts=end)
    gen_s = time.perf_counter() - t1
    eq_days = args.equipment * args.days
    print(f"Synthesized {args.equipment} equipment × {args.days} days in {gen_s:.1f} s "
          f"(database setup {setup_s:.1f} s): {n_int:,} intervals, {n_cnt:,} count deltas, {n_ev:,} downtime "
          f"events, {n_hr:,} hour rollups (+ day rollups).")

    eq_list = list(lm.Equipment.objects.filter(line=line).select_related("line__area__site"))

    def query(use_rollups: bool):
        return oee_compute(equipment_list=eq_list, start=start, end=end, as_of=end, use_rollups=use_rollups,
                           with_events=False)

    query(True)  # warm caches
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        query(True)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(20)
    fast_times = []
    for _ in range(7):
        a = time.perf_counter()
        fast = query(True)
        fast_times.append((time.perf_counter() - a) * 1000)
    raw_times = []
    for _ in range(max(args.raw_runs, 1)):
        a = time.perf_counter()
        raw = query(False)
        raw_times.append((time.perf_counter() - a) * 1000)
    fast_ms, raw_ms = statistics.median(fast_times), statistics.median(raw_times)
    print(f"Year OEE of the line from rollups: median {fast_ms:.1f} ms (min {min(fast_times):.1f}, "
          f"max {max(fast_times):.1f}, 7 runs)")
    print(f"Year OEE of the line recomputed from raw: {raw_ms:.0f} ms ({args.raw_runs} run(s))")
    print(f"Ratio raw / rollups: {raw_ms / fast_ms:.0f}×")
    print(f"Figures agree: OEE {fast.oee:.6f} vs {raw.oee:.6f}; A {fast.availability:.6f} vs {raw.availability:.6f}; "
          f"P {fast.performance:.6f} vs {raw.performance:.6f}; total {fast.total_count:,} vs {raw.total_count:,}; "
          f"stops {fast.stop_count:,} vs {raw.stop_count:,}; small stops {fast.small_stop_count:,} vs "
          f"{raw.small_stop_count:,}")
    # Windows whose edges are not on whole hours: rollups for the whole hours/days, raw rows for the partial edge
    # hours of every equipment (one query per table for all of them).
    q = [0]

    def counting(execute, sql, params, many, context):
        q[0] += 1
        return execute(sql, params, many, context)

    odd = dt.timedelta(minutes=17, seconds=23)
    windows = [("year, unaligned edges", lambda k: (start + dt.timedelta(hours=5) + odd,
                                                    end - dt.timedelta(hours=2) + odd)),
               ("28 days, unaligned edges", lambda k: (dt.datetime(2025, k % 12 + 1, 1, tzinfo=UTC)
                                                       + dt.timedelta(hours=5, minutes=30),
                                                       dt.datetime(2025, k % 12 + 1, 1, tzinfo=UTC)
                                                       + dt.timedelta(days=28, hours=22))),
               ("24 h, unaligned edges", lambda k: (start + dt.timedelta(days=10 + 20 * k) + odd,
                                                    start + dt.timedelta(days=11 + 20 * k) + odd)),
               ("one 8 h shift (06:00–14:00)", lambda k: (start + dt.timedelta(days=5 + 20 * k, hours=6),
                                                          start + dt.timedelta(days=5 + 20 * k, hours=14)))]
    print(f"{'window (line of ' + str(args.equipment) + ' equipment)':<42} {'median ms':>10} {'max ms':>8} "
          f"{'queries':>8}   (12 windows each; with downtime events listed: median ms)")
    slow_sql = []

    def timing(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            slow_sql.append(((time.perf_counter() - t) * 1000, sql))

    for name, make in windows:
        k_max = 12 if args.days >= 365 else 1
        times, times_ev = [], []
        for k in range(k_max):
            a, b = make(k)
            b = min(b, end)
            q[0] = 0
            with connection.execute_wrapper(counting), connection.execute_wrapper(timing):
                t = time.perf_counter()
                oee_compute(equipment_list=eq_list, start=a, end=b, as_of=end, with_events=False)
                times.append((time.perf_counter() - t) * 1000)
            n_queries = q[0]
            if not name.startswith("year"):  # listing a year's ~100,000 downtime events is another question
                t = time.perf_counter()
                oee_compute(equipment_list=eq_list, start=a, end=b, as_of=end, with_events=True)
                times_ev.append((time.perf_counter() - t) * 1000)
        print(f"{name:<42} {statistics.median(times):>10.1f} {max(times):>8.1f} {n_queries:>8}   "
              f"{statistics.median(times_ev) if times_ev else float('nan'):.1f}")
    if os.environ.get("BENCH_EXPLAIN"):
        for ms, sql in sorted(slow_sql, key=lambda x: -x[0])[:5]:
            print(f"  {ms:8.1f} ms  {sql[:400]}")

    with connection.cursor() as cur:
        sizes = {}
        for table in ("oee_stateinterval", "oee_countdelta", "downtime_downtimeevent", "oee_hourrollup",
                      "oee_hourreasonrollup", "oee_dayrollup", "oee_dayreasonrollup"):
            cur.execute("SELECT pg_total_relation_size(%s)", [table])
            sizes[table] = cur.fetchone()[0]
    print("Storage per equipment-day (table + indexes), as synthesized:")
    for table, size in sizes.items():
        print(f"  {table:26s} {size / eq_days / 1024:8.1f} KiB")
    print(f"  {'total':26s} {sum(sizes.values()) / eq_days / 1024:8.1f} KiB")
    measure_1hz(line)


def measure_1hz(line) -> None:
    """One hour of true 1 Hz samples (count advancing every poll, a few stops) through samples_ingest."""
    from apps.lines import models as lm
    from apps.oee.ingest import EquipmentSample, samples_ingest
    from apps.oee.models import CountDelta, StateInterval

    eq = lm.Equipment.objects.create(line=line, code="B.HZ", name="1 Hz", position=99)
    product = lm.Product.objects.create(code="900", name="bench", ideal_cycle_time_s=1)
    t0 = dt.datetime(2026, 1, 5, 8, tzinfo=UTC)
    rnd = random.Random(1)
    total, running, samples = 0, True, []
    for s in range(3600):
        if rnd.random() < 0.004:
            running = not running
        if running:
            total += 1
        samples.append(EquipmentSample(equipment_id=eq.pk, ts=t0 + dt.timedelta(seconds=s), running=running,
                                       counters={"total_count": total, "reject_count": 0}, fault_word=0, mode=0,
                                       product=int(product.code)))
    a = time.perf_counter()
    for i in range(0, len(samples), 60):
        samples_ingest(samples[i:i + 60])
    elapsed = time.perf_counter() - a
    rows = CountDelta.objects.filter(equipment=eq).count()
    ivs = StateInterval.objects.filter(equipment=eq).count()
    with connection.cursor() as cur:
        cur.execute("SELECT avg(pg_column_size(t.*)) FROM oee_countdelta t WHERE equipment_id = %s", [eq.pk])
        row_bytes = float(cur.fetchone()[0])
    per_day = rows * 24
    print(f"1 Hz ingest through samples_ingest: 3,600 samples in {elapsed:.1f} s ({3600 / elapsed:.0f} samples/s "
          f"in batches of 60); wrote {rows:,} count deltas and {ivs} intervals for the hour.")
    print(f"  At 1 Hz a running machine stores ~{per_day:,} count rows per equipment-day: ~{per_day * row_bytes / 1024:,.0f} "
          f"KiB of heap (+ the (equipment, ts) index, roughly as much again); rollups stay 24 rows per day.")


if __name__ == "__main__":
    main()
