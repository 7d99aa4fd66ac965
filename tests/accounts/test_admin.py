"""The user admin goes through the services (audited, with the admin as actor); the audit log is read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.accounts import access
from apps.accounts.choices import Role, SecurityEventKind
from apps.accounts.models import SecurityEvent, User
from apps.accounts.roles import group_name
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(username="root", role=Role.ADMIN)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def change_data(user: User, **overrides) -> dict:
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "phone": user.phone, "role": user.role, "employee_id": user.employee_id or "",
        "department": user.department, "default_shift": user.default_shift, "skills": "[]",
        "certifications": "[]", "badge_number": user.badge_number or "", "new_pin": "",
        "is_active": "on" if user.is_active else "",
        "lines": [str(pk) for pk in access.granted_line_ids(user)],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_role_change_in_admin_is_logged_with_the_admin_as_actor(admin_client, admin_user):
    user = UserFactory(username="op", role=Role.OPERATOR)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, change_data(user, role=Role.SHIFT_MANAGER, department="Packing"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.role == Role.SHIFT_MANAGER and user.department == "Packing"
    assert [g.name for g in user.groups.all()] == [group_name(Role.SHIFT_MANAGER)]
    event = SecurityEvent.objects.filter(kind=SecurityEventKind.ROLE_CHANGED, user=user).latest("id")
    assert event.actor == admin_user and event.detail["after"] == Role.SHIFT_MANAGER


def test_line_access_pin_and_deactivation_from_the_user_page(admin_client, admin_user, line_a, line_b):
    user = UserFactory(username="op2", role=Role.OPERATOR, lines=[line_a])
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = admin_client.post(url, change_data(user, lines=[str(line_b.pk)], badge_number="B-42",
                                                  new_pin="2468", is_active=""))
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert access.granted_line_ids(user) == [line_b.pk]
    assert user.badge_number == "B-42" and user.check_pin("2468") and not user.is_active
    logged = set(SecurityEvent.objects.filter(user=user, actor=admin_user).values_list("kind", flat=True))
    assert logged == {SecurityEventKind.LINE_ACCESS_GRANTED, SecurityEventKind.LINE_ACCESS_REVOKED,
                      SecurityEventKind.PIN_CHANGED, SecurityEventKind.USER_DEACTIVATED}


def test_bad_pin_and_pin_without_badge_are_refused(admin_client):
    user = UserFactory(username="op3", role=Role.OPERATOR)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    bad = admin_client.post(url, change_data(user, badge_number="B-43", new_pin="12"))
    assert bad.status_code == 200 and "4 to 8 digits" in bad.content.decode()
    no_badge = admin_client.post(url, change_data(user, new_pin="1234"))
    assert no_badge.status_code == 200 and "needs a badge number" in no_badge.content.decode()
    user.refresh_from_db()
    assert not user.has_pin


def test_add_user_in_admin_goes_through_the_service(admin_client, admin_user):
    response = admin_client.post(reverse("admin:accounts_user_add"), {
        "username": "newbie", "role": Role.QUALITY, "usable_password": "true",
        "password1": "a-long-enough-secret-1", "password2": "a-long-enough-secret-1",
        "first_name": "New", "last_name": "Bie", "email": "", "employee_id": "", "department": "QA",
        "default_shift": "",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="newbie")
    assert user.role == Role.QUALITY and user.department == "QA" and user.check_password("a-long-enough-secret-1")
    assert [g.name for g in user.groups.all()] == [group_name(Role.QUALITY)]
    assert SecurityEvent.objects.get(kind=SecurityEventKind.ROLE_CHANGED, user=user).actor == admin_user


def test_role_groups_are_read_only(admin_client):
    group = Group.objects.get(name=group_name(Role.OPERATOR))
    url = reverse("admin:auth_group_change", args=[group.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "rebuilt from the role matrix" in page.content.decode()
    assert admin_client.post(url, {"name": "hijacked"}).status_code == 403
    assert admin_client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}).status_code == 403
    group.refresh_from_db()
    assert group.name == group_name(Role.OPERATOR)
    taken = admin_client.post(reverse("admin:auth_group_add"), {"name": "role:pilot"})
    assert taken.status_code == 200 and not Group.objects.filter(name="role:pilot").exists()


def test_audit_log_is_browsable_filterable_and_read_only(admin_client, admin_user):
    victim = UserFactory(username="victim")
    SecurityEvent.objects.create(kind=SecurityEventKind.LOGIN_FAILED, user=victim, username="victim",
                                 ip_address="10.0.0.7")
    SecurityEvent.objects.create(kind=SecurityEventKind.LOGIN, user=admin_user, username="root",
                                 ip_address="10.0.0.8")
    url = reverse("admin:accounts_securityevent_changelist")
    assert admin_client.get(url).status_code == 200
    for query, expected in ((f"?kind__exact={SecurityEventKind.LOGIN_FAILED}", 1),
                            (f"?user__id__exact={victim.pk}", 2),  # + the role event at creation
                            ("?ip_address=10.0.0.8", 1),
                            ("?q=10.0.0.7", 1)):
        page = admin_client.get(url + query)
        assert page.status_code == 200, query
        assert page.context["cl"].result_count == expected, query
    event = SecurityEvent.objects.filter(user=victim).first()
    assert admin_client.get(reverse("admin:accounts_securityevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:accounts_securityevent_delete", args=[event.pk]),
                             {"post": "yes"}).status_code == 403
    detail = admin_client.post(reverse("admin:accounts_securityevent_change", args=[event.pk]), {"kind": "login"})
    assert detail.status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk, kind=event.kind).exists()


def test_production_manager_can_read_but_not_edit_the_audit_log(client):
    manager = UserFactory(role=Role.PRODUCTION_MANAGER)
    client.force_login(manager)
    assert client.get(reverse("admin:accounts_securityevent_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
