"""Query-count baselines for list views (shared/STYLE.md §1.2 pattern 19, as NetBox does).

``assert_query_count(name, fn)`` runs ``fn`` while counting the database queries and compares the count with the
baseline recorded under ``name`` in tests/query_counts.json. Any difference fails, listing the queries: a higher
count is a regression (often an N+1), a lower one is an improvement to record so it cannot silently creep back.
Re-record after a deliberate change with

    UPDATE_QUERY_COUNTS=1 .venv/bin/python -m pytest tests/accounts/test_query_counts.py

and commit tests/query_counts.json with the change that caused it. Baselines are per name only, not per
database: the ORM issues the same queries on SQLite and PostgreSQL for these views.

``populate_plant(n, ...)`` builds n lines with equipment and PLC tags granted to a user; the test and
``bench/query_counts.py`` share it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext

BASELINE_FILE = Path(__file__).with_name("query_counts.json")


def _updating() -> bool:
    return os.environ.get("UPDATE_QUERY_COUNTS", "").lower() in ("1", "true", "yes")


def load_baselines() -> dict[str, int]:
    if not BASELINE_FILE.exists():
        return {}
    return json.loads(BASELINE_FILE.read_text(encoding="utf-8"))


def _store(name: str, count: int) -> None:
    baselines = load_baselines()
    baselines[name] = count
    BASELINE_FILE.write_text(json.dumps(dict(sorted(baselines.items())), indent=2) + "\n", encoding="utf-8")


def count_queries(fn: Callable[[], Any]) -> tuple[int, list[str], Any]:
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries], result


def assert_query_count(name: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn``; fail unless it made exactly the baseline number of queries. Returns fn's result."""
    count, queries, result = count_queries(fn)
    if _updating():
        _store(name, count)
        return result
    baselines = load_baselines()
    if name not in baselines:
        raise AssertionError(f"No query-count baseline for {name!r} in {BASELINE_FILE.name}; record it with "
                             "UPDATE_QUERY_COUNTS=1.")
    expected = baselines[name]
    if count != expected:
        listing = "\n".join(f"  {i + 1}. {sql}" for i, sql in enumerate(queries))
        direction = "more" if count > expected else "fewer"
        raise AssertionError(
            f"{name}: {count} queries, baseline {expected} ({direction}). If deliberate, re-record with "
            f"UPDATE_QUERY_COUNTS=1 and commit {BASELINE_FILE.name}.\n{listing}"
        )
    return result


def populate_plant(n: int, *, users, equipment_per_line: int = 2, prefix: str = "QC") -> list:
    """n lines, each with equipment carrying two PLC tags, granted to every user in ``users``."""
    from apps.accounts import services
    from apps.lines.models import Area, Equipment, Line, PlcConnection, Site, TagMap

    site, _ = Site.objects.get_or_create(code=f"{prefix}SITE", defaults={"name": "Bench plant",
                                                                         "time_zone": "Europe/Berlin"})
    area, _ = Area.objects.get_or_create(site=site, code=f"{prefix}AREA", defaults={"name": "Packing"})
    plc, _ = PlcConnection.objects.get_or_create(code=f"{prefix}PLC", defaults={"driver": "sim"})
    start = Line.objects.filter(code__startswith=f"{prefix}L").count()
    lines = []
    for i in range(start, start + n):
        line = Line.objects.create(area=area, code=f"{prefix}L{i:04d}", name=f"Line {i}")
        for pos in range(1, equipment_per_line + 1):
            eq = Equipment.objects.create(line=line, code=f"{line.code}.EQ{pos}", name=f"Machine {pos}",
                                          position=pos, criticality=3, is_primary=pos == 1)
            TagMap.objects.create(equipment=eq, connection=plc, signal="running", address=f"Sim.Run{eq.pk}",
                                  data_type="BOOL")
            TagMap.objects.create(equipment=eq, connection=plc, signal="total_count",
                                  address=f"Sim.Count{eq.pk}", data_type="DINT")
        for user in users:
            services.user_grant_line(user=user, line=line)
        lines.append(line)
    return lines
