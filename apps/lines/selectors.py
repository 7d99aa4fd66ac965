"""Reads of the plant model, already scoped by the access choke-point."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from apps.accounts import access
from apps.lines.models import Equipment, Line, PlcConnection


def overview_lines(*, user) -> QuerySet[Line]:
    return access.visible_lines(user).annotate(equipment_count=Count("equipment")).order_by("code")


def line_with_equipment(*, line: Line) -> Line:
    return Line.objects.select_related("area__site").prefetch_related(
        Prefetch("equipment", queryset=Equipment.objects.filter(active=True).order_by("position"))
    ).get(pk=line.pk)


def engineering_equipment(*, user) -> QuerySet[Equipment]:
    lines = access.visible_lines(user, "lines.view_engineering")
    return (
        Equipment.objects.filter(line__in=lines, active=True)
        .select_related("line")
        .prefetch_related(Prefetch("tags__connection", queryset=PlcConnection.objects.all()))
        .order_by("line__code", "position")
    )
