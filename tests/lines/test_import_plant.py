"""import_plant: the reference plant imports, a re-run changes nothing, bad files are rejected whole."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command

from apps.lines import models
from apps.lines.plantfile import PlantFileInvalid, parse_plant
from tests.factories.lines import AreaFactory, EquipmentFactory, LineFactory

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "plant.yaml"

pytestmark = pytest.mark.django_db


def dump() -> dict[str, list[dict]]:
    """Every row of every plant-model table, for before/after comparisons."""
    return {model.__name__: list(model.objects.order_by("pk").values())
            for model in apps.get_app_config("lines").get_models()}


def run(path, **kwargs) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_plant", str(path), stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def reject(path) -> tuple[str, CommandError]:
    err = StringIO()
    with pytest.raises(CommandError) as exc_info:
        call_command("import_plant", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue(), exc_info.value


def line_of(text: str, needle: str, nth: int = 1, exact: bool = False) -> int:
    """1-based number of the line holding the nth occurrence of ``needle`` (or equal to it, stripped)."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if (line.strip() == needle) if exact else (needle in line):
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{needle!r} not in the text")


def write(tmp_path, text: str, name: str = "plant.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ the example


def test_example_imports_the_reference_plant():
    out, err = run(EXAMPLE)
    assert err == ""
    assert "Imported: created" in out

    site = models.Site.objects.get(code="BP01")
    assert site.time_zone == "Europe/Berlin"
    line = models.Line.objects.get(code="BP01.PACK")
    assert line.name == "Line 1" and line.area.site == site
    assert (line.target_availability, line.target_performance, line.target_quality, line.target_oee) == (
        Decimal("0.9"), Decimal("0.85"), Decimal("0.95"), Decimal("0.73"))

    bagger = models.Equipment.objects.get(code="BP01.PACK.BAG1")
    loader = models.Equipment.objects.get(code="BP01.PACK.BAG1.BL")
    assert (bagger.position, bagger.is_primary, bagger.criticality, bagger.maintenance_interval_h) == (1, True, 4, 168)
    assert (loader.position, loader.is_primary, loader.criticality, loader.maintenance_interval_h) == (2, False, 4, 168)
    fault_tag = bagger.tags.get(signal="fault_word")
    assert (fault_tag.connection.driver, fault_tag.data_type) == ("logix", "DINT[2]")
    assert {t.connection.driver for t in loader.tags.all()} == {"slc"}
    assert loader.tags.get(signal="running").address == "B3:0/0"
    assert 16 <= bagger.fault_codes.count() <= 24 and 16 <= loader.fault_codes.count() <= 24
    assert bagger.fault_codes.filter(bit__gte=32).exists(), "the 64-bit word's upper DINT is used"
    assert models.FaultCode.objects.get(equipment=bagger, code="FILM_BREAK").default_reason.code == "MAT-FILM-BREAK"

    assert models.ReasonCategory.objects.filter(line=line).count() == 6
    assert 24 <= models.DowntimeReason.objects.filter(line=line).count() <= 30
    assert models.ReasonCategory.objects.get(line=line, code="PLAN").planned is True

    night = models.Shift.objects.get(pattern__line=line, code="N")
    assert night.is_overnight and night.weekdays == [6, 0, 1, 2, 3]
    assert [(b.start_time.hour, b.start_time.minute) for b in night.breaks.order_by("start_time")] == [(1, 0), (3, 30)]
    assert models.Shift.objects.filter(pattern__line=line).count() == 3

    spinach = models.Product.objects.get(code="SPN-200")
    assert spinach.cycle_times.get(line=line, equipment__isnull=True).ideal_cycle_time_s == Decimal("1.0")
    assert spinach.cycle_times.get(equipment=loader).ideal_cycle_time_s == Decimal("0.8")


def test_second_run_changes_nothing():
    run(EXAMPLE)
    before = dump()
    out, _ = run(EXAMPLE)
    assert dump() == before
    assert "Nothing changed" in out
    assert "created 0, updated 0" in out and "deleted 0" in out


def test_edited_file_updates_only_what_changed(tmp_path):
    run(EXAMPLE)
    text = EXAMPLE.read_text().replace("maintenance_interval_h: 168", "maintenance_interval_h: 200", 1)
    text = text.replace('            - {name: Lunch,     start: "11:30", end: "12:00"}\n', "")
    out, _ = run(write(tmp_path, text))
    assert "equipment: 1 updated, 1 unchanged" in out
    assert "breaks: 5 unchanged, 1 deleted" in out
    assert models.Equipment.objects.get(code="BP01.PACK.BAG1").maintenance_interval_h == 200
    assert models.Equipment.objects.get(code="BP01.PACK.BAG1.BL").maintenance_interval_h == 168


def test_rows_not_in_the_file_are_left_alone_and_reported(tmp_path):
    run(EXAMPLE)
    line = models.Line.objects.get(code="BP01.PACK")
    EquipmentFactory(line=line, code="BP01.PACK.SCALE", position=9)
    out, _ = run(EXAMPLE)
    assert "1 equipment in the database but not in the file were left alone" in out
    assert models.Equipment.objects.filter(code="BP01.PACK.SCALE").exists()


def test_check_option_writes_nothing():
    out, _ = run(EXAMPLE, check=True)
    assert "valid" in out
    assert models.Site.objects.count() == 0


# ------------------------------------------------------------------------------------------------ bad files


def _bad(tmp_path, text: str) -> tuple[str, list[str]]:
    path = write(tmp_path, text, "bad.yaml")
    before = dump()
    stderr, exc = reject(path)
    assert dump() == before, "a rejected file must not write anything"
    assert "nothing was written" in str(exc)
    lines = stderr.strip().splitlines()
    assert all(line.startswith(f"{path}:") for line in lines), lines
    return str(path), lines


@pytest.mark.parametrize("preload", [False, True], ids=["empty-db", "after-good-import"])
def test_bad_slc_address_is_rejected_with_its_line(tmp_path, preload):
    if preload:
        run(EXAMPLE)
    text = EXAMPLE.read_text().replace('address: "N7:1"', 'address: "B3/21"')
    path, errors = _bad(tmp_path, text)
    expected = line_of(text, '"B3/21"')
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:{expected}: equipment BP01.PACK.BAG1.BL: tag reject_count: address:")
    assert "flat bit form" in errors[0] and "(driver slc)" in errors[0]


def test_several_errors_are_all_reported_with_lines(tmp_path):
    text = EXAMPLE.read_text()
    text = text.replace("criticality: 4", "criticality: 7", 1)
    text = text.replace("default_reason: MAT-FILM-OUT}", "default_reason: MAT-NO-SUCH}")
    text = text.replace("address: Bag1_Speed,", "address: 1Bag_Speed,")
    text = text.replace("time_zone: Europe/Berlin", "time_zone: Europe/Atlantis")
    text = text.replace("    oee_policy: oee_com\n", "    oee_policy: oee_com\n    colour: red\n")
    _, errors = _bad(tmp_path, text)
    got = {int(e.split(":")[1]): e for e in errors}
    assert "'criticality' must be 1 to 5, not 7" in got[line_of(text, "criticality: 7")]
    assert "default_reason 'MAT-NO-SUCH' is not a reason code" in got[line_of(text, "MAT-NO-SUCH")]
    assert "is not a Logix tag name" in got[line_of(text, "1Bag_Speed")]
    assert "not a known IANA time zone" in got[line_of(text, "Europe/Atlantis")]
    assert "unknown key 'colour'" in got[line_of(text, "colour: red")]
    assert len(errors) == 5


def test_overlapping_shifts_are_named(tmp_path):
    late = 'start: "14:00"\n          end: "22:00"'
    text = EXAMPLE.read_text().replace(late, late.replace("14:00", "13:00"))
    _, errors = _bad(tmp_path, text)
    assert len(errors) == 5, "one per weekday on which the early shift runs into the late one"
    for error, day in zip(errors, ["Fri", "Mon", "Thu", "Tue", "Wed"]):
        assert f":{line_of(text, 'shifts:', exact=True)}: line BP01.PACK: shift pattern: Shift E ({day}) overlaps " \
               f"shift L ({day})" in error


def test_break_outside_its_shift_and_bad_time(tmp_path):
    text = EXAMPLE.read_text().replace('{name: Meal,  start: "01:00", end: "01:30"}',
                                       '{name: Meal,  start: "07:00", end: "07:30"}')
    text = text.replace('start: "06:00"\n          end: "14:00"', 'start: "6 am"\n          end: "14:00"')
    _, errors = _bad(tmp_path, text)
    assert len(errors) == 2
    meal_line = line_of(text, '"07:00"')
    assert f":{meal_line}: line BP01.PACK: shift N: break Meal: the break 07:00–07:30 " \
           "is not inside the shift 22:00–06:00." in errors[1]
    assert f":{line_of(text, '6 am')}:" in errors[0] and "HH:MM" in errors[0]


def test_duplicates_and_bits_beyond_the_fault_word(tmp_path):
    text = EXAMPLE.read_text().replace("{bit: 17, code: BAGGER_HANDSHAKE", "{bit: 40, code: BAGGER_HANDSHAKE")
    text = text.replace("{code: MECH-KNIFE,  name: Cut-off knife}", "{code: MECH-JAW,  name: Cut-off knife}")
    _, errors = _bad(tmp_path, text)
    assert len(errors) == 3
    assert f":{line_of(text, 'MECH-KNIFE}')}:" in errors[0] and "'MECH-KNIFE' is not a reason code" in errors[0]
    assert f":{line_of(text, 'bit: 40')}:" in errors[1] and "beyond the 32-bit fault word" in errors[1]
    assert f":{line_of(text, 'code: MECH-JAW', 2)}:" in errors[2] and "already used on line" in errors[2]


def test_yaml_syntax_error_has_its_line(tmp_path):
    text = EXAMPLE.read_text().replace("    name: Packing hall", "    name: [Packing hall")
    _, errors = _bad(tmp_path, text)
    assert len(errors) == 1 and "not valid YAML" in errors[0]
    assert int(errors[0].split(":")[1]) >= line_of(text, "[Packing hall")


def test_clash_with_a_row_only_in_the_database_rolls_everything_back(tmp_path):
    """Found only when writing (inside the transaction): the whole import is rolled back."""
    line = LineFactory(code="BP01.PACK", area=AreaFactory(code="OLD"))
    EquipmentFactory(line=line, code="BP01.PACK.OLDMACHINE", position=1)
    before = dump()
    stderr, _ = reject(EXAMPLE)
    assert dump() == before
    bagger_line = line_of(EXAMPLE.read_text(), "- code: BP01.PACK.BAG1", exact=True)
    assert f"{EXAMPLE}:{bagger_line}: equipment BP01.PACK.BAG1: Equipment with this Line and Position" in stderr
    assert models.Site.objects.filter(code="BP01").count() == 0


def test_parse_plant_reports_missing_required_keys():
    with pytest.raises(PlantFileInvalid) as exc_info:
        parse_plant("site:\n  name: x\nlines:\n  - code: L1\n    equipment:\n      - name: Filler\n")
    messages = [(e.line, e.message) for e in exc_info.value.errors]
    assert (2, "site: 'code' is required") in messages
    assert (2, "site: 'time_zone' is required") in messages
    assert (4, "line L1: 'area' is required") in messages
    assert (6, "line L1: equipment[1]: 'code' is required") in messages
    assert (6, "line L1: equipment[1]: 'position' is required") in messages


def test_command_line_exit_code_and_stderr(tmp_path):
    """The real command: non-zero exit and FILE:LINE: message on stderr (rejected before any database write)."""
    text = EXAMPLE.read_text().replace("driver: slc", "driver: modbus")
    path = write(tmp_path, text, "bad.yaml")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    proc = subprocess.run([sys.executable, "manage.py", "import_plant", str(path)], cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode != 0
    assert f"{path}:{line_of(text, 'driver: modbus')}: PLC connection BP01.PACK.BAG1.BL.PLC: 'driver' must be one " \
           "of logix, slc, s7, sim, not 'modbus'" in proc.stderr
    assert proc.stdout == ""


def test_the_example_in_the_schema_document_imports(tmp_path):
    """docs/plant-file.md's short example is kept true."""
    doc = (Path(settings.BASE_DIR) / "docs" / "plant-file.md").read_text()
    example = doc.split("## Example\n\n```yaml\n", 1)[1].split("```", 1)[0]
    out, _ = run(write(tmp_path, example))
    assert "Imported" in out
    assert models.Shift.objects.get(code="N").breaks.get().name == "Meal"
