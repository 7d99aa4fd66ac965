"""Query counts (and time) per list view at 1, 10 and 100 lines.

Run: .venv/bin/python -m bench.query_counts [--sizes 1,10,100] [--repeat 5]

Builds a throw-away database next to the configured one (never touches the real data), fills it with lines,
equipment and PLC tags granted to a line-scoped user, requests each list view through Django's test client and
prints one row per view and size: queries per request and the median wall time per request. The query count must
stay flat as lines grow (tests/accounts/test_query_counts.py enforces that); the time is for information only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="numbers of lines, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="requests per view and size (median time)")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] < 1 or sizes[-1] > 2000 or not 1 <= args.repeat <= 50:
        parser.error("sizes must be 1..2000 and --repeat 1..50")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ms5.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment
    from django.urls import reverse

    from tests.factories.accounts import UserFactory
    from tests.query_counts import count_queries, populate_plant

    db = connection.settings_dict
    db["TEST"]["NAME"] = (str(settings.VAR_DIR / "bench_query_counts.sqlite3")
                          if db["ENGINE"].endswith("sqlite3") else f"{db['NAME']}_bench_query_counts")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # setup speed only
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        views = [("lines:overview", "shift_manager"), ("lines:engineering", "engineer")]
        users = {role: UserFactory(username=f"bench-{role}", role=role) for _, role in views}
        print(f"database: {connection.vendor}; {args.repeat} requests per row; time = median per request")
        print(f"{'view':<22}{'lines':>7}{'queries':>9}{'ms':>9}")
        done = 0
        rows = {}
        for size in sizes:
            populate_plant(size - done, users=list(users.values()), prefix="BQ")
            done = size
            for view, role in views:
                client = Client()
                client.force_login(users[role])
                url = reverse(view)
                client.get(url)  # warm-up
                counts, times = [], []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    count, _, response = count_queries(lambda: client.get(url))
                    times.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        print(f"{view}: HTTP {response.status_code}", file=sys.stderr)
                        return 1
                    counts.append(count)
                rows.setdefault(view, []).append(max(counts))
                print(f"{view:<22}{size:>7}{max(counts):>9}{statistics.median(times):>9.1f}", flush=True)
        flat = all(len(set(c)) == 1 for c in rows.values())
        print("query counts flat across sizes:", "yes" if flat else "NO (an N+1 query?)")
        return 0 if flat else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    sys.exit(main())
