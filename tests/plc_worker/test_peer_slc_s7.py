"""SLC 5/05 (protocol-level fake, real pycomm3 packets) and S7 (python-snap7's own server) on 127.0.0.1."""

from __future__ import annotations

import json
import struct

import pytest
from django.core.management import call_command
from pycomm3 import SLCDriver

from plc_worker.drivers.base import ConnectionConfig, TagSpec
from plc_worker.drivers.s7 import S7PlcDriver
from plc_worker.drivers.slc import SlcPlcDriver, plan_blocks
from tests.factories.plc import mapped_connection
from tests.plc_worker.conftest import wait_for
from tests.plc_worker.helpers import counted, open_state, polling, raw_total

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SLC_TAGS = [("running", "B3:1/5", "BOOL"), ("total_count", "N7:0", "INT"), ("reject_count", "N7:1", "INT"),
            ("fault_word", "N7:4", "UINT"), ("speed", "F8:0", "REAL"), ("mode", "N7:10", "INT")]


def test_slc_block_plan_groups_by_file():
    tags = tuple(TagSpec(a, t, s, 1) for s, a, t in SLC_TAGS)
    plan = {(f, first, count) for f, first, count, _ in plan_blocks(tags)}
    assert plan == {("B3", 1, 1), ("N7", 0, 11), ("F8", 0, 1)}


def test_slc_values_wrap_kill_and_restart_reconciled(slc_peer):
    slc_peer.init[:] = ["B3:1=32", "N7:0=32766", "N7:1=3", "N7:4=-32768", "F8:0=61.5", "N7:10=0"]
    peer = slc_peer.start()
    conn = mapped_connection(code="BL1", driver="slc", host="127.0.0.1", port=peer.port, tags=SLC_TAGS,
                             poll_interval_ms=200, timeout_ms=500)
    eq = conn.tags.first().equipment_id
    with polling(conn) as runner:
        wait_for(lambda: raw_total(eq) == 32766, 10, what="first scan")
        assert open_state(eq) == "running"
        # The 16-bit counter passes 32767 → -32768 → -32766: a wrap, counted as +4.
        plc = SLCDriver(f"127.0.0.1:{peer.port}")
        with plc:
            assert plc.write(("N7:0", -32766)).error is None
        wait_for(lambda: counted(eq) == 4, 10, what="wrap counted")
        peer.kill()
        wait_for(lambda: open_state(eq) == "no_data", 10, what="no_data")
        assert counted(eq) == 4
        slc_peer.init[:] = ["B3:1=32", "N7:0=-32756", "N7:1=3", "N7:4=0", "F8:0=61.5"]
        peer.start()
        wait_for(lambda: runner.state == "ok" and raw_total(eq) == 32780, 20, what="reconnect")
        assert counted(eq) == 14 and open_state(eq) == "running"


def test_slc_missing_file_is_a_bad_tag_not_a_dead_plc(slc_peer):
    peer = slc_peer.start()
    tags = (TagSpec("N7:0", "INT", "total_count", 1), TagSpec("N9:0", "INT", "reject_count", 1))
    driver = SlcPlcDriver(ConnectionConfig(id=1, code="X", driver="slc", host="127.0.0.1", port=peer.port,
                                           timeout_s=2, tags=tags))
    driver.open()
    try:
        reads = driver.read(tags)
        assert reads["N7:0"].value == 0 and reads["N7:0"].error is None
        assert reads["N9:0"].value is None and "EXT STS" in reads["N9:0"].error
        assert driver.processor_type() == "1747-L552"
    finally:
        driver.close()


def s7_init(**by_offset) -> str:
    return json.dumps({str(k): list(v) for k, v in by_offset.items()})


S7_TAGS = [("running", "DB1.DBX0.0", "BOOL"), ("total_count", "DB1.DBD2", "DINT"),
           ("reject_count", "DB1.DBW6", "INT"), ("speed", "DB1.DBD8", "REAL"), ("fault_word", "DB1.DBD12", "UDINT")]


def s7_memory(total: int, running=True) -> str:
    db = bytearray(16)
    db[0] = 1 if running else 0
    struct.pack_into(">i", db, 2, total)
    struct.pack_into(">h", db, 6, -2)
    struct.pack_into(">f", db, 8, 42.5)
    struct.pack_into(">I", db, 12, 0x80000001)
    return s7_init(**{"0": bytes(db)})


def test_s7_values_kill_and_restart(s7_peer):
    s7_peer.state["init"] = s7_memory(1000)
    peer = s7_peer.start()
    conn = mapped_connection(code="S7A", driver="s7", host="127.0.0.1", port=peer.port, tags=S7_TAGS,
                             poll_interval_ms=200, timeout_ms=500)
    eq = conn.tags.first().equipment_id
    recorded = []
    from plc_worker.samples import default_sink

    def sink(samples):
        recorded.extend(samples)
        return default_sink(samples)

    with polling(conn, sink=sink) as runner:
        wait_for(lambda: raw_total(eq) == 1000, 10, what="first scan")
        first = recorded[0]
        assert first.running is True and first.speed == 42.5 and first.fault_word == 0x80000001
        assert first.counters["reject_count"] == 65534  # INT -2 read as two's complement
        peer.kill()
        wait_for(lambda: open_state(eq) == "no_data", 10, what="no_data")
        s7_peer.state["init"] = s7_memory(1012)
        peer.start()
        wait_for(lambda: runner.state == "ok" and raw_total(eq) == 1012, 20, what="reconnect")
        assert counted(eq) == 12


def test_plc_probe_reports_values_and_the_put_get_hint(s7_peer, capsys):
    s7_peer.state["init"] = s7_memory(5)
    peer = s7_peer.start()
    mapped_connection(code="S7P", driver="s7", host="127.0.0.1", port=peer.port,
                      tags=S7_TAGS[:2] + [("mode", "DB9.DBW0", "INT")], timeout_ms=1000)
    call_command("plc_probe", "S7P")
    out = capsys.readouterr().out
    assert "DB1.DBD2" in out and " 5 " in out and "2 good, 1 bad" in out
    assert "PUT/GET" in out and "Optimized block access" in out


def test_s7_driver_splits_more_than_20_items(s7_peer):
    s7_peer.state["init"] = s7_init(**{"0": bytes(range(1, 49))})
    peer = s7_peer.start()
    tags = tuple(TagSpec(f"DB1.DBB{i}", "SINT", "mode", 1) for i in range(45))
    driver = S7PlcDriver(ConnectionConfig(id=1, code="X", driver="s7", host="127.0.0.1", port=peer.port,
                                          timeout_s=2, tags=tags))
    driver.open()
    try:
        reads = driver.read(tags)
    finally:
        driver.close()
    assert [reads[t.address].value for t in tags] == list(range(1, 46))
