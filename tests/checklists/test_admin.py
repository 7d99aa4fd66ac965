"""The checklist admin saves through the services (editing = next version) and shows completion integrity."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from apps.checklists.models import ChecklistCompletion, ChecklistTemplate
from tests.factories.checklists import completion_on_line


@pytest.fixture
def admin_user(db):
    from tests.factories.accounts import UserFactory

    return UserFactory(username="root", role="admin", is_superuser=True, is_staff=True)


def test_add_and_edit_create_versions(client, admin_user, line_a):
    client.force_login(admin_user)
    items = [{"kind": "checkbox", "label": "Guards closed"}]
    r = client.post(reverse("admin:checklists_checklisttemplate_add"), {
        "line": line_a.pk, "code": "ADM", "name": "Admin made", "items_json": json.dumps(items)})
    assert r.status_code == 302, r.content.decode()[:2000]
    v1 = ChecklistTemplate.objects.get(code="ADM")
    assert v1.version == 1 and v1.items.count() == 1
    r = client.post(reverse("admin:checklists_checklisttemplate_change", args=[v1.pk]), {
        "name": "Admin made", "items_json": json.dumps(items + [{"kind": "text", "label": "Remarks"}])})
    assert r.status_code == 302
    v1.refresh_from_db()
    v2 = ChecklistTemplate.objects.get(code="ADM", version=2)
    assert not v1.active and v2.active and v2.items.count() == 2 and v1.items.count() == 1
    r = client.post(reverse("admin:checklists_checklisttemplate_add"), {
        "line": line_a.pk, "code": "BAD", "name": "Bad", "items_json": json.dumps([{"kind": "nope", "label": "x"}])})
    assert r.status_code == 200 and "unknown type" in r.content.decode()
    assert not ChecklistTemplate.objects.filter(code="BAD").exists()


def test_completion_admin_is_view_only_and_shows_integrity(client, admin_user, line_a):
    c = completion_on_line(line_a)
    client.force_login(admin_user)
    page = client.get(reverse("admin:checklists_checklistcompletion_changelist")).content.decode()
    assert "hash verified" in page
    page = client.get(reverse("admin:checklists_checklistcompletion_change", args=[c.pk])).content.decode()
    assert "hash verified" in page and "HASH MISMATCH" not in page
    ChecklistCompletion.objects.filter(pk=c.pk).update(answers={**c.answers, "1": "x"})
    page = client.get(reverse("admin:checklists_checklistcompletion_change", args=[c.pk])).content.decode()
    assert "HASH MISMATCH" in page
    assert client.post(reverse("admin:checklists_checklistcompletion_delete", args=[c.pk])).status_code == 403
