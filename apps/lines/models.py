"""The plant model: site → area → line → equipment, products, shift patterns, reasons, faults and PLC tag maps.

Everything here is configuration. It is edited in the Django admin or loaded by ``import_plant``; the domain
writes that go with it (validation, audit) live in ``apps/lines/services.py``.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from apps.lines.addresses import address_error, host_error
from apps.lines.choices import AndonPriority, DataType, Driver, OeePolicy, Severity, Signal, Weekday

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._\-]*$", "Use letters, digits, dots, dashes and underscores (e.g. BP01.PACK.BAG1)."
)
fraction_validators = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known IANA time zone (for example Europe/Berlin).") from None


class Site(models.Model):
    """A plant. Its time zone decides shift instances and production dates (shared/OEE.md §5)."""

    code = models.CharField(max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Area(models.Model):
    """A part of a site (packing hall, processing)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="areas")
    code = models.CharField(max_length=40, validators=[code_validator])
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["site__code", "code"]
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="area_code_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.site.code} / {self.name}"


class Line(models.Model):
    """A production line: the unit of access (per-line permissions), of live updates and of shift patterns."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="lines")
    code = models.CharField(max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    oee_policy = models.CharField(max_length=16, choices=OeePolicy.choices, default=OeePolicy.OEE_COM)
    target_availability = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.90"),
                                              validators=fraction_validators)
    target_performance = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.85"),
                                             validators=fraction_validators)
    target_quality = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.95"),
                                         validators=fraction_validators)
    target_oee = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.73"),
                                     validators=fraction_validators)
    checklist_required = models.BooleanField(
        default=True, help_text="A job may start only after its pre-start checklist passed in the same shift."
    )
    long_stop_andon_s = models.PositiveIntegerField(
        default=600, help_text="Raise an Andon call when an unplanned stop lasts this long (0 = never)."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        permissions = [
            ("operate_line", "Operate the line from a kiosk (jobs, checklists, stop reasons)"),
            ("code_downtime", "Give reasons to stops"),
            ("edit_downtime", "Split, merge and re-code downtime events"),
            ("raise_andon", "Raise Andon calls"),
            ("respond_andon", "Acknowledge and resolve Andon calls"),
            ("manage_schedule", "Plan production schedules and assign jobs"),
            ("view_engineering", "See live tags, comms status and fault history"),
            ("view_reports", "See and download reports"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def site(self) -> Site:
        return self.area.site


class Equipment(models.Model):
    """A machine on a line. OEE is computed per equipment; the primary (constraint) one speaks for the line."""

    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="equipment")
    code = models.CharField(max_length=60, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    equipment_type = models.CharField(max_length=60, blank=True)
    criticality = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 (low) to 5 (line stops)."
    )
    position = models.PositiveSmallIntegerField(default=1, help_text="Order along the line, 1 first.")
    is_primary = models.BooleanField(default=False, help_text="The constraint machine whose OEE is the line's.")
    location = models.CharField(max_length=120, blank=True)
    department = models.CharField(max_length=60, blank=True)
    maintenance_interval_h = models.PositiveIntegerField(
        null=True, blank=True, help_text="Planned maintenance every this many run hours."
    )
    small_stop_threshold_s = models.PositiveIntegerField(
        default=120, validators=[MinValueValidator(1)],
        help_text="Stops up to this long are small stops (performance loss under oee.com).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["line__code", "position", "code"]
        verbose_name_plural = "equipment"
        constraints = [
            models.UniqueConstraint(fields=["line", "position"], name="equipment_position_unique_per_line"),
            models.UniqueConstraint(fields=["line"], condition=models.Q(is_primary=True),
                                    name="one_primary_equipment_per_line"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class Product(models.Model):
    """A product type. Its ideal cycle time may be set per line and overridden per equipment."""

    code = models.CharField(max_length=60, unique=True, validators=[code_validator])
    name = models.CharField(max_length=160)
    ideal_cycle_time_s = models.DecimalField(
        max_digits=10, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))],
        help_text="Default ideal cycle time in seconds per unit.",
    )
    target_speed_ppm = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                           help_text="Target speed in units per minute (display only).")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IdealCycleTime(models.Model):
    """Ideal cycle time of a product on a line, optionally for one equipment (which then overrides the line's)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="cycle_times")
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="cycle_times")
    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="cycle_times")
    ideal_cycle_time_s = models.DecimalField(max_digits=10, decimal_places=4,
                                             validators=[MinValueValidator(Decimal("0.0001"))])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "line"], condition=models.Q(equipment__isnull=True),
                                    name="ict_unique_per_product_line"),
            models.UniqueConstraint(fields=["product", "equipment"], condition=models.Q(equipment__isnull=False),
                                    name="ict_unique_per_product_equipment"),
        ]

    def clean(self) -> None:
        if self.equipment_id and self.line_id and self.equipment.line_id != self.line_id:
            raise ValidationError({"equipment": "This equipment is not on the chosen line."})

    def __str__(self) -> str:
        target = self.equipment.code if self.equipment_id else self.line.code
        return f"{self.product.code} on {target}: {self.ideal_cycle_time_s} s"


