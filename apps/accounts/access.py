"""The one access choke-point. Every view, websocket consumer and selector asks here; nothing else calls guardian.

A user may do ``perm`` on a line when their role grants ``perm`` AND the line is in their scope: plant-wide roles
reach every line, others only lines granted with guardian's object permission ``lines.view_line`` (to the user or
to one of their groups). Missing and forbidden lines give the same 404, so line ids cannot be probed.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Cast
from django.db.models import CharField
from django.http import Http404

from apps.accounts.roles import LINE_PERMISSIONS, ROLES
from apps.lines.models import Line

SCOPE_CODENAME = "view_line"


def _codename(perm: str) -> str:
    app_label, _, codename = perm.rpartition(".")
    if app_label != "lines" or codename not in LINE_PERMISSIONS:
        raise ValueError(f"{perm!r} is not a line permission; use one of lines.{', lines.'.join(LINE_PERMISSIONS)}")
    return codename


def role_allows(user, perm: str) -> bool:
    """Whether the user's role grants this line action anywhere (not yet checking which line)."""
    codename = _codename(perm)
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    spec = ROLES.get(user.role)
    return spec is not None and codename in spec.line


def is_plant_wide(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    spec = ROLES.get(user.role)
    return user.is_superuser or (spec is not None and spec.plant_wide)


def _granted_lines_filter(user):
    """An Exists() over guardian's user and group object permissions for lines.view_line."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    ct = ContentType.objects.get_for_model(Line)
    pk_as_text = Cast(OuterRef("pk"), output_field=CharField())
    by_user = UserObjectPermission.objects.filter(
        user=user, content_type=ct, permission__codename=SCOPE_CODENAME, object_pk=pk_as_text
    )
    by_group = GroupObjectPermission.objects.filter(
        group__in=user.groups.all(), content_type=ct, permission__codename=SCOPE_CODENAME, object_pk=pk_as_text
    )
    return Exists(by_user) | Exists(by_group)


def visible_lines(user, perm: str = "lines.view_line") -> QuerySet[Line]:
    """Lines on which ``user`` may do ``perm``, in one query (no per-line permission look-ups)."""
    if not role_allows(user, perm):
        return Line.objects.none()
    lines = Line.objects.select_related("area__site").filter(active=True)
    if is_plant_wide(user):
        return lines
    return lines.filter(_granted_lines_filter(user))


def can_access_line(user, line_id, perm: str = "lines.view_line") -> bool:
    try:
        line_id = int(line_id)
    except (TypeError, ValueError):
        return False
    return visible_lines(user, perm).filter(pk=line_id).exists()


def access_line_by_id(user, line_id, perm: str = "lines.view_line") -> Line:
    """The line, if ``user`` may do ``perm`` on it; otherwise Http404 (the same for missing and forbidden)."""
    try:
        line_id = int(line_id)
    except (TypeError, ValueError):
        raise Http404("No such line.") from None
    line = visible_lines(user, perm).filter(pk=line_id).first()
    if line is None:
        raise Http404("No such line.")
    return line


def grant_line_scope(user_or_group, line: Line) -> None:
    """Give a user or group access to a line. Called only by apps/accounts/services.py."""
    from guardian.shortcuts import assign_perm

    assign_perm(f"lines.{SCOPE_CODENAME}", user_or_group, line)


def revoke_line_scope(user_or_group, line: Line) -> None:
    from guardian.shortcuts import remove_perm

    remove_perm(f"lines.{SCOPE_CODENAME}", user_or_group, line)


def granted_line_ids(user) -> list[int]:
    """Lines explicitly granted to the user (for display in the admin)."""
    return list(Line.objects.filter(_granted_lines_filter(user)).values_list("pk", flat=True))
