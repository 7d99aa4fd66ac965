"""Logix driver and poller against cpppo on 127.0.0.1: kill, hang and restart the peer mid-run."""

from __future__ import annotations

import pytest
from pycomm3 import LogixDriver

from apps.andon.models import AndonCall
from apps.lines.models import FaultCode
from apps.oee.models import CountDelta, StateInterval
from plc_worker.drivers.logix import raw_definition
from tests.factories.plc import mapped_connection
from tests.plc_worker.conftest import logix_init, wait_for
from tests.plc_worker.helpers import counted, open_state, polling, raw_total

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TAGS = [("running", "Running", "BOOL"), ("total_count", "GoodCount", "DINT"), ("speed", "Speed", "REAL"),
        ("fault_word", "Faults", "DINT[2]")]


def write(port, *pairs):
    """Test-side writes, two tags per call (pycomm3's single-tag write sends its payload twice; cpppo rejects)."""
    plc = LogixDriver(f"127.0.0.1:{port}", init_tags=False)
    plc.socket_timeout = 2
    for name, dtype, dims in (("GoodCount", "DINT", None), ("Speed", "REAL", None), ("Running", "BOOL", None),
                              ("Faults", "DINT", [2, 0, 0])):
        plc._tags[name] = plc._create_tag(name, raw_definition(dtype, dims))
    with plc:
        results = plc.write(*pairs)
    assert all(r.error is None for r in (results if isinstance(results, list) else [results])), results


def test_kill_hang_restart_no_invented_counts_and_reconciled(logix_peer):
    peer = logix_peer.start(env=logix_init(Running=1, GoodCount=100, Speed=1.5, Faults=[4, 1]))
    conn = mapped_connection(code="BAG1", driver="logix", host="127.0.0.1", port=peer.port, tags=TAGS,
                             poll_interval_ms=200, timeout_ms=500)
    eq = conn.tags.first().equipment_id
    FaultCode.objects.create(equipment_id=eq, bit=34, code="E34", text="Film break", raises_andon=True,
                             andon_priority="high")
    with polling(conn) as runner:
        wait_for(lambda: raw_total(eq) == 100, 10, what="first scan")
        assert open_state(eq) == "running"
        # Bit 34 lives in the HIGH DINT of the 64-bit word (Faults[1] = 4): catalog → Andon hand-off.
        write(peer.port, ("Faults{2}", [4, 4]), ("Speed", 1.5))
        wait_for(lambda: AndonCall.objects.filter(equipment_id=eq, status="open").exists(), 10, what="andon call")
        assert AndonCall.objects.get(equipment_id=eq).priority == "high"
        write(peer.port, ("GoodCount", 105), ("Speed", 1.5))
        wait_for(lambda: counted(eq) == 5, 10, what="5 counted")

        # PLC gone: no_data, nothing invented while it is away.
        peer.kill()
        wait_for(lambda: open_state(eq) == "no_data", 10, what="no_data after kill")
        rows_while_down = CountDelta.objects.filter(equipment_id=eq).count()
        wait_for(lambda: runner.comm_errors >= 2, 10, what="a failed reconnect attempt")
        assert CountDelta.objects.filter(equipment_id=eq).count() == rows_while_down
        assert open_state(eq) == "no_data"

        # PLC back with the 25 units it made while unreachable: reconciled by the delta rule.
        peer.start(env=logix_init(Running=1, GoodCount=130, Speed=1.5, Faults=[4, 1]))
        wait_for(lambda: raw_total(eq) == 130, 20, what="reconnect")
        assert counted(eq) == 30
        assert open_state(eq) == "running"

        # PLC hung (SIGSTOP): the timeout/watchdog turns it into no_data, it recovers after SIGCONT.
        with peer.hung():
            wait_for(lambda: open_state(eq) == "no_data", 10, what="no_data while hung")
            assert counted(eq) == 30
        write(peer.port, ("GoodCount", 140), ("Speed", 1.5))
        wait_for(lambda: raw_total(eq) == 140, 20, what="recovery after SIGCONT")
        assert counted(eq) == 40 and open_state(eq) == "running"
    no_data = StateInterval.objects.filter(equipment_id=eq, state="no_data").count()
    assert no_data >= 2


