"""``run_plc_worker`` as real processes on the test database: leases between two workers, takeover, SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from plc_worker.models import PlcLease
from tests.factories.plc import sim_connection
from tests.plc_worker.conftest import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(name: str, tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "MS5_PLC_LEASE_SECONDS": "2", "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "manage.py", "run_plc_worker", "--worker-id", name, *args],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def polled_codes(log: Path) -> set[str]:
    return set(re.findall(r"(SIM\d+): polling", log.read_text(errors="replace")))


def owners() -> dict[str, str]:
    return dict(PlcLease.objects.values_list("connection__code", "owner"))


def test_two_workers_never_share_a_connection_and_one_takes_over(tmp_path):
    codes = {f"SIM{i}" for i in range(6)}
    for i in range(6):
        sim_connection(code=f"SIM{i}", seed=i + 1)
    a, log_a = start_worker("worker-a", tmp_path)
    b, log_b = start_worker("worker-b", tmp_path)
    procs = [a, b]
    try:
        wait_for(lambda: set(owners()) == codes and all(owners().values()), 30, what="all connections leased")
        wait_for(lambda: polled_codes(log_a) | polled_codes(log_b) == codes, 10, what="all polled")
        assert not polled_codes(log_a) & polled_codes(log_b)  # never the same connection in both
        # Kill the worker that holds the most; the other takes over everything within a few lease periods.
        victim, survivor, survivor_log = (a, b, log_b) if len(polled_codes(log_a)) >= len(polled_codes(log_b)) \
            else (b, a, log_a)
        victim.send_signal(signal.SIGKILL)
        victim.wait(5)
        survivor_name = "worker-b" if survivor is b else "worker-a"
        wait_for(lambda: set(owners().values()) == {survivor_name}, 20, what="takeover by the survivor")
        wait_for(lambda: polled_codes(survivor_log) == codes, 10, what="survivor polls everything")
        # SIGTERM: clean stop, leases handed back at once.
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(20) == 0
        assert set(owners().values()) == {""}
        assert "stopped" in survivor_log.read_text()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)


def test_once_polls_writes_and_hands_back(tmp_path, capsys):
    from apps.oee.models import EquipmentRuntime

    conn = sim_connection(code="SIM9", equipment_count=2, seed=4)
    call_command("run_plc_worker", "--once", "--worker-id", "t")
    out = capsys.readouterr().out
    assert "SIM9: ok" in out
    eq_ids = set(conn.tags.values_list("equipment_id", flat=True))
    runtimes = EquipmentRuntime.objects.filter(equipment_id__in=eq_ids)
    assert runtimes.count() == 2 and all(r.counters.get("total_count") is not None for r in runtimes)
    assert PlcLease.objects.get(connection=conn).owner == ""
