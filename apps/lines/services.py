"""Writes of the plant model. ``import_plant``, ``seed_demo`` (and anything else that configures the plant from
code) go through these; the Django admin writes through model forms, which run the same model validation.

Every ``<entity>_upsert`` finds its row by the natural key given as keyword arguments, and returns the row with
what happened to it: ``"created"``, ``"updated"`` or ``"unchanged"``. A row whose values already match is not
saved at all, which is what makes a second import of the same file a no-op. Each write runs ``full_clean()``
first, so the database never holds a row the admin would refuse.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models as dj, transaction

from apps.lines import models
from apps.lines.plantfile import PlantFileError, PlantFileInvalid, PlantSpec, Row, row_errors
from apps.lines.validation import shift_overlap_errors

CREATED, UPDATED, UNCHANGED, DELETED = "created", "updated", "unchanged", "deleted"


def _same(obj: dj.Model, name: str, value: Any) -> bool:
    model_field = obj._meta.get_field(name)
    if model_field.is_relation:
        return getattr(obj, model_field.attname) == (value.pk if value is not None else None)
    current = getattr(obj, name)
    if current is None or value is None:
        return current is None and value is None
    if isinstance(model_field, dj.DecimalField):
        return Decimal(str(current)) == Decimal(str(value))
    if isinstance(model_field, dj.FloatField):
        return float(current) == float(value)
    return current == value


def _upsert(model: type[dj.Model], lookup: dict[str, Any], values: dict[str, Any]) -> tuple[Any, str]:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        return obj, CREATED
    changed = [name for name, value in values.items() if not _same(obj, name, value)]
    if not changed:
        return obj, UNCHANGED
    for name in changed:
        setattr(obj, name, values[name])
    obj.full_clean()
    obj.save(update_fields=changed)
    return obj, UPDATED


@transaction.atomic
def site_upsert(*, code: str, **values) -> tuple[models.Site, str]:
    return _upsert(models.Site, {"code": code}, values)


@transaction.atomic
def area_upsert(*, site: models.Site, code: str, **values) -> tuple[models.Area, str]:
    return _upsert(models.Area, {"site": site, "code": code}, values)


@transaction.atomic
def line_upsert(*, code: str, **values) -> tuple[models.Line, str]:
    return _upsert(models.Line, {"code": code}, values)


@transaction.atomic
def equipment_upsert(*, code: str, **values) -> tuple[models.Equipment, str]:
    return _upsert(models.Equipment, {"code": code}, values)


@transaction.atomic
def product_upsert(*, code: str, **values) -> tuple[models.Product, str]:
    return _upsert(models.Product, {"code": code}, values)


@transaction.atomic
def ideal_cycle_time_upsert(*, product: models.Product, line: models.Line, equipment: models.Equipment | None = None,
                            ideal_cycle_time_s: Decimal) -> tuple[models.IdealCycleTime, str]:
    lookup = {"product": product, "line": line}
    lookup.update({"equipment": equipment} if equipment is not None else {"equipment__isnull": True})
    obj = models.IdealCycleTime.objects.filter(**lookup).first()
    if obj is None:
        return _upsert(models.IdealCycleTime, {"product": product, "line": line, "equipment": equipment},
                       {"ideal_cycle_time_s": ideal_cycle_time_s})
    return _upsert(models.IdealCycleTime, {"pk": obj.pk}, {"ideal_cycle_time_s": ideal_cycle_time_s})


@transaction.atomic
def shift_pattern_upsert(*, line: models.Line, **values) -> tuple[models.ShiftPattern, str]:
    return _upsert(models.ShiftPattern, {"line": line}, values)


@transaction.atomic
def shift_upsert(*, pattern: models.ShiftPattern, code: str, **values) -> tuple[models.Shift, str]:
    return _upsert(models.Shift, {"pattern": pattern, "code": code}, values)


@transaction.atomic
def shift_break_upsert(*, shift: models.Shift, start_time, **values) -> tuple[models.ShiftBreak, str]:
    return _upsert(models.ShiftBreak, {"shift": shift, "start_time": start_time}, values)


@transaction.atomic
def shift_breaks_prune(*, shift: models.Shift, keep_ids) -> int:
    """Delete the shift's breaks not in ``keep_ids``: breaks belong wholly to their shift and nothing refers to
    them, so the plant file is the complete list."""
    deleted, _ = models.ShiftBreak.objects.filter(shift=shift).exclude(pk__in=list(keep_ids)).delete()
    return deleted


@transaction.atomic
def reason_category_upsert(*, line: models.Line, code: str, **values) -> tuple[models.ReasonCategory, str]:
    return _upsert(models.ReasonCategory, {"line": line, "code": code}, values)


@transaction.atomic
def downtime_reason_upsert(*, line: models.Line, code: str, **values) -> tuple[models.DowntimeReason, str]:
    return _upsert(models.DowntimeReason, {"line": line, "code": code}, values)


@transaction.atomic
def fault_code_upsert(*, equipment: models.Equipment, bit: int, **values) -> tuple[models.FaultCode, str]:
    return _upsert(models.FaultCode, {"equipment": equipment, "bit": bit}, values)


@transaction.atomic
def plc_connection_upsert(*, code: str, **values) -> tuple[models.PlcConnection, str]:
    return _upsert(models.PlcConnection, {"code": code}, values)


@transaction.atomic
def tag_map_upsert(*, equipment: models.Equipment, signal: str, **values) -> tuple[models.TagMap, str]:
    return _upsert(models.TagMap, {"equipment": equipment, "signal": signal}, values)


# ------------------------------------------------------------------------------------------------ plant import

KINDS = ["site", "areas", "PLC connections", "products", "lines", "equipment", "reason categories", "reasons",
         "fault codes", "tags", "shift patterns", "shifts", "breaks", "cycle times"]


@dataclass
class ImportResult:
    counts: dict[str, Counter] = field(default_factory=lambda: {kind: Counter() for kind in KINDS})
    left_alone: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind][outcome] += n

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.counts.values())

    @property
    def changed(self) -> bool:
        return any(self.total(o) for o in (CREATED, UPDATED, DELETED))


class _Importer:
    def __init__(self, spec: PlantSpec):
        self.spec = spec
        self.result = ImportResult()
        self.errors: list[PlantFileError] = []

    def apply(self, kind: str, row: Row, service, **kwargs):
        """Run one upsert; a refusal becomes a line-numbered error and the import goes on to find the others."""
        try:
            obj, outcome = service(**kwargs)
        except ValidationError as exc:
            self.errors.extend(row_errors(row, exc))
            return None
        except IntegrityError as exc:  # the service's savepoint has rolled back; the transaction is usable
            self.errors.append(PlantFileError(row.line, f"{row.label}: the database refused the row ({exc})"))
            return None
        self.result.add(kind, outcome)
        return obj

    def run(self) -> ImportResult:
        spec = self.spec
        site = self.apply("site", spec.site, site_upsert, **spec.site.values)
        if site is None:
            return self.result
        areas = {}
        for row in spec.areas:
            areas[row.values["code"]] = self.apply("areas", row, area_upsert, site=site, **row.values)
        connections = {row.values["code"]: self.apply("PLC connections", row, plc_connection_upsert, **row.values)
                       for row in spec.connections}
        products = {row.values["code"]: self.apply("products", row, product_upsert, **row.values)
                    for row in spec.products}
        lines, equipment = {}, {}
        for line_spec in spec.lines:
            values = dict(line_spec.row.values, area=areas.get(line_spec.row.values["area"]))
            if values["area"] is None:
                continue
            line = self.apply("lines", line_spec.row, line_upsert, **values)
            if line is None:
                continue
            lines[line.code] = line
            equipment.update(self.line_children(line_spec, line, site, connections))
        for row in spec.cycle_times:
            product, line = products.get(row.values["product"]), lines.get(row.values["line"])
            eq_code = row.values.get("equipment")
            eq = equipment.get(eq_code) if eq_code else None
            if product is None or line is None or (eq_code and eq is None):
                continue
            self.apply("cycle times", row, ideal_cycle_time_upsert, product=product, line=line, equipment=eq,
                       ideal_cycle_time_s=row.values["ideal_cycle_time_s"])
        return self.result

    def line_children(self, line_spec, line, site, connections) -> dict[str, models.Equipment]:
        reasons, seen_categories, seen_reasons = {}, [], []
        for cat_spec in line_spec.categories:
            category = self.apply("reason categories", cat_spec.row, reason_category_upsert,
                                  **dict(cat_spec.row.values, line=line))
            if category is None:
                continue
            seen_categories.append(category.pk)
            for row in cat_spec.reasons:
                reason = self.apply("reasons", row, downtime_reason_upsert,
                                    **dict(row.values, line=line, category=category))
                if reason is not None:
                    reasons[reason.code] = reason
                    seen_reasons.append(reason.pk)
        equipment, seen_faults, seen_tags = {}, [], []
        for eq_spec in line_spec.equipment:
            eq = self.apply("equipment", eq_spec.row, equipment_upsert, **dict(eq_spec.row.values, line=line))
            if eq is None:
                continue
            equipment[eq.code] = eq
            for row in eq_spec.faults:
                reason_code = row.values.get("default_reason")
                if reason_code and reason_code not in reasons:
                    continue
                fault = self.apply("fault codes", row, fault_code_upsert, **dict(
                    row.values, equipment=eq, default_reason=reasons.get(reason_code) if reason_code else None))
                if fault is not None:
                    seen_faults.append(fault.pk)
            for row in eq_spec.tags:
                connection = connections.get(row.values["connection"])
                if connection is None:
                    continue
                tag = self.apply("tags", row, tag_map_upsert, **dict(row.values, equipment=eq, connection=connection))
                if tag is not None:
                    seen_tags.append(tag.pk)
        seen_shifts = []
        if line_spec.pattern is not None:
            pattern = self.apply("shift patterns", line_spec.pattern.row, shift_pattern_upsert,
                                 **dict(line_spec.pattern.row.values, line=line))
            if pattern is not None:
                for shift_spec in line_spec.pattern.shifts:
                    shift = self.apply("shifts", shift_spec.row, shift_upsert, pattern=pattern, **shift_spec.row.values)
                    if shift is None:
                        continue
                    seen_shifts.append(shift.pk)
                    keep = []
                    for row in shift_spec.breaks:
                        brk = self.apply("breaks", row, shift_break_upsert, shift=shift, **row.values)
                        if brk is not None:
                            keep.append(brk.pk)
                    self.result.add("breaks", DELETED, shift_breaks_prune(shift=shift, keep_ids=keep))
                # Shifts already in the database but not in the file stay; they must not overlap either.
                for message in shift_overlap_errors(pattern.shifts.prefetch_related("breaks"), tz=site.tz):
                    self.errors.append(PlantFileError(line_spec.pattern.row.line_of("shifts"),
                                                      f"{line_spec.pattern.row.label}: {message}"))
        left = {
            "equipment": models.Equipment.objects.filter(line=line).exclude(code__in=equipment).count(),
            "fault codes": models.FaultCode.objects.filter(equipment__in=equipment.values())
            .exclude(pk__in=seen_faults).count(),
            "tags": models.TagMap.objects.filter(equipment__in=equipment.values()).exclude(pk__in=seen_tags).count(),
            "reason categories": models.ReasonCategory.objects.filter(line=line)
            .exclude(pk__in=seen_categories).count(),
            "reasons": models.DowntimeReason.objects.filter(line=line).exclude(pk__in=seen_reasons).count(),
            "shifts": models.Shift.objects.filter(pattern__line=line).exclude(pk__in=seen_shifts).count()
            if line_spec.pattern is not None else 0,
        }
        for kind, n in left.items():
            if n:
                self.result.left_alone[kind] = self.result.left_alone.get(kind, 0) + n
        return equipment


@transaction.atomic
def plant_import(*, spec: PlantSpec) -> ImportResult:
    """Create or update everything a checked plant file describes, in one transaction.

    Rows are found by their codes, so importing the same file again changes nothing. Rows in the database that
    the file does not mention are left alone (and counted in ``left_alone``), except a shift's breaks, which
    the file lists completely. If any row is refused (a model validation error, a clash with a row that is
    only in the database), everything is rolled back and PlantFileInvalid lists every refusal with its line.
    """
    importer = _Importer(spec)
    result = importer.run()
    if importer.errors:
        raise PlantFileInvalid(importer.errors)
    return result