def test_stale_reply_after_a_timeout_cannot_corrupt_a_value(logix_peer):
    """After a timed-out request the peer's late reply is still coming. The poller must never read it as the
    answer to its next request: it drops the socket and opens a new one."""
    peer = logix_peer.start(env=logix_init(Running=1, GoodCount=7, Speed=2.5, Faults=[0, 0]))
    conn = mapped_connection(code="BAG2", driver="logix", host="127.0.0.1", port=peer.port, tags=TAGS,
                             poll_interval_ms=200, timeout_ms=400)
    recorded = []

    def sink(samples):
        recorded.extend(samples)

    with polling(conn, sink=sink) as runner:
        wait_for(lambda: recorded and recorded[-1].counters.get("total_count") == 7, 10, what="first scan")
        with peer.hung():
            wait_for(lambda: runner.state == "down", 10, what="timeout while hung")
        # The peer now answers the request it received while stopped, to a socket the poller has dropped;
        # new values are written after that, so a stale reply would show the OLD ones (7 / 2.5).
        write(peer.port, ("GoodCount", 9), ("Speed", 3.25))
        wait_for(lambda: runner.state == "ok" and recorded[-1].comms_ok, 20, what="reconnect")
        wait_for(lambda: recorded[-1].counters.get("total_count") == 9, 10, what="new value")
    after = [s for s in recorded[recorded.index(next(s for s in recorded if not s.comms_ok)) + 1:]]
    assert after and all(s.counters.get("total_count") in (7, 9) for s in after)  # never REAL bits as a DINT
    assert after[-1].speed == 3.25 and after[-1].fault_word == 0


def test_one_multi_tag_read_per_scan(logix_peer, monkeypatch):
    from plc_worker.drivers.base import ConnectionConfig, TagSpec
    from plc_worker.drivers.logix import LogixPlcDriver

    peer = logix_peer.start(env=logix_init(GoodCount=3, Faults=[-1, -2147483648]))
    tags = tuple(TagSpec(a, t, s, 1) for s, a, t in TAGS)
    driver = LogixPlcDriver(ConnectionConfig(id=1, code="X", driver="logix", host="127.0.0.1", port=peer.port,
                                             timeout_s=2, tags=tags))
    calls = []
    original = driver.plc.read
    monkeypatch.setattr(driver.plc, "read", lambda *names: calls.append(names) or original(*names))
    driver.open()
    try:
        reads = driver.read(tags)
    finally:
        driver.close()
    assert len(calls) == 1 and len(calls[0]) == 4
    assert reads["GoodCount"].value == 3 and reads["Faults"].value == [-1, -2147483648]


def test_the_hazard_is_real_reusing_a_timed_out_pycomm3_socket_returns_the_stale_reply(logix_peer):
    """Why the poller never reuses a socket: on the same pycomm3 object, the reply to a request that timed out
    is taken as the answer to the next request (here: Speed's REAL bits read back as GoodCount)."""
    import struct
    import time

    from pycomm3.exceptions import CommError as PycommCommError

    peer = logix_peer.start(env=logix_init(GoodCount=7, Speed=2.5))
    plc = LogixDriver(f"127.0.0.1:{peer.port}", init_tags=False)
    plc.socket_timeout = 0.4
    for name, dtype in (("GoodCount", "DINT"), ("Speed", "REAL")):
        plc._tags[name] = plc._create_tag(name, raw_definition(dtype))
    plc.open()
    try:
        assert plc.read("Speed").value == 2.5
        with peer.hung():
            with pytest.raises(PycommCommError):
                plc.read("Speed")
        time.sleep(0.5)  # the peer answers the old request now
        stale = plc.read("GoodCount")
    finally:
        try:
            plc.close()
        except Exception:
            pass
    assert stale.value != 7
    assert stale.value == struct.unpack("<i", struct.pack("<f", 2.5))[0] or stale.error
