"""The ``oee`` and ``replay_telemetry`` commands, tested from the outside."""

import datetime as dt
import json
import random

import pytest
from django.core.management import CommandError, call_command

from apps.downtime.models import DowntimeEvent
from tests.factories.downtime import DowntimeReasonFactory, ReasonCategoryFactory
from tests.factories.oee import equipment_on, line_with_shifts, product

pytestmark = pytest.mark.django_db

CSV_HEADER = "ts,equipment,comms_ok,running,total_count,reject_count,rework_count,counter_bits,fault_word,mode," \
             "product,job,product_code,changeover,no_order,reason\n"


@pytest.fixture
def plant():
    line = line_with_shifts(tz="Europe/Berlin", code="RL1",
                            shifts=[("E", "06:00", "14:00", [("09:00", "09:30")]), ("L", "14:00", "22:00", [])])
    product("1.0", code="P1")
    product("2.0", code="P2")
    eq = equipment_on(line, code="RL1.FILL", is_primary=True, position=1)
    cat = ReasonCategoryFactory(line=line, code="MECH")
    DowntimeReasonFactory(category=cat, code="JAM")
    return line, eq


def _rows():
    """A Berlin morning in March (UTC+1): 06:00 local = 05:00Z.

    05:00–08:00Z run P1 (ICT 1 s) making 10,000 (100 rejects); 08:00–08:30Z break; 08:30Z stop until 09:00Z, coded
    JAM at 08:45Z; 09:00Z changeover (operator) to P2 until 09:20Z; 09:20–13:00Z run P2 (ICT 2 s) making 6,000
    (16-bit counter wrapping)."""
    rows = [("2026-03-02T05:00:00Z", "RL1.FILL", "1", "1", "0", "0", "0", "16", "0", "0", "", "J1", "P1", "", "", "")]
    total = 0
    for minute in range(1, 180):
        total = 10000 * minute // 180
        rows.append((f"2026-03-02T{5 + minute // 60:02d}:{minute % 60:02d}:00Z", "RL1.FILL", "1", "1",
                     str(total % 65536), str(100 * minute // 180), "0", "16", "0", "0", "", "", "", "", "", ""))
    rows.append(("2026-03-02T07:59:59Z", "RL1.FILL", "1", "1", "10000", "100", "0", "16", "0", "0", "", "", "", "",
                 "", ""))
    rows.append(("2026-03-02T08:00:00Z", "RL1.FILL", "1", "0", "10000", "100", "0", "16", "0", "0", "", "", "", "",
                 "", ""))
    rows.append(("2026-03-02T08:45:00Z", "RL1.FILL", "", "", "", "", "", "", "", "", "", "", "", "", "", "JAM"))
    rows.append(("2026-03-02T09:00:00Z", "RL1.FILL", "", "", "", "", "", "", "", "", "", "J2", "P2", "1", "", ""))
    rows.append(("2026-03-02T09:20:00Z", "RL1.FILL", "", "", "", "", "", "", "", "", "", "", "", "0", "", ""))
    base = 10000
    for minute in range(0, 220):
        made = 6000 * minute // 219
        ts = dt.datetime(2026, 3, 2, 9, 20, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=minute)
        if minute == 219:
            ts -= dt.timedelta(seconds=1)
        rows.append((ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "RL1.FILL", "1", "1", str((base + made) % 65536), "100",
                     "0", "16", "0", "0", "", "", "", "", "", ""))
    rows.append(("2026-03-02T13:00:00Z", "RL1.FILL", "1", "0", str((base + 6000) % 65536), "100", "0", "16", "0",
                 "0", "", "", "", "", "", ""))
    return rows


def _write(tmp_path, rows, name="t.csv"):
    path = tmp_path / name
    path.write_text(CSV_HEADER + "".join(",".join(r) + "\n" for r in rows))
    return str(path)


def _oee_json(*args):
    import io

    out = io.StringIO()
    call_command("oee", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_replay_then_oee_json(plant, tmp_path):
    line, eq = plant
    call_command("replay_telemetry", _write(tmp_path, _rows()))
    data = _oee_json("--equipment", "RL1.FILL", "--start", "2026-03-02T06:00", "--end", "2026-03-02T14:00")
    (w,) = data["windows"]
    # PPT = 8 h − 0.5 h break = 27,000 s; losses: stop 08:30–09:00Z 1,800 s + changeover 1,200 s → run 24,000 s
    assert w["planned_production_time_s"] == 27000
    assert w["run_time_s"] == 24000
    assert w["total_count"] == 16000 and w["reject_count"] == 100 and w["good_count"] == 15900
    # Σ ICT·total = 10,000·1 + 6,000·2 = 22,000 s; Σ ICT·good = 9,900 + 12,000 = 21,900 s
    assert w["performance"] == pytest.approx(22000 / 24000)
    assert w["quality"] == pytest.approx(21900 / 22000)
    assert w["oee"] == pytest.approx(21900 / 27000)
    assert w["downtime_by_reason"] == {"JAM": 1800.0}
    assert w["time_per_state"]["changeover"] == 1200 and w["time_per_state"]["planned_stop"] == 1800
    assert [(e["reason"], e["seconds"], e["started_in_window"]) for e in w["downtime_events"]] == [
        ("JAM", 1800.0, True)]
    for field in ("availability", "teep", "rework_count", "small_stop_count", "small_stop_s", "downtime_s", "flags"):
        assert field in w
    assert data["policy"] == "oee_com"
    iso = _oee_json("--line", "RL1", "--start", "2026-03-02T06:00", "--end", "2026-03-02T14:00", "--policy",
                    "iso22400")
    assert iso["windows"][0]["oee"] == pytest.approx(w["oee"])
    by_hour = _oee_json("--equipment", "RL1.FILL", "--start", "2026-03-02T06:00", "--end", "2026-03-02T14:00",
                        "--by", "hour")
    assert len(by_hour["windows"]) == 8
    assert sum(x["total_count"] for x in by_hour["windows"]) == 16000
    assert sum(x["planned_production_time_s"] for x in by_hour["windows"]) == 27000
    by_shift = _oee_json("--equipment", "RL1.FILL", "--start", "2026-03-02T00:00", "--end", "2026-03-03T00:00",
                         "--by", "shift")
    assert [x["window"].split(":")[1] for x in by_shift["windows"]] == ["E", "L"]


def test_replay_is_independent_of_row_order(plant, tmp_path):
    line, eq = plant
    rows = _rows()
    random.Random(4).shuffle(rows)
    call_command("replay_telemetry", _write(tmp_path, rows))
    w = _oee_json("--equipment", "RL1.FILL", "--start", "2026-03-02T06:00", "--end", "2026-03-02T14:00")["windows"][0]
    assert (w["run_time_s"], w["total_count"], w["downtime_by_reason"]) == (24000, 16000, {"JAM": 1800.0})


def test_bad_replay_file_is_rejected_whole(plant, tmp_path):
    _, eq = plant
    rows = _rows()[:5] + [("yesterday", "RL1.FILL") + ("",) * 14, ("2026-03-02T05:10:00Z", "NOPE") + ("",) * 14]
    with pytest.raises(CommandError) as err:
        call_command("replay_telemetry", _write(tmp_path, rows))
    assert "line 7" in str(err.value) and "line 8" in str(err.value) and "NOPE" in str(err.value)
    assert not eq.state_intervals.exists() and not DowntimeEvent.objects.exists()


def test_oee_command_errors(plant):
    with pytest.raises(CommandError):
        call_command("oee", "--equipment", "MISSING", "--start", "2026-03-02T06:00", "--end", "2026-03-02T07:00")
    with pytest.raises(CommandError):
        call_command("oee", "--line", "RL1", "--start", "2026-03-02T08:00", "--end", "2026-03-02T07:00")