class ShiftPattern(models.Model):
    """The weekly shift plan of one line. Instances are computed in the site's zone (apps/lines/shifts.py)."""

    line = models.OneToOneField(Line, on_delete=models.CASCADE, related_name="shift_pattern")
    name = models.CharField(max_length=120)

    def __str__(self) -> str:
        return f"{self.line.code}: {self.name}"


class Shift(models.Model):
    """A shift in a pattern: local start and end time; an end at or before the start runs past midnight."""

    pattern = models.ForeignKey(ShiftPattern, on_delete=models.CASCADE, related_name="shifts")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=60)
    start_time = models.TimeField()
    end_time = models.TimeField()
    weekdays = models.JSONField(default=list, help_text="Days the shift starts on, 0 = Monday … 6 = Sunday.")

    class Meta:
        ordering = ["pattern", "start_time"]
        constraints = [models.UniqueConstraint(fields=["pattern", "code"], name="shift_code_unique_per_pattern")]

    def __str__(self) -> str:
        return f"{self.name} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    @property
    def is_overnight(self) -> bool:
        return self.end_time <= self.start_time

    def clean(self) -> None:
        days = self.weekdays
        if not isinstance(days, list) or not days or any(d not in Weekday.values for d in days):
            raise ValidationError({"weekdays": "List the days the shift starts on as numbers 0 (Monday) to 6."})
        if len(set(days)) != len(days):
            raise ValidationError({"weekdays": "A day is listed twice."})


