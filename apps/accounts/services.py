"""Writes for users, roles, line access, kiosk PINs and the security audit log."""

from __future__ import annotations

import re

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts import access
from apps.accounts.choices import Role, SecurityEventKind
from apps.accounts.models import SecurityEvent, User
from apps.accounts.roles import ROLES, config_permission_patterns, group_name
from apps.lines.models import Line


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def security_event_record(*, kind: str, user: User | None = None, username: str = "", actor: User | None = None,
                          request=None, detail: dict | None = None) -> SecurityEvent:
    """Append one event to the audit log. Never raises for a missing user: failures have none."""
    return SecurityEvent.objects.create(
        kind=kind, user=user if (user is not None and user.pk) else None,
        username=username or (user.get_username() if user is not None else ""),
        actor=actor, ip_address=client_ip(request), detail=detail or {},
    )


def _permissions_for_role(role: str) -> list[Permission]:
    spec = ROLES[role]
    perms = list(Permission.objects.filter(content_type__app_label="lines", codename__in=spec.line))
    for pattern in config_permission_patterns(role):
        app_label, _, codename = pattern.partition(".")
        qs = Permission.objects.filter(content_type__app_label=app_label)
        if codename != "*":
            qs = qs.filter(codename=codename)
        perms.extend(qs)
    return perms


@transaction.atomic
def sync_role_groups() -> dict[str, int]:
    """Create or update one group per role with exactly the matrix's permissions. Idempotent."""
    counts = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=group_name(role))
        perms = _permissions_for_role(role)
        group.permissions.set(perms)
        counts[role] = len(perms)
    return counts


def _apply_role_membership(user: User) -> None:
    role_groups = Group.objects.filter(name__startswith="role:")
    user.groups.remove(*role_groups.exclude(name=group_name(user.role)))
    group, _ = Group.objects.get_or_create(name=group_name(user.role))
    user.groups.add(group)


@transaction.atomic
def user_create(*, username: str, role: str, password: str | None = None, actor: User | None = None,
                email: str = "", first_name: str = "", last_name: str = "", password_hash: str | None = None,
                **fields) -> User:
    """Create a user with the role's group and flags. ``password_hash`` takes an already-hashed password (the
    admin's add form hashes it); without a password or hash the user gets an unusable password (kiosk-only)."""
    if role not in ROLES:
        raise ValidationError({"role": f"{role!r} is not a role; use one of {', '.join(ROLES)}."})
    user = User(username=username, role=role, email=email, first_name=first_name, last_name=last_name, **fields)
    user.is_staff = ROLES[role].staff
    user.is_superuser = role == Role.ADMIN
    if password:
        user.set_password(password)
    elif password_hash:
        user.password = password_hash
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    _apply_role_membership(user)
    security_event_record(kind=SecurityEventKind.ROLE_CHANGED, user=user, actor=actor,
                          detail={"before": None, "after": role})
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, actor: User | None = None) -> User:
    if role not in ROLES:
        raise ValidationError({"role": f"{role!r} is not a role; use one of {', '.join(ROLES)}."})
    before = user.role
    user.role = role
    user.is_staff = ROLES[role].staff
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    _apply_role_membership(user)
    if before != role:
        security_event_record(kind=SecurityEventKind.ROLE_CHANGED, user=user, actor=actor,
                              detail={"before": before, "after": role})
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, actor: User | None = None) -> User:
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        kind = SecurityEventKind.USER_ACTIVATED if active else SecurityEventKind.USER_DEACTIVATED
        security_event_record(kind=kind, user=user, actor=actor)
    return user


@transaction.atomic
def user_grant_line(*, user: User, line: Line, actor: User | None = None) -> None:
    if line.pk not in access.granted_line_ids(user):
        access.grant_line_scope(user, line)
        security_event_record(kind=SecurityEventKind.LINE_ACCESS_GRANTED, user=user, actor=actor,
                              detail={"line": line.code})


@transaction.atomic
def user_revoke_line(*, user: User, line: Line, actor: User | None = None) -> None:
    access.revoke_line_scope(user, line)
    security_event_record(kind=SecurityEventKind.LINE_ACCESS_REVOKED, user=user, actor=actor,
                          detail={"line": line.code})


@transaction.atomic
def user_set_line_access(*, user: User, lines, actor: User | None = None) -> None:
    """Make the user's explicit line grants exactly ``lines``, logging each change."""
    wanted = {line.pk: line for line in lines}
    current = set(access.granted_line_ids(user))
    for line_id in current - set(wanted):
        user_revoke_line(user=user, line=Line.objects.get(pk=line_id), actor=actor)
    for line_id in set(wanted) - current:
        access.grant_line_scope(user, wanted[line_id])
        security_event_record(kind=SecurityEventKind.LINE_ACCESS_GRANTED, user=user, actor=actor,
                              detail={"line": wanted[line_id].code})


PIN_RE = re.compile(r"^\d{4,8}$")


@transaction.atomic
def user_set_pin(*, user: User, pin: str, badge_number: str | None = None, actor: User | None = None) -> User:
    """Set the kiosk PIN (4–8 digits) and optionally the badge number."""
    if not PIN_RE.match(pin or ""):
        raise ValidationError({"pin": "The PIN must be 4 to 8 digits."})
    if badge_number is not None:
        user.badge_number = badge_number
        user.full_clean(exclude=["password"])
    user.pin_hash = make_password(pin)
    user.save(update_fields=["pin_hash", "badge_number"])
    security_event_record(kind=SecurityEventKind.PIN_CHANGED, user=user, actor=actor)
    return user


@transaction.atomic
def user_clear_pin(*, user: User, actor: User | None = None) -> User:
    """Remove the kiosk PIN: the badge no longer signs in."""
    user.pin_hash = ""
    user.save(update_fields=["pin_hash"])
    security_event_record(kind=SecurityEventKind.PIN_CHANGED, user=user, actor=actor, detail={"removed": True})
    return user


@transaction.atomic
def group_grant_line(*, group: Group, line: Line, actor: User | None = None) -> None:
    """Give every member of a (custom, non-role) group access to a line."""
    if group.name.startswith("role:"):
        raise ValidationError({"group": "Role groups come from the role matrix; grant lines to users or to a "
                                        "custom group."})
    access.grant_line_scope(group, line)
    security_event_record(kind=SecurityEventKind.LINE_ACCESS_GRANTED, actor=actor, username=f"group:{group.name}",
                          detail={"line": line.code, "group": group.name})


@transaction.atomic
def group_revoke_line(*, group: Group, line: Line, actor: User | None = None) -> None:
    access.revoke_line_scope(group, line)
    security_event_record(kind=SecurityEventKind.LINE_ACCESS_REVOKED, actor=actor, username=f"group:{group.name}",
                          detail={"line": line.code, "group": group.name})
