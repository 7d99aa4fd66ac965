"""Lease services, the worker's lease round, and the /healthz check (in one process, with sim PLCs)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from plc_worker import leases
from plc_worker.health import check_plc_worker
from plc_worker.models import PlcLease
from plc_worker.scanner import Worker
from tests.factories.plc import sim_connection


@pytest.fixture
def connections(db):
    return [sim_connection(code=f"SIM{i}", seed=i + 1) for i in range(4)]


def test_claim_takes_only_free_or_expired_connections(connections):
    ids = [c.pk for c in connections]
    assert leases.lease_claim(worker_id="A", connection_ids=ids[:3], seconds=10) == set(ids[:3])
    assert leases.lease_claim(worker_id="B", connection_ids=ids, seconds=10) == {ids[3]}
    PlcLease.objects.filter(connection_id=ids[0]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert leases.lease_claim(worker_id="B", connection_ids=ids, seconds=10) == {ids[0], ids[3]}
    assert leases.lease_renew(worker_id="A", connection_ids=ids[:3], seconds=10) == set(ids[1:3])


def test_release_frees_at_once(connections):
    ids = [c.pk for c in connections]
    leases.lease_claim(worker_id="A", connection_ids=ids, seconds=60)
    assert leases.lease_release(worker_id="A", connection_ids=ids) == 4
    assert leases.lease_claim(worker_id="B", connection_ids=ids, seconds=60) == set(ids)


def test_two_workers_split_connections_and_one_takes_over_when_the_other_dies(connections):
    recorded = []
    a = Worker(worker_id="A", sink=recorded.extend, lease_seconds=2)
    b = Worker(worker_id="B", sink=recorded.extend, lease_seconds=2)
    try:
        ids = {c.pk for c in connections}
        # A gets the first two only (as if it had started first with a filter), B the rest.
        a.codes = ["SIM0", "SIM1"]
        a.sync()
        b.sync()
        assert set(a.runners) | set(b.runners) == ids and not set(a.runners) & set(b.runners)
        assert len(a.runners) == 2
        # A "dies": its threads stop, its leases are not renewed and expire.
        for cid in list(a.runners):
            a._stop_runner(cid, join_s=2)
        b.sync()
        assert set(b.runners) == set(ids) - {c.pk for c in connections[:2]}
        time.sleep(2.2)
        b.sync()
        assert set(b.runners) == ids
        assert set(PlcLease.objects.values_list("owner", flat=True)) == {"B"}
    finally:
        for w in (a, b):
            for cid in list(w.runners):
                w._stop_runner(cid, join_s=2)


def test_health_check_requires_every_enabled_connection_to_be_leased(connections):
    result = check_plc_worker()
    assert not result.ok and result.required and "4 of 4" in result.detail
    leases.lease_claim(worker_id="A", connection_ids=[c.pk for c in connections], seconds=10)
    result = check_plc_worker()
    assert result.ok and "1 worker" in result.detail
    PlcLease.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert not check_plc_worker().ok


def test_health_check_not_required_without_enabled_connections(db):
    result = check_plc_worker()
    assert result.ok and not result.required


def test_healthz_reports_the_plc_worker_check(connections, client):
    response = client.get("/healthz")
    check = response.json()["checks"]["plc_worker"]
    assert response.status_code == 503 and not check["ok"] and check["required"]
    leases.lease_claim(worker_id="A", connection_ids=[c.pk for c in connections], seconds=10)
    check = client.get("/healthz").json()["checks"]["plc_worker"]
    assert check["ok"] and "4 connections polled by 1 worker" in check["detail"]
