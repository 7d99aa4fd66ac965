"""The Andon hand-off used by the OEE engine for catalog faults with raises_andon=True."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.andon.models import AndonCall
from apps.andon.services import andon_call_raise_for_fault
from apps.lines.models import FaultCode
from tests.factories.lines import EquipmentFactory

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def fault(db):
    equipment = EquipmentFactory(code="BP01.PACK.BAG1")
    return FaultCode.objects.create(equipment=equipment, bit=3, code="JAM", text="Film jam", category="mechanical",
                                    raises_andon=True, andon_priority="high")


def test_first_raise_opens_a_call_with_catalog_text(fault, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        call = andon_call_raise_for_fault(equipment_id=fault.equipment_id, fault_code_id=fault.pk, raised_at=T0)
    assert (call.status, call.source, call.priority, call.category) == ("open", "fault", "high", "mechanical")
    assert call.line_id == fault.equipment.line_id and call.opened_at == T0
    assert "Film jam" in call.title and call.dedupe_key == f"fault:{fault.pk}"
    assert len(callbacks) == 1  # one live nudge after commit


def test_repeat_updates_the_open_call_instead_of_duplicating(fault):
    first = andon_call_raise_for_fault(equipment_id=fault.equipment_id, fault_code_id=fault.pk, raised_at=T0)
    again = andon_call_raise_for_fault(equipment_id=fault.equipment_id, fault_code_id=fault.pk,
                                       raised_at=T0 + dt.timedelta(minutes=3))
    assert again.pk == first.pk
    assert AndonCall.objects.count() == 1
    again.refresh_from_db()
    assert again.repeat_count == 1 and again.last_seen_at == T0 + dt.timedelta(minutes=3)


def test_a_resolved_call_lets_the_next_occurrence_open_a_new_one(fault):
    first = andon_call_raise_for_fault(equipment_id=fault.equipment_id, fault_code_id=fault.pk, raised_at=T0)
    AndonCall.objects.filter(pk=first.pk).update(status="resolved")
    second = andon_call_raise_for_fault(equipment_id=fault.equipment_id, fault_code_id=fault.pk,
                                        raised_at=T0 + dt.timedelta(hours=1))
    assert second.pk != first.pk and AndonCall.objects.filter(status="open").count() == 1


def test_database_refuses_a_second_live_call_for_the_same_reason(fault):
    call = andon_call_raise_for_fault(equipment_id=fault.equipment_id, fault_code_id=fault.pk, raised_at=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        AndonCall.objects.create(line_id=call.line_id, equipment_id=call.equipment_id, source="fault",
                                 title="dup", opened_at=T0, last_seen_at=T0, dedupe_key=call.dedupe_key,
                                 status="acknowledged")


def test_fault_of_another_equipment_is_refused(fault):
    other = EquipmentFactory()
    with pytest.raises(FaultCode.DoesNotExist):
        andon_call_raise_for_fault(equipment_id=other.pk, fault_code_id=fault.pk, raised_at=T0)