class ShiftBreak(models.Model):
    """A planned stop inside a shift (break, meal, meeting): excluded from planned production time."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="breaks")
    name = models.CharField(max_length=60)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["shift", "start_time"]

    def __str__(self) -> str:
        return f"{self.name} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class ReasonCategory(models.Model):
    """Top level of a line's downtime reason tree (mechanical, electrical, material …)."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="reason_categories")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=80)
    planned = models.BooleanField(default=False, help_text="Stops with these reasons are planned (excluded).")
    colour = models.CharField(max_length=7, default="#6b7280", validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")])

    class Meta:
        ordering = ["line", "code"]
        verbose_name_plural = "reason categories"
        constraints = [models.UniqueConstraint(fields=["line", "code"], name="reason_category_unique_per_line")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DowntimeReason(models.Model):
    """A reason operators pick for a stop. Codes are unique per line."""

    category = models.ForeignKey(ReasonCategory, on_delete=models.CASCADE, related_name="reasons")
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="downtime_reasons")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["line", "category__code", "code"]
        constraints = [models.UniqueConstraint(fields=["line", "code"], name="downtime_reason_unique_per_line")]

    def clean(self) -> None:
        if self.category_id and self.line_id and self.category.line_id != self.line_id:
            raise ValidationError({"category": "The category belongs to another line."})

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FaultCode(models.Model):
    """One bit of an equipment's fault word, in plain words for the floor."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="fault_codes")
    bit = models.PositiveSmallIntegerField(validators=[MaxValueValidator(63)])
    code = models.CharField(max_length=30, validators=[code_validator])
    text = models.CharField(max_length=200)
    category = models.CharField(max_length=40, blank=True)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MINOR)
    default_reason = models.ForeignKey(DowntimeReason, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+")
    raises_andon = models.BooleanField(default=False)
    andon_priority = models.CharField(max_length=10, choices=AndonPriority.choices, default=AndonPriority.MEDIUM)

    class Meta:
        ordering = ["equipment", "bit"]
        constraints = [
            models.UniqueConstraint(fields=["equipment", "bit"], name="fault_bit_unique_per_equipment"),
            models.UniqueConstraint(fields=["equipment", "code"], name="fault_code_unique_per_equipment"),
        ]

    def clean(self) -> None:
        if self.default_reason_id and self.equipment_id and self.default_reason.line_id != self.equipment.line_id:
            raise ValidationError({"default_reason": "The default reason belongs to another line's reason tree."})

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"


class PlcConnection(models.Model):
    """How the PLC worker reaches one controller. The worker only reads; it never writes to a PLC."""

    code = models.CharField(max_length=60, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120, blank=True)
    driver = models.CharField(max_length=8, choices=Driver.choices)
    host = models.CharField(max_length=253, blank=True, help_text="IP address or host name (empty for sim).")
    port = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(65535)],
                                       help_text="Empty for the protocol default (44818 EtherNet/IP, 102 S7).")
    slot = models.PositiveSmallIntegerField(default=0, help_text="Logix: CPU slot. S7: CPU slot.")
    rack = models.PositiveSmallIntegerField(default=0, help_text="S7 only.")
    poll_interval_ms = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(100)])
    timeout_ms = models.PositiveIntegerField(default=2000, validators=[MinValueValidator(100)])
    sim_seed = models.PositiveIntegerField(default=1, help_text="Seed of the simulated machine (sim only).")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "PLC connection"

    def __str__(self) -> str:
        return f"{self.code} ({self.get_driver_display()})"

    def clean(self) -> None:
        errors = {}
        if error := host_error(self.driver, self.host):
            errors["host"] = error
        if self.timeout_ms and self.poll_interval_ms and self.timeout_ms > 10 * self.poll_interval_ms:
            errors["timeout_ms"] = "The timeout is more than ten poll intervals; the equipment would look alive."
        if errors:
            raise ValidationError(errors)


class TagMap(models.Model):
    """Maps one canonical signal of one equipment to a PLC address, with type and scaling."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="tags")
    connection = models.ForeignKey(PlcConnection, on_delete=models.CASCADE, related_name="tags")
    signal = models.CharField(max_length=20, choices=Signal.choices)
    address = models.CharField(max_length=120)
    data_type = models.CharField(max_length=8, choices=DataType.choices)
    scale = models.FloatField(default=1.0)
    offset = models.FloatField(default=0.0)

    class Meta:
        ordering = ["equipment", "signal"]
        constraints = [models.UniqueConstraint(fields=["equipment", "signal"], name="one_tag_per_signal")]

    def __str__(self) -> str:
        return f"{self.equipment.code}.{self.signal} ← {self.address}"

    def clean(self) -> None:
        errors = {}
        if self.connection_id:
            if error := address_error(self.connection.driver, self.address):
                errors["address"] = error
        if self.signal == Signal.RUNNING and self.data_type != DataType.BOOL:
            errors["data_type"] = "The running signal must be a BOOL."
        if self.signal == Signal.FAULT_WORD and self.data_type not in (
            DataType.INT, DataType.UINT, DataType.DINT, DataType.UDINT, DataType.DINT2
        ):
            errors["data_type"] = "Fault bits must be read from an integer word (INT, DINT or DINT[2])."
        if self.signal in ("total_count", "reject_count", "rework_count") and self.data_type not in (
            DataType.SINT, DataType.INT, DataType.UINT, DataType.DINT, DataType.UDINT
        ):
            errors["data_type"] = "Counters must be integer tags (INT or DINT) so rollover can be detected."
        if self.signal in ("total_count", "reject_count", "rework_count") and (self.scale != 1 or self.offset != 0):
            errors["scale"] = "Counters cannot be scaled; rollover is computed on the raw value."
        if errors:
            raise ValidationError(errors)
