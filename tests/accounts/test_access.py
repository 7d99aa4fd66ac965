"""The access choke-point (apps/accounts/access.py) and the audited services that change roles and line access."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.http import Http404

from apps.accounts import access, services
from apps.accounts.choices import Role, SecurityEventKind
from apps.accounts.models import SecurityEvent
from apps.accounts.roles import ROLES, group_name
from tests.factories.accounts import UserFactory
from tests.factories.lines import LineFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRODUCTION_MANAGER])
def test_plant_wide_roles_reach_every_active_line(role, line_a, line_b):
    retired = LineFactory(code="OLD", active=False)
    user = UserFactory(role=role)
    assert set(access.visible_lines(user)) == {line_a, line_b}
    assert access.access_line_by_id(user, line_b.pk, "lines.edit_downtime") == line_b
    with pytest.raises(Http404):
        access.access_line_by_id(user, retired.pk)


@pytest.mark.parametrize("role", [r for r, spec in ROLES.items() if not spec.plant_wide])
def test_line_scoped_roles_need_a_grant(role, line_a, line_b):
    user = UserFactory(role=role, lines=[line_a])
    assert list(access.visible_lines(user)) == [line_a]
    assert access.can_access_line(user, line_a.pk)
    assert not access.can_access_line(user, line_b.pk)


def test_role_decides_the_action_and_grant_decides_the_line(operator, line_a):
    assert access.can_access_line(operator, line_a.pk, "lines.operate_line")
    assert not access.can_access_line(operator, line_a.pk, "lines.edit_downtime")
    assert not access.role_allows(operator, "lines.view_engineering")
    assert list(access.visible_lines(operator, "lines.edit_downtime")) == []


def test_group_grant_gives_line_access(line_a, line_b):
    crew = Group.objects.create(name="Crew B")
    user = UserFactory(role=Role.OPERATOR)
    user.groups.add(crew)
    assert not access.can_access_line(user, line_b.pk)
    admin = UserFactory(role=Role.ADMIN)
    services.group_grant_line(group=crew, line=line_b, actor=admin)
    assert list(access.visible_lines(user)) == [line_b]
    services.group_revoke_line(group=crew, line=line_b, actor=admin)
    assert not access.can_access_line(user, line_b.pk)
    events = SecurityEvent.objects.filter(username="group:Crew B", actor=admin).order_by("id")
    assert [e.kind for e in events] == [SecurityEventKind.LINE_ACCESS_GRANTED, SecurityEventKind.LINE_ACCESS_REVOKED]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.group_grant_line(group=Group.objects.get(name=group_name(Role.OPERATOR)), line=line_b)


def test_superuser_without_plant_wide_role_reaches_everything(line_a, line_b):
    user = UserFactory(role=Role.VIEWER)
    user.is_superuser = True
    user.save()
    assert set(access.visible_lines(user, "lines.edit_downtime")) == {line_a, line_b}
    assert access.role_allows(user, "lines.view_engineering")


def test_inactive_user_reaches_nothing(line_a):
    user = UserFactory(role=Role.PRODUCTION_MANAGER)
    services.user_set_active(user=user, active=False)
    assert not access.role_allows(user, "lines.view_line")
    assert list(access.visible_lines(user)) == []
    with pytest.raises(Http404):
        access.access_line_by_id(user, line_a.pk)


def test_anonymous_reaches_nothing(line_a):
    from django.contrib.auth.models import AnonymousUser

    assert list(access.visible_lines(AnonymousUser())) == []
    assert not access.can_access_line(AnonymousUser(), line_a.pk)


def test_missing_and_forbidden_lines_give_the_same_404(operator, line_a, line_b):
    errors = []
    for line_id in (line_b.pk, 999_999, "not-a-number", None):
        with pytest.raises(Http404) as caught:
            access.access_line_by_id(operator, line_id)
        errors.append(str(caught.value))
    assert len(set(errors)) == 1


def test_unknown_permission_is_a_programming_error(operator):
    with pytest.raises(ValueError, match="not a line permission"):
        access.role_allows(operator, "lines.fly_to_the_moon")


def test_visible_lines_is_one_query(django_assert_num_queries, line_a, line_b):
    user = UserFactory(role=Role.OPERATOR, lines=[line_a, line_b])
    with django_assert_num_queries(1):
        assert len(list(access.visible_lines(user))) == 2


# --- services: the audit log records role and permission changes with the actor -------------------------------


def test_role_change_is_logged_with_actor_and_moves_groups():
    admin = UserFactory(username="boss", role=Role.ADMIN)
    user = UserFactory(username="worker", role=Role.OPERATOR)
    services.user_set_role(user=user, role=Role.ENGINEER, actor=admin)
    user.refresh_from_db()
    assert user.role == Role.ENGINEER and user.is_staff and not user.is_superuser
    assert [g.name for g in user.groups.all()] == [group_name(Role.ENGINEER)]
    event = SecurityEvent.objects.filter(kind=SecurityEventKind.ROLE_CHANGED, user=user).latest("id")
    assert event.actor == admin
    assert event.detail == {"before": Role.OPERATOR, "after": Role.ENGINEER}
    # setting the same role again changes and logs nothing
    services.user_set_role(user=user, role=Role.ENGINEER, actor=admin)
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.ROLE_CHANGED, user=user).count() == 2


def test_unknown_role_is_refused():
    from django.core.exceptions import ValidationError

    user = UserFactory()
    with pytest.raises(ValidationError):
        services.user_set_role(user=user, role="pilot")


def test_role_groups_carry_the_matrix_permissions():
    user = UserFactory(role=Role.OPERATOR)
    assert user.has_perm("lines.operate_line")
    assert not user.has_perm("lines.edit_downtime")
    engineer = UserFactory(role=Role.ENGINEER)
    assert engineer.has_perm("lines.change_plcconnection")
    assert not engineer.has_perm("accounts.change_user")


def test_line_grant_and_revoke_are_logged_with_actor(line_a, line_b):
    admin = UserFactory(role=Role.ADMIN)
    user = UserFactory(role=Role.SHIFT_MANAGER)
    services.user_grant_line(user=user, line=line_a, actor=admin)
    services.user_grant_line(user=user, line=line_a, actor=admin)  # already granted: no second event
    assert access.can_access_line(user, line_a.pk)
    services.user_set_line_access(user=user, lines=[line_b], actor=admin)
    assert list(access.visible_lines(user)) == [line_b]
    events = list(SecurityEvent.objects.filter(user=user, kind__in=[
        SecurityEventKind.LINE_ACCESS_GRANTED, SecurityEventKind.LINE_ACCESS_REVOKED]).order_by("id"))
    assert [(e.kind, e.detail["line"], e.actor) for e in events] == [
        (SecurityEventKind.LINE_ACCESS_GRANTED, line_a.code, admin),
        (SecurityEventKind.LINE_ACCESS_REVOKED, line_a.code, admin),
        (SecurityEventKind.LINE_ACCESS_GRANTED, line_b.code, admin),
    ]


def test_pin_rules_and_logging():
    from django.core.exceptions import ValidationError

    user = UserFactory()
    with pytest.raises(ValidationError):
        services.user_set_pin(user=user, pin="12ab", badge_number="B-77")
    services.user_set_pin(user=user, pin="123456", badge_number="B-77")
    assert user.check_pin("123456") and not user.check_pin("654321")
    assert "123456" not in user.pin_hash
    services.user_clear_pin(user=user)
    assert not user.has_pin and not user.check_pin("123456")
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.PIN_CHANGED, user=user).count() == 2


def test_sync_role_groups_is_idempotent():
    first = services.sync_role_groups()
    second = services.sync_role_groups()
    assert first == second
    assert Group.objects.filter(name__startswith="role:").count() == len(ROLES)


def test_every_permission_the_matrix_names_exists():
    from django.contrib.auth.models import Permission

    from apps.accounts.roles import CONFIG_PERMISSIONS, LINE_PERMISSIONS

    for codename in LINE_PERMISSIONS:
        assert Permission.objects.filter(content_type__app_label="lines", codename=codename).exists(), codename
    for area, patterns in CONFIG_PERMISSIONS.items():
        for pattern in patterns:
            app_label, _, codename = pattern.partition(".")
            found = Permission.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                found = found.filter(codename=codename)
            assert found.exists(), f"{area}: {pattern} matches no permission"
