"""Andon escalation pass: time and queries of one ``andon_escalate_due`` run with N live calls.

Run: .venv/bin/python -m bench.andon_escalation [--calls 10,100,500] [--lines 5]

Builds a throw-away database next to the configured one, raises N calls spread over the lines (default ladder,
one e-mail/push recipient per line), then measures three passes at a controlled clock: the first (every call
fires level 1), an idle pass (nothing due: the cost beat pays every 15 s), and a pass 5 minutes later (level 2).
The escalation task runs every 15 s, so a pass must stay well under that; the figures show how far.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="10,100,500", help="numbers of live calls, comma-separated")
    parser.add_argument("--lines", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.calls.split(",") if s.strip()})
    if not sizes or sizes[0] < 1 or sizes[-1] > 5000 or not 1 <= args.lines <= 100:
        parser.error("calls must be 1..5000 and --lines 1..100")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ms5.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment

    from apps.andon import services
    from apps.andon.models import AndonCall
    from tests.factories.accounts import UserFactory
    from tests.factories.lines import EquipmentFactory, LineFactory

    db = connection.settings_dict
    db["TEST"]["NAME"] = (str(settings.VAR_DIR / "bench_andon.sqlite3")
                          if db["ENGINE"].endswith("sqlite3") else f"{db['NAME']}_bench_andon")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    t0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    try:
        lines = []
        for n in range(args.lines):
            line = LineFactory(code=f"BA{n}")
            for k in range(20):  # enough machines for distinct live calls (one per machine and category)
                EquipmentFactory(line=line, code=f"BA{n}.M{k}", position=k + 1)
            services.andon_categories_ensure(line_id=line.pk)
            UserFactory(username=f"bench-sm{n}", role="shift_manager", lines=[line])
            lines.append(line)
        print(f"database: {connection.vendor}; {args.lines} lines; default ladder")
        print(f"{'calls':>6}{'pass':>10}{'levels':>8}{'rows':>7}{'queries':>9}{'ms':>10}")
        categories = ["maintenance", "quality", "material", "safety", "help"]
        for size in sizes:
            AndonCall.objects.all().delete()
            made = 0
            for line in lines:
                for machine in line.equipment.all():
                    for category in categories:
                        if made >= size:
                            break
                        services.andon_call_raise(line_id=line.pk, category=category, equipment_id=machine.pk,
                                                  now=t0)
                        made += 1
            for label, now in (("first", t0), ("idle", t0 + dt.timedelta(seconds=15)),
                               ("level 2", t0 + dt.timedelta(minutes=5))):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    result = services.andon_escalate_due(now=now)
                    ms = (time.perf_counter() - started) * 1000
                levels = sum(1 for _, key in result.levels_fired if not key.startswith("remind"))
                print(f"{made:>6}{label:>10}{levels:>8}{len(result.notification_ids):>7}"
                      f"{len(ctx.captured_queries):>9}{ms:>10.1f}", flush=True)
        return 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    raise SystemExit(main())
