"""The plant-model admin, driven as a superuser through the real admin forms (test client POSTs)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from apps.lines import models
from tests.factories.accounts import UserFactory
from tests.factories.lines import EquipmentFactory, LineFactory, PlcConnectionFactory, ShiftPatternFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    user = UserFactory(username="root", role="admin")
    assert user.is_superuser and user.is_staff
    client.force_login(user)
    return client


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def connection_data(**overrides) -> dict:
    data = {"code": "BL1.PLC", "name": "Loader SLC", "driver": "slc", "host": "10.0.0.5", "port": "", "slot": "0",
            "rack": "0", "poll_interval_ms": "1000", "timeout_ms": "2000", "sim_seed": "1", "enabled": "on"}
    data.update(overrides)
    return data


def tag_row(equipment, **overrides) -> dict:
    row = {"equipment": str(equipment.pk), "signal": "running", "address": "B3:0/0", "data_type": "BOOL",
           "scale": "1.0", "offset": "0.0"}
    row.update(overrides)
    return row


def errors_of(response) -> str:
    """All error texts shown on an admin change form (main form and inlines)."""
    assert response.status_code == 200, f"expected the form again with errors, got {response.status_code}"
    texts = [str(e) for e in response.context["errors"]]
    for formset in response.context["inline_admin_formsets"]:
        texts += [str(e) for e in formset.formset.non_form_errors()]
    return html.unescape(" ".join(texts))


# ------------------------------------------------------------------------------------------------ PLC addresses


def test_new_connection_with_an_address_invalid_for_its_driver_is_refused_with_the_reason(admin_client):
    eq = EquipmentFactory()
    data = connection_data() | inline("tags", [tag_row(eq, address="B3/21")])
    response = admin_client.post(reverse("admin:lines_plcconnection_add"), data)
    assert "uses the flat bit form" in errors_of(response)
    assert not models.PlcConnection.objects.exists() and not models.TagMap.objects.exists()


def test_new_connection_with_valid_addresses_is_saved(admin_client):
    eq = EquipmentFactory()
    data = connection_data() | inline("tags", [tag_row(eq), tag_row(eq, signal="total_count", address="N7:0",
                                                                     data_type="INT")])
    response = admin_client.post(reverse("admin:lines_plcconnection_add"), data)
    assert response.status_code == 302, errors_of(response)
    conn = models.PlcConnection.objects.get(code="BL1.PLC")
    assert sorted(conn.tags.values_list("address", flat=True)) == ["B3:0/0", "N7:0"]


def test_changing_the_driver_revalidates_existing_tags(admin_client):
    """The driver chosen on the page (not the saved one) decides: logix tag names are not SLC addresses."""
    eq = EquipmentFactory()
    conn = PlcConnectionFactory(code="BAG1.PLC", driver="logix", host="10.0.0.4")
    tag = models.TagMap.objects.create(equipment=eq, connection=conn, signal="running", address="Bag1_Running",
                                       data_type="BOOL")
    data = connection_data(code="BAG1.PLC", driver="slc") | inline(
        "tags", [tag_row(eq, id=str(tag.pk), connection=str(conn.pk), address="Bag1_Running")], initial=1)
    response = admin_client.post(reverse("admin:lines_plcconnection_change", args=[conn.pk]), data)
    assert "'Bag1_Running' is not an SLC data-table address" in errors_of(response)
    conn.refresh_from_db()
    assert conn.driver == "logix"


def test_tag_inline_under_equipment_checks_its_connections_driver(admin_client):
    eq = EquipmentFactory(code="PK.CAPPER", criticality=3, position=1)
    conn = PlcConnectionFactory(code="S7.PLC", driver="s7", host="10.0.0.9")
    data = {"line": str(eq.line_id), "code": eq.code, "name": eq.name, "equipment_type": "", "position": "1",
            "active": "on", "criticality": "3", "maintenance_interval_h": "", "location": "", "department": "",
            "small_stop_threshold_s": "120"}
    data |= inline("fault_codes", []) | inline("tags", [
        {"signal": "running", "connection": str(conn.pk), "address": "DB1.DBX0", "data_type": "BOOL",
         "scale": "1.0", "offset": "0.0"}])
    response = admin_client.post(reverse("admin:lines_equipment_change", args=[eq.pk]), data)
    assert "names a bit area (DBX) but no bit" in errors_of(response)
    assert not models.TagMap.objects.exists()


def test_criticality_must_be_1_to_5(admin_client):
    line = LineFactory()
    data = {"line": str(line.pk), "code": "EQX", "name": "X", "equipment_type": "", "position": "1",
            "active": "on", "criticality": "6", "maintenance_interval_h": "168", "location": "", "department": "",
            "small_stop_threshold_s": "120"} | inline("fault_codes", []) | inline("tags", [])
    response = admin_client.post(reverse("admin:lines_equipment_add"), data)
    assert "less than or equal to 5" in errors_of(response)
    assert not models.Equipment.objects.exists()


# ------------------------------------------------------------------------------------------------ shifts


def shift_row(code, start, end, days=range(5)) -> dict:
    return {"code": code, "name": code, "start_time": start, "end_time": end, "weekdays": [str(d) for d in days]}


def test_overlapping_shifts_are_refused_naming_them(admin_client):
    line = LineFactory()
    data = {"line": str(line.pk), "name": "Two shifts"} | inline("shifts", [
        shift_row("E", "06:00", "14:30"), shift_row("L", "14:00", "22:00")])
    response = admin_client.post(reverse("admin:lines_shiftpattern_add"), data)
    assert "Shift E (Mon) overlaps shift L (Mon)" in errors_of(response)
    assert not models.ShiftPattern.objects.exists()


def test_a_night_pattern_without_overlap_is_saved(admin_client):
    line = LineFactory()
    data = {"line": str(line.pk), "name": "Three shifts"} | inline("shifts", [
        shift_row("E", "06:00", "14:00"), shift_row("L", "14:00", "22:00"), shift_row("N", "22:00", "06:00")])
    response = admin_client.post(reverse("admin:lines_shiftpattern_add"), data)
    assert response.status_code == 302, errors_of(response)
    night = models.Shift.objects.get(code="N")
    assert night.is_overnight and night.weekdays == [0, 1, 2, 3, 4]


def test_a_shift_edited_alone_may_not_overlap_its_siblings(admin_client):
    pattern = ShiftPatternFactory()
    models.Shift.objects.create(pattern=pattern, code="E", name="Early", start_time=dt.time(6),
                                end_time=dt.time(14), weekdays=[0, 1, 2, 3, 4])
    data = {"pattern": str(pattern.pk)} | shift_row("N", "22:00", "07:00") | inline("breaks", [])
    data.pop("weekdays")
    data["weekdays"] = ["0", "1", "2", "3", "4"]
    response = admin_client.post(reverse("admin:lines_shift_add"), data)
    assert "overlaps shift E" in errors_of(response)


def test_break_outside_a_night_shift_is_refused(admin_client):
    pattern = ShiftPatternFactory()
    data = {"pattern": str(pattern.pk), "code": "N", "name": "Night", "start_time": "22:00", "end_time": "06:00",
            "weekdays": ["0"]} | inline("breaks", [{"name": "Meal", "start_time": "07:00", "end_time": "07:30"}])
    response = admin_client.post(reverse("admin:lines_shift_add"), data)
    assert "is not inside the shift 22:00–06:00" in errors_of(response)
    data |= inline("breaks", [{"name": "Meal", "start_time": "02:00", "end_time": "02:30"}])
    response = admin_client.post(reverse("admin:lines_shift_add"), data)
    assert response.status_code == 302
    assert models.ShiftBreak.objects.get().start_time == dt.time(2)


# ------------------------------------------------------------------------------------------------ reasons, primaries


def test_reasons_under_a_category_take_its_line_and_unique_codes(admin_client):
    line = LineFactory()
    data = {"line": str(line.pk), "code": "MECH", "name": "Mechanical", "colour": "#b45309"} | inline(
        "reasons", [{"code": "JAM", "name": "Jam", "active": "on"}, {"code": "JAM", "name": "Jam 2", "active": "on"}])
    response = admin_client.post(reverse("admin:lines_reasoncategory_add"), data)
    assert "listed twice" in str(response.context["inline_admin_formsets"][0].formset.errors)
    data |= inline("reasons", [{"code": "JAM", "name": "Jam", "active": "on"}])
    response = admin_client.post(reverse("admin:lines_reasoncategory_add"), data)
    assert response.status_code == 302
    assert models.DowntimeReason.objects.get(code="JAM").line == line


def test_only_one_primary_machine_per_line(admin_client):
    line = LineFactory()
    data = {"area": str(line.area_id), "code": line.code, "name": line.name, "active": "on", "oee_policy": "oee_com",
            "target_availability": "0.9", "target_performance": "0.85", "target_quality": "0.95",
            "target_oee": "0.73", "checklist_required": "on", "long_stop_andon_s": "600"} | inline("equipment", [
        {"position": "1", "code": "A1", "name": "A", "criticality": "3", "is_primary": "on", "active": "on"},
        {"position": "2", "code": "A2", "name": "B", "criticality": "3", "is_primary": "on", "active": "on"}])
    response = admin_client.post(reverse("admin:lines_line_change", args=[line.pk]), data)
    assert "Only one machine per line can be the primary" in errors_of(response)


# ------------------------------------------------------------------------------------------------ pages


def test_every_plant_admin_page_renders_with_the_reference_plant(admin_client):
    call_command("import_plant", str(Path(settings.BASE_DIR) / "docs/examples/plant.yaml"), stdout=None)
    registered = [m for m in apps.get_app_config("lines").get_models() if admin.site.is_registered(m)]
    assert len(registered) == 12, "every plant model but IdealCycleTime (a product inline) has an admin"
    for model in registered:
        name = model._meta.model_name
        if not admin_client.get(reverse(f"admin:lines_{name}_changelist")).status_code == 200:
            pytest.fail(f"{name} changelist")
        obj = model.objects.first()
        if obj is not None:
            response = admin_client.get(reverse(f"admin:lines_{name}_change", args=[obj.pk]))
            assert response.status_code == 200, name
    response = admin_client.get(reverse("admin:lines_equipment_changelist"), {"q": "BAG1"})
    assert b"BP01.PACK.BAG1.BL" in response.content
