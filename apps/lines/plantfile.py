"""Reading and checking a plant file (docs/plant-file.md) before anything is written.

The file is read with ``yaml.compose`` rather than ``yaml.safe_load`` so that every mapping, key and value keeps
its line number, and so that scalars are converted here, not by YAML 1.1's resolver (which turns ``14:00`` into
the integer 840 and ``no`` into False). The result is a :class:`PlantSpec`: plain rows of model field values, each
remembering the line of every key, that ``services.plant_import`` writes. Nothing in this module touches the
database.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from django.core.exceptions import ValidationError

from apps.lines import models
from apps.lines.addresses import address_error
from apps.lines.choices import AndonPriority, DataType, Driver, OeePolicy, Severity, Signal
from apps.lines.validation import ShiftShape, break_error, shift_overlap_errors

SCHEMA_VERSION = 1
NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"
TRUE_WORDS = {"true", "yes", "on"}
FALSE_WORDS = {"false", "no", "off"}
WEEKDAY_NAMES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
SEVERITY_NAMES = {label.lower(): value for value, label in Severity.choices}
# Width in bits of a fault word read with each data type: a fault bit beyond it can never be set.
FAULT_WORD_BITS = {DataType.INT: 16, DataType.UINT: 16, DataType.DINT: 32, DataType.UDINT: 32, DataType.DINT2: 64}


@dataclass(frozen=True, order=True)
class PlantFileError:
    line: int
    message: str

    def format(self, path: str) -> str:
        return f"{path}:{self.line}: {self.message}"


@dataclass
class Row:
    """The values of one model row as read from the file, with the line of each key."""

    label: str
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


@dataclass
class EquipmentSpec:
    row: Row
    faults: list[Row] = field(default_factory=list)
    tags: list[Row] = field(default_factory=list)


@dataclass
class CategorySpec:
    row: Row
    reasons: list[Row] = field(default_factory=list)


@dataclass
class ShiftSpec:
    row: Row
    breaks: list[Row] = field(default_factory=list)


@dataclass
class PatternSpec:
    row: Row
    shifts: list[ShiftSpec] = field(default_factory=list)


@dataclass
class LineSpec:
    row: Row
    equipment: list[EquipmentSpec] = field(default_factory=list)
    categories: list[CategorySpec] = field(default_factory=list)
    pattern: PatternSpec | None = None


@dataclass
class PlantSpec:
    site: Row
    areas: list[Row] = field(default_factory=list)
    connections: list[Row] = field(default_factory=list)
    products: list[Row] = field(default_factory=list)
    cycle_times: list[Row] = field(default_factory=list)
    lines: list[LineSpec] = field(default_factory=list)


class PlantFileInvalid(Exception):
    """The file was rejected; ``errors`` holds every problem found, sorted by line."""

    def __init__(self, errors: list[PlantFileError]):
        self.errors = sorted(set(errors))
        super().__init__(f"{len(self.errors)} error(s) in the plant file")


_MISSING = object()


class _Map:
    """A YAML mapping node with typed accessors that report errors with line numbers instead of raising."""

    def __init__(self, node: yaml.Node, where: str, errors: list[PlantFileError]):
        self.node = node
        self.where = where
        self.errors = errors
        self.line = node.start_mark.line + 1
        self.items: dict[str, tuple[int, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_line, "a key must be a plain word")
                continue
            if key_node.value in self.items:
                self.error(key_line, f"key {key_node.value!r} appears twice")
                continue
            self.items[key_node.value] = (key_line, value_node)

    def error(self, line: int, message: str) -> None:
        self.errors.append(PlantFileError(line, f"{self.where}: {message}"))

    def key_line(self, key: str) -> int:
        return self.items[key][0] if key in self.items else self.line

    def check_keys(self, allowed: set[str]) -> None:
        for key, (line, _) in self.items.items():
            if key not in allowed:
                self.error(line, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")

    def _scalar(self, key: str, required: bool) -> tuple[Any, int]:
        """Raw scalar text of ``key`` (or _MISSING), and its line."""
        if key not in self.items:
            if required:
                self.error(self.line, f"{key!r} is required")
            return _MISSING, self.line
        line, node = self.items[key]
        if not isinstance(node, yaml.ScalarNode):
            self.error(line, f"{key!r} must be a single value, not a list or mapping")
            return _MISSING, line
        if node.tag == NULL_TAG:
            if required:
                self.error(line, f"{key!r} is required")
            return None, line
        return node.value, line

    def text(self, key: str, *, required: bool = False, default: str = "") -> str | None:
        raw, _ = self._scalar(key, required)
        if raw is _MISSING or raw is None:
            return None if required else default
        return raw

    def integer(self, key: str, *, required: bool = False, default: int | None = None,
                minimum: int | None = None, maximum: int | None = None) -> int | None:
        raw, line = self._scalar(key, required)
        if raw is _MISSING or raw is None:
            return default
        try:
            value = int(raw.replace("_", ""), 10)
        except ValueError:
            self.error(line, f"{key!r} must be a whole number, not {raw!r}")
            return default
        if minimum is not None and value < minimum or maximum is not None and value > maximum:
            bounds = f"{minimum if minimum is not None else '…'} to {maximum if maximum is not None else '…'}"
            self.error(line, f"{key!r} must be {bounds}, not {value}")
            return default
        return value

    def decimal(self, key: str, *, required: bool = False, default: Decimal | None = None) -> Decimal | None:
        raw, line = self._scalar(key, required)
        if raw is _MISSING or raw is None:
            return default
        try:
            value = Decimal(raw.replace("_", ""))
        except InvalidOperation:
            self.error(line, f"{key!r} must be a number, not {raw!r}")
            return default
        if not value.is_finite():
            self.error(line, f"{key!r} must be a finite number")
            return default
        return value

    def number(self, key: str, *, default: float) -> float:
        value = self.decimal(key)
        return default if value is None else float(value)

    def boolean(self, key: str, *, default: bool) -> bool:
        raw, line = self._scalar(key, False)
        if raw is _MISSING or raw is None:
            return default
        word = raw.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.error(line, f"{key!r} must be true or false, not {raw!r}")
        return default

    def time(self, key: str, *, required: bool = True) -> dt.time | None:
        raw, line = self._scalar(key, required)
        if raw is _MISSING or raw is None:
            return None
        match = TIME_RE.match(raw)
        if not match:
            self.error(line, f"{key!r} must be a local time as \"HH:MM\" (24-hour clock), not {raw!r}")
            return None
        return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))

    def choice(self, key: str, choices, *, required: bool = False, default: str | None = None) -> str | None:
        raw, line = self._scalar(key, required)
        if raw is _MISSING or raw is None:
            return default
        allowed = [value for value, _ in choices]
        if raw not in allowed:
            self.error(line, f"{key!r} must be one of {', '.join(allowed)}, not {raw!r}")
            return default
        return raw

    def mapping(self, key: str, *, required: bool = False) -> _Map | None:
        if key not in self.items:
            if required:
                self.error(self.line, f"{key!r} is required")
            return None
        line, node = self.items[key]
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG and not required:
            return None
        if not isinstance(node, yaml.MappingNode):
            self.error(line, f"{key!r} must be a mapping (key: value lines)")
            return None
        return _Map(node, key if self.where == "plant file" else f"{self.where}: {key}", self.errors)

    def sequence(self, key: str) -> list[yaml.Node]:
        if key not in self.items:
            return []
        line, node = self.items[key]
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(line, f"{key!r} must be a list (lines starting with '- ')")
            return []
        return node.value

    def maps(self, key: str, label: str) -> list[_Map]:
        """The items of list ``key``, each of which must be a mapping."""
        result = []
        for index, node in enumerate(self.sequence(key)):
            where = f"{label}[{index + 1}]"
            if not isinstance(node, yaml.MappingNode):
                self.errors.append(PlantFileError(node.start_mark.line + 1, f"{where}: each entry must be a mapping"))
                continue
            result.append(_Map(node, where, self.errors))
        return result


class _Reader:
    """Turns the composed document into a PlantSpec, collecting every error it meets."""

    def __init__(self) -> None:
        self.errors: list[PlantFileError] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(PlantFileError(line, message))

    # ---------------------------------------------------------------------------------------------------- rows

    def row(self, m: _Map, label: str, fields: dict[str, Any]) -> Row:
        """A Row from ``fields`` (model field -> (yaml key, value)). An absent key gives the field's default, so
        the file is the whole truth about every row it names; None is "empty" for nullable fields."""
        row = Row(label=label, line=m.line)
        for name, (key, value) in fields.items():
            row.lines[name] = m.key_line(key)
            row.values[name] = value
        return row

    def read(self, root: yaml.Node) -> PlantSpec | None:
        if not isinstance(root, yaml.MappingNode):
            self.error(root.start_mark.line + 1, "the plant file must be a mapping with site, lines, …")
            return None
        top = _Map(root, "", self.errors)
        top.where = "plant file"
        top.check_keys({"version", "site", "areas", "plc_connections", "products", "lines"})
        version = top.integer("version", default=SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            top.error(top.key_line("version"), f"this program reads plant file version {SCHEMA_VERSION}, "
                                               f"not {version}")
        site_map = top.mapping("site", required=True)
        if site_map is None:
            return None
        spec = PlantSpec(site=self.site(site_map))
        spec.areas = [self.area(m) for m in top.maps("areas", "areas")]
        spec.connections = [self.connection(m) for m in top.maps("plc_connections", "plc_connections")]
        for m in top.maps("products", "products"):
            product, cycle_times = self.product(m)
            spec.products.append(product)
            spec.cycle_times.extend(cycle_times)
        spec.lines = [self.line(m) for m in top.maps("lines", "lines")]
        return spec

    def site(self, m: _Map) -> Row:
        m.check_keys({"code", "name", "time_zone"})
        code = m.text("code", required=True)
        return self.row(m, f"site {code}", {
            "code": ("code", code), "name": ("name", m.text("name", default=code or "")),
            "time_zone": ("time_zone", m.text("time_zone", required=True)),
        })

    def area(self, m: _Map) -> Row:
        m.check_keys({"code", "name"})
        code = m.text("code", required=True)
        m.where = f"area {code}" if code else m.where
        return self.row(m, m.where, {"code": ("code", code), "name": ("name", m.text("name", default=code or ""))})

    def connection(self, m: _Map) -> Row:
        m.check_keys({"code", "name", "driver", "host", "port", "slot", "rack", "poll_interval_ms", "timeout_ms",
                      "sim_seed", "enabled"})
        code = m.text("code", required=True)
        m.where = f"PLC connection {code}" if code else m.where
        return self.row(m, m.where, {
            "code": ("code", code), "name": ("name", m.text("name")),
            "driver": ("driver", m.choice("driver", Driver.choices, required=True)),
            "host": ("host", m.text("host")), "port": ("port", m.integer("port", minimum=1, maximum=65535)),
            "slot": ("slot", m.integer("slot", default=0, minimum=0)),
            "rack": ("rack", m.integer("rack", default=0, minimum=0)),
            "poll_interval_ms": ("poll_interval_ms", m.integer("poll_interval_ms", default=1000)),
            "timeout_ms": ("timeout_ms", m.integer("timeout_ms", default=2000)),
            "sim_seed": ("sim_seed", m.integer("sim_seed", default=1, minimum=0)),
            "enabled": ("enabled", m.boolean("enabled", default=True)),
        })

    def product(self, m: _Map) -> tuple[Row, list[Row]]:
        m.check_keys({"code", "name", "ideal_cycle_time_s", "target_speed_ppm", "active", "cycle_times"})
        code = m.text("code", required=True)
        m.where = f"product {code}" if code else m.where
        row = self.row(m, m.where, {
            "code": ("code", code), "name": ("name", m.text("name", default=code or "")),
            "ideal_cycle_time_s": ("ideal_cycle_time_s", m.decimal("ideal_cycle_time_s", required=True)),
            "target_speed_ppm": ("target_speed_ppm", m.decimal("target_speed_ppm")),
            "active": ("active", m.boolean("active", default=True)),
        })
        cycle_times = []
        for ct in m.maps("cycle_times", f"{m.where}: cycle_times"):
            ct.check_keys({"line", "equipment", "ideal_cycle_time_s"})
            line_code, eq_code = ct.text("line", required=True), ct.text("equipment", default="")
            ct.where = f"product {code} on {eq_code or line_code}"
            cycle_times.append(self.row(ct, ct.where, {
                "product": ("line", code), "line": ("line", line_code), "equipment": ("equipment", eq_code or None),
                "ideal_cycle_time_s": ("ideal_cycle_time_s", ct.decimal("ideal_cycle_time_s", required=True)),
            }))
        return row, cycle_times

    def line(self, m: _Map) -> LineSpec:
        m.check_keys({"code", "name", "area", "oee_policy", "targets", "checklist_required", "long_stop_andon_s",
                      "active", "equipment", "reasons", "shift_pattern"})
        code = m.text("code", required=True)
        m.where = f"line {code}" if code else m.where
        values = {
            "code": ("code", code), "name": ("name", m.text("name", default=code or "")),
            "area": ("area", m.text("area", required=True)),
            "oee_policy": ("oee_policy", m.choice("oee_policy", OeePolicy.choices, default=OeePolicy.OEE_COM)),
            "checklist_required": ("checklist_required", m.boolean("checklist_required", default=True)),
            "long_stop_andon_s": ("long_stop_andon_s", m.integer("long_stop_andon_s", default=600, minimum=0)),
            "active": ("active", m.boolean("active", default=True)),
        }
        row = self.row(m, m.where, values)
        targets = m.mapping("targets")
        if targets is not None:
            targets.check_keys({"availability", "performance", "quality", "oee"})
            for key in ("availability", "performance", "quality", "oee"):
                percent = targets.decimal(key)
                row.lines[f"target_{key}"] = targets.key_line(key)
                if percent is None:
                    row.values[f"target_{key}"] = models.Line._meta.get_field(f"target_{key}").default
                    continue
                if not Decimal(0) <= percent <= Decimal(100):
                    targets.error(targets.key_line(key), f"{key!r} is a percentage from 0 to 100, not {percent}")
                    continue
                row.values[f"target_{key}"] = percent / Decimal(100)
        else:
            for key in ("availability", "performance", "quality", "oee"):
                row.values[f"target_{key}"] = models.Line._meta.get_field(f"target_{key}").default
        spec = LineSpec(row=row)
        spec.equipment = [self.equipment(e, code) for e in m.maps("equipment", f"line {code}: equipment")]
        spec.categories = [self.category(c, code) for c in m.maps("reasons", f"line {code}: reasons")]
        pattern = m.mapping("shift_pattern")
        if pattern is not None:
            spec.pattern = self.pattern(pattern, code)
        return spec

    def equipment(self, m: _Map, line_code: str | None) -> EquipmentSpec:
        m.check_keys({"code", "name", "type", "criticality", "position", "primary", "location", "department",
                      "maintenance_interval_h", "small_stop_threshold_s", "active", "faults", "tags"})
        code = m.text("code", required=True)
        m.where = f"equipment {code}" if code else m.where
        spec = EquipmentSpec(row=self.row(m, m.where, {
            "line": ("code", line_code), "code": ("code", code), "name": ("name", m.text("name", default=code or "")),
            "equipment_type": ("type", m.text("type")),
            "criticality": ("criticality", m.integer("criticality", default=3, minimum=1, maximum=5)),
            "position": ("position", m.integer("position", required=True, minimum=1)),
            "is_primary": ("primary", m.boolean("primary", default=False)),
            "location": ("location", m.text("location")), "department": ("department", m.text("department")),
            "maintenance_interval_h": ("maintenance_interval_h", m.integer("maintenance_interval_h", minimum=1)),
            "small_stop_threshold_s": ("small_stop_threshold_s",
                                       m.integer("small_stop_threshold_s", default=120, minimum=1)),
            "active": ("active", m.boolean("active", default=True)),
        }))
        for f in m.maps("faults", f"equipment {code}: faults"):
            f.check_keys({"bit", "code", "text", "category", "severity", "default_reason", "raises_andon",
                          "andon_priority"})
            bit = f.integer("bit", required=True, minimum=0, maximum=63)
            fcode = f.text("code", required=True)
            f.where = f"equipment {code}: fault {fcode}" if fcode else f.where
            spec.faults.append(self.row(f, f.where, {
                "equipment": ("code", code), "bit": ("bit", bit), "code": ("code", fcode),
                "text": ("text", f.text("text", required=True)), "category": ("category", f.text("category")),
                "severity": ("severity", self.severity(f)),
                "default_reason": ("default_reason", f.text("default_reason", default="") or None),
                "raises_andon": ("raises_andon", f.boolean("raises_andon", default=False)),
                "andon_priority": ("andon_priority", f.choice("andon_priority", AndonPriority.choices,
                                                              default=AndonPriority.MEDIUM)),
            }))
        for t in m.maps("tags", f"equipment {code}: tags"):
            t.check_keys({"signal", "connection", "address", "data_type", "scale", "offset"})
            signal = t.choice("signal", Signal.choices, required=True)
            t.where = f"equipment {code}: tag {signal}" if signal else t.where
            spec.tags.append(self.row(t, t.where, {
                "equipment": ("signal", code), "signal": ("signal", signal),
                "connection": ("connection", t.text("connection", required=True)),
                "address": ("address", t.text("address", required=True)),
                "data_type": ("data_type", t.choice("data_type", DataType.choices, required=True)),
                "scale": ("scale", t.number("scale", default=1.0)),
                "offset": ("offset", t.number("offset", default=0.0)),
            }))
        return spec

    def severity(self, m: _Map) -> int:
        raw, line = m._scalar("severity", False)
        if raw is _MISSING or raw is None:
            return Severity.MINOR
        if raw.lower() in SEVERITY_NAMES:
            return SEVERITY_NAMES[raw.lower()]
        if raw.isdigit() and int(raw) in Severity.values:
            return int(raw)
        m.error(line, f"'severity' must be 1–5 or one of {', '.join(SEVERITY_NAMES)}, not {raw!r}")
        return Severity.MINOR

    def category(self, m: _Map, line_code: str | None) -> CategorySpec:
        m.check_keys({"code", "name", "planned", "colour", "reasons"})
        code = m.text("code", required=True)
        m.where = f"line {line_code}: reason category {code}" if code else m.where
        spec = CategorySpec(row=self.row(m, m.where, {
            "line": ("code", line_code), "code": ("code", code), "name": ("name", m.text("name", default=code or "")),
            "planned": ("planned", m.boolean("planned", default=False)),
            "colour": ("colour", m.text("colour", default="#6b7280")),
        }))
        for r in m.maps("reasons", f"{m.where}: reasons"):
            r.check_keys({"code", "name", "active"})
            rcode = r.text("code", required=True)
            r.where = f"line {line_code}: reason {rcode}" if rcode else r.where
            spec.reasons.append(self.row(r, r.where, {
                "line": ("code", line_code), "category": ("code", code), "code": ("code", rcode),
                "name": ("name", r.text("name", default=rcode or "")),
                "active": ("active", r.boolean("active", default=True)),
            }))
        return spec

    def weekdays(self, m: _Map) -> list[int]:
        if "weekdays" not in m.items:
            return list(range(7))
        if not isinstance(m.items["weekdays"][1], yaml.SequenceNode):
            m.sequence("weekdays")  # reports "must be a list"
            return [0]  # placeholder so the model check does not report the same key again
        nodes = m.sequence("weekdays")
        days = []
        for node in nodes:
            raw = node.value if isinstance(node, yaml.ScalarNode) else None
            if raw is not None and raw.lower()[:3] in WEEKDAY_NAMES and not raw.isdigit():
                days.append(WEEKDAY_NAMES[raw.lower()[:3]])
            elif raw is not None and raw.isdigit() and int(raw) <= 6:
                days.append(int(raw))
            else:
                m.error(node.start_mark.line + 1, f"a weekday is mon … sun or 0 (Monday) … 6, not {raw!r}")
        if not days and nodes:
            return [0]  # errors reported; keep going with a placeholder
        return days

    def pattern(self, m: _Map, line_code: str | None) -> PatternSpec:
        m.check_keys({"name", "shifts"})
        m.where = f"line {line_code}: shift pattern"
        spec = PatternSpec(row=self.row(m, m.where, {
            "line": ("name", line_code), "name": ("name", m.text("name", required=True)),
        }))
        spec.row.lines["shifts"] = m.key_line("shifts")
        for s in m.maps("shifts", f"{m.where}: shifts"):
            s.check_keys({"code", "name", "start", "end", "weekdays", "breaks"})
            code = s.text("code", required=True)
            s.where = f"line {line_code}: shift {code}" if code else s.where
            shift = ShiftSpec(row=self.row(s, s.where, {
                "code": ("code", code), "name": ("name", s.text("name", default=code or "")),
                "start_time": ("start", s.time("start")), "end_time": ("end", s.time("end")),
                "weekdays": ("weekdays", self.weekdays(s)),
            }))
            for b in s.maps("breaks", f"{s.where}: breaks"):
                b.check_keys({"name", "start", "end"})
                b.where = f"line {line_code}: shift {code}: break"
                shift.breaks.append(self.row(b, b.where, {
                    "name": ("name", b.text("name", default="Break")),
                    "start_time": ("start", b.time("start")), "end_time": ("end", b.time("end")),
                }))
            spec.shifts.append(shift)
        return spec


# -------------------------------------------------------------------------------------------- cross-checks

FK_FIELDS = {
    models.Area: ["site"], models.Line: ["area"], models.Equipment: ["line"],
    models.IdealCycleTime: ["product", "line", "equipment"], models.ShiftPattern: ["line"],
    models.Shift: ["pattern"], models.ShiftBreak: ["shift"], models.ReasonCategory: ["line"],
    models.DowntimeReason: ["category", "line"], models.FaultCode: ["equipment", "default_reason"],
    models.TagMap: ["equipment", "connection"],
}


def validation_messages(exc: ValidationError) -> list[tuple[str | None, str]]:
    """(field or None, message) pairs of a ValidationError."""
    if hasattr(exc, "error_dict"):
        return [(None if name == "__all__" else name, msg) for name, msgs in exc.message_dict.items()
                for msg in msgs]
    return [(None, msg) for msg in exc.messages]


def row_errors(row: Row, exc: ValidationError) -> list[PlantFileError]:
    return [PlantFileError(row.line_of(name) if name else row.line,
                           f"{row.label}: {name + ': ' if name else ''}{msg}")
            for name, msg in validation_messages(exc)]


def _model_check(model, row: Row, errors: list[PlantFileError], **extra) -> None:
    """Field validators and clean() of an unsaved instance, without the database (relations left out)."""
    fks = FK_FIELDS.get(model, [])
    # None in a non-nullable field means the key was missing or bad, which has been reported already.
    skip = set(fks) | {k for k, v in row.values.items() if v is None and not model._meta.get_field(k).null}
    values = {k: v for k, v in row.values.items() if k not in skip}
    instance = model(**values, **extra)
    try:
        instance.clean_fields(exclude=skip)
    except ValidationError as exc:
        errors.extend(row_errors(row, exc))
        return
    if model in (models.PlcConnection, models.Shift, models.TagMap):  # their clean() needs no saved relations
        try:
            instance.clean()
        except ValidationError as exc:
            errors.extend(row_errors(row, exc))


def _unique(rows: list[Row], key, what: str, field_name: str, errors: list[PlantFileError]) -> None:
    seen: dict[Any, int] = {}
    for row in rows:
        value = key(row)
        if value is None or (isinstance(value, tuple) and None in value):
            continue
        if value in seen:
            errors.append(PlantFileError(row.line_of(field_name),
                                         f"{row.label}: {what} is already used on line {seen[value]} of this file"))
        else:
            seen[value] = row.line_of(field_name)


def check_spec(spec: PlantSpec) -> list[PlantFileError]:
    """Every check that needs no database: model field validators, references, uniqueness inside the file,
    PLC addresses per driver, fault bits within the fault word, breaks inside shifts, shift overlaps."""
    errors: list[PlantFileError] = []
    site = spec.site
    _model_check(models.Site, site, errors)
    tz = None
    try:
        tz = zoneinfo.ZoneInfo(site.values.get("time_zone") or "")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        pass  # reported by the model's validator
    for row in spec.areas:
        _model_check(models.Area, row, errors)
    _unique(spec.areas, lambda r: r.values.get("code"), "this area code", "code", errors)
    for row in spec.connections:
        _model_check(models.PlcConnection, row, errors)
    _unique(spec.connections, lambda r: r.values.get("code"), "this connection code", "code", errors)
    for row in spec.products:
        _model_check(models.Product, row, errors)
    _unique(spec.products, lambda r: r.values.get("code"), "this product code", "code", errors)

    area_codes = {r.values.get("code") for r in spec.areas}
    drivers = {r.values.get("code"): r.values.get("driver") for r in spec.connections}
    line_equipment: dict[str, set[str]] = {}

    line_rows = [ls.row for ls in spec.lines]
    _unique(line_rows, lambda r: r.values.get("code"), "this line code", "code", errors)
    all_equipment = [eq.row for ls in spec.lines for eq in ls.equipment]
    _unique(all_equipment, lambda r: r.values.get("code"), "this equipment code", "code", errors)

    for ls in spec.lines:
        row = ls.row
        _model_check(models.Line, row, errors)
        if row.values.get("area") and row.values["area"] not in area_codes:
            errors.append(PlantFileError(row.line_of("area"), f"{row.label}: area {row.values['area']!r} is not "
                                                                "listed under 'areas'"))
        line_equipment[row.values.get("code")] = {e.row.values.get("code") for e in ls.equipment}

        eq_rows = [e.row for e in ls.equipment]
        _unique(eq_rows, lambda r: r.values.get("position"), "this position", "position", errors)
        primaries = [r for r in eq_rows if r.values.get("is_primary")]
        for extra in primaries[1:]:
            errors.append(PlantFileError(extra.line_of("is_primary"), f"{extra.label}: line {row.values.get('code')} "
                          f"already has a primary machine ({primaries[0].values.get('code')})"))

        cat_rows = [c.row for c in ls.categories]
        reason_rows = [r for c in ls.categories for r in c.reasons]
        _unique(cat_rows, lambda r: r.values.get("code"), "this reason category code", "code", errors)
        _unique(reason_rows, lambda r: r.values.get("code"), "this reason code (unique per line)", "code", errors)
        for r in cat_rows:
            _model_check(models.ReasonCategory, r, errors)
        for r in reason_rows:
            _model_check(models.DowntimeReason, r, errors)
        reason_codes = {r.values.get("code") for r in reason_rows}

        for eq in ls.equipment:
            _model_check(models.Equipment, eq.row, errors)
            _unique(eq.faults, lambda r: r.values.get("bit"), "this fault bit", "bit", errors)
            _unique(eq.faults, lambda r: r.values.get("code"), "this fault code", "code", errors)
            _unique(eq.tags, lambda r: r.values.get("signal"), "this signal", "signal", errors)
            for f in eq.faults:
                _model_check(models.FaultCode, f, errors)
                reason = f.values.get("default_reason")
                if reason and reason not in reason_codes:
                    errors.append(PlantFileError(f.line_of("default_reason"),
                                                 f"{f.label}: default_reason {reason!r} is not a reason code of line "
                                                 f"{row.values.get('code')}'s reason tree"))
            fault_bits = None
            for t in eq.tags:
                _model_check(models.TagMap, t, errors)
                conn = t.values.get("connection")
                if conn is not None and conn not in drivers:
                    errors.append(PlantFileError(t.line_of("connection"), f"{t.label}: connection {conn!r} is not "
                                                                          "listed under 'plc_connections'"))
                elif conn is not None and drivers[conn] and t.values.get("address") is not None:
                    if message := address_error(drivers[conn], t.values["address"]):
                        errors.append(PlantFileError(t.line_of("address"),
                                                     f"{t.label}: address: {message} (driver {drivers[conn]})"))
                if t.values.get("signal") == Signal.FAULT_WORD:
                    fault_bits = FAULT_WORD_BITS.get(t.values.get("data_type"))
            if fault_bits is not None:
                for f in eq.faults:
                    if f.values.get("bit") is not None and f.values["bit"] >= fault_bits:
                        errors.append(PlantFileError(f.line_of("bit"), f"{f.label}: bit {f.values['bit']} is beyond "
                                                     f"the {fault_bits}-bit fault word of {eq.row.values.get('code')}"))

        if ls.pattern is not None:
            _model_check(models.ShiftPattern, ls.pattern.row, errors)
            shift_rows = [s.row for s in ls.pattern.shifts]
            _unique(shift_rows, lambda r: r.values.get("code"), "this shift code", "code", errors)
            shapes = []
            for index, shift in enumerate(ls.pattern.shifts):
                v = shift.row.values
                _model_check(models.Shift, shift.row, errors)
                if not (v.get("start_time") and v.get("end_time")):
                    continue
                shapes.append(ShiftShape(pk=index + 1, code=v.get("code"), start_time=v["start_time"],
                                         end_time=v["end_time"], weekdays=v.get("weekdays") or []))
                for b in shift.breaks:
                    _model_check(models.ShiftBreak, b, errors)
                    if b.values.get("start_time") and b.values.get("end_time"):
                        if message := break_error(v["start_time"], v["end_time"], b.values["start_time"],
                                                  b.values["end_time"]):
                            errors.append(PlantFileError(b.line_of("start_time"),
                                                         f"{shift.row.label}: break {b.values.get('name')}: {message}"))
                _unique(shift.breaks, lambda r: r.values.get("start_time"), "a break starting at this time",
                        "start_time", errors)
            if tz is not None and len(shapes) == len(ls.pattern.shifts):
                for message in shift_overlap_errors(shapes, tz=tz):
                    errors.append(PlantFileError(ls.pattern.row.line_of("shifts"),
                                                 f"{ls.pattern.row.label}: {message}"))

    line_codes = set(line_equipment)
    product_codes = {r.values.get("code") for r in spec.products}
    for ct in spec.cycle_times:
        _model_check(models.IdealCycleTime, ct, errors)
        line_code, eq_code = ct.values.get("line"), ct.values.get("equipment")
        if line_code not in line_codes:
            errors.append(PlantFileError(ct.line_of("line"), f"{ct.label}: line {line_code!r} is not in this file"))
        elif eq_code and eq_code not in line_equipment[line_code]:
            errors.append(PlantFileError(ct.line_of("equipment"),
                                         f"{ct.label}: equipment {eq_code!r} is not on line {line_code}"))
        if ct.values.get("product") not in product_codes:
            errors.append(PlantFileError(ct.line, f"{ct.label}: unknown product"))
    _unique(spec.cycle_times, lambda r: (r.values.get("product"), r.values.get("line"), r.values.get("equipment")),
            "a cycle time for this product and line/equipment", "line", errors)
    return errors


def parse_plant(text: str) -> PlantSpec:
    """Read and check a plant file. Raises PlantFileInvalid with every error found (line-numbered)."""
    reader = _Reader()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PlantFileInvalid([PlantFileError(mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem}")])
    except yaml.YAMLError as exc:
        raise PlantFileInvalid([PlantFileError(1, f"not valid YAML: {exc}")])
    if root is None:
        raise PlantFileInvalid([PlantFileError(1, "the file is empty")])
    spec = reader.read(root)
    errors = reader.errors
    if spec is not None:
        errors = errors + check_spec(spec)
    if errors or spec is None:
        raise PlantFileInvalid(errors or [PlantFileError(1, "nothing to import")])
    return spec


def simulated(spec: PlantSpec) -> PlantSpec:
    """The same plant on simulated PLCs: every connection uses driver ``sim`` and every tag's address becomes its
    canonical signal name (what the simulator answers to), prefixed with the equipment code when one connection
    serves several machines. Mutates and returns ``spec``."""
    for index, conn in enumerate(spec.connections):
        conn.values.update(driver=Driver.SIM, host="", port=None, sim_seed=index + 1)
    machines_per_connection: dict[str, set[str]] = {}
    for ls in spec.lines:
        for eq in ls.equipment:
            for tag in eq.tags:
                machines_per_connection.setdefault(tag.values["connection"], set()).add(eq.row.values["code"])
    for ls in spec.lines:
        for eq in ls.equipment:
            for tag in eq.tags:
                shared = len(machines_per_connection[tag.values["connection"]]) > 1
                prefix = f"{eq.row.values['code']}." if shared else ""
                tag.values["address"] = prefix + tag.values["signal"]
    return spec
