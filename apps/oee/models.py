"""The OEE engine's stored facts (shared/OEE.md): one state timeline per equipment as intervals, counts as deltas,
data-quality events, the per-equipment last-known raw values, and hourly rollups.

Only ``apps/oee/ingest.py`` and ``apps/oee/services.py`` write these rows.
"""

from __future__ import annotations

from django.db import models

from apps.lines.models import Equipment, Product


class BaseState(models.TextChoices):
    """What the machine itself was doing. The calendar (shifts, breaks) and the downtime reason turn a base state
    into the effective states of shared/OEE.md §1 at computation time (apps/oee/calculator.py)."""

    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"  # small_stop / unplanned_stop / pending, decided by the stop's length
    CHANGEOVER = "changeover", "Changeover"
    NO_ORDER = "no_order", "No order"
    NO_DATA = "no_data", "No data"


class EquipmentRuntime(models.Model):
    """Last-known raw values and operator context of one equipment, so a restarted worker reconciles counts by the
    same delta rule. Updated only when something changes."""

    equipment = models.OneToOneField(Equipment, on_delete=models.CASCADE, primary_key=True, related_name="runtime")
    last_change_ts = models.DateTimeField(null=True, blank=True)
    comms_ok = models.BooleanField(default=True)
    running = models.BooleanField(null=True, blank=True)
    mode = models.SmallIntegerField(null=True, blank=True)
    fault_word = models.DecimalField(max_digits=20, decimal_places=0, null=True, blank=True)
    counters = models.JSONField(default=dict, blank=True)
    counters_ts = models.DateTimeField(null=True, blank=True)
    last_advance_ts = models.DateTimeField(null=True, blank=True)
    product_number = models.IntegerField(null=True, blank=True)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ict_s = models.FloatField(null=True, blank=True, help_text="Ideal cycle time snapshotted at run start.")
    ctx_product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ctx_changeover = models.BooleanField(default=False)
    ctx_no_order = models.BooleanField(default=False)
    job_ref = models.CharField(max_length=60, blank=True)
    rolled_up_from = models.DateTimeField(null=True, blank=True, help_text="First hour with a rollup row.")
    rolled_up_to = models.DateTimeField(null=True, blank=True, help_text="Hours before this have current rollups.")

    def __str__(self) -> str:
        return f"runtime of {self.equipment_id}"


class StateInterval(models.Model):
    """One slice of the base timeline: [start, end). ``end`` is null while the state lasts."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="state_intervals")
    state = models.CharField(max_length=12, choices=BaseState.choices)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ict_s = models.FloatField(null=True, blank=True)
    job_ref = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["equipment", "start"]
        indexes = [models.Index(fields=["equipment", "start"]), models.Index(fields=["equipment", "end"])]

    def __str__(self) -> str:
        return f"{self.equipment_id} {self.state} {self.start:%Y-%m-%d %H:%M:%S}–{self.end or '…'}"


class CountDelta(models.Model):
    """Counts observed at ``ts`` (deltas of the raw counters, shared/OEE.md §6), with the ICT of the active run."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="count_deltas")
    ts = models.DateTimeField()
    total = models.IntegerField(default=0)
    reject = models.IntegerField(default=0)
    rework = models.IntegerField(default=0)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ict_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["equipment", "ts"]
        indexes = [models.Index(fields=["equipment", "ts"])]


class DataQualityEvent(models.Model):
    """Something the engine refused to guess about: an implausible counter jump, a counter reset, a late sample."""

    class Kind(models.TextChoices):
        COUNTER_IMPLAUSIBLE = "counter_implausible", "Counter jump rejected"
        COUNTER_RESET = "counter_reset", "Counter reset"
        LATE_SAMPLE = "late_sample", "Late sample discarded"
        UNKNOWN_PRODUCT = "unknown_product", "Unknown product number"

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="data_quality_events")
    ts = models.DateTimeField()
    kind = models.CharField(max_length=24, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["equipment", "ts"]
        indexes = [models.Index(fields=["equipment", "ts"])]


class RollupFields(models.Model):
    """Additive, policy-independent figures of one equipment over one period: seconds per effective state and
    counts. Year-long queries sum these instead of rescanning intervals and deltas."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="+")
    running_s = models.FloatField(default=0)
    small_stop_s = models.FloatField(default=0)
    unplanned_stop_s = models.FloatField(default=0)
    pending_stop_s = models.FloatField(default=0)
    changeover_s = models.FloatField(default=0)
    planned_stop_s = models.FloatField(default=0)
    no_order_s = models.FloatField(default=0)
    not_scheduled_s = models.FloatField(default=0)
    no_data_s = models.FloatField(default=0)
    total = models.BigIntegerField(default=0)
    reject = models.BigIntegerField(default=0)
    rework = models.BigIntegerField(default=0)
    ict_total_s = models.FloatField(default=0)
    ict_good_s = models.FloatField(default=0)
    count_without_ict = models.BigIntegerField(default=0)
    small_stop_count = models.IntegerField(default=0)
    stop_count = models.IntegerField(default=0)

    class Meta:
        abstract = True


class HourRollup(RollupFields):
    """One equipment over one UTC hour."""

    hour = models.DateTimeField()

    class Meta:
        ordering = ["equipment", "hour"]
        constraints = [models.UniqueConstraint(fields=["equipment", "hour"], name="hour_rollup_unique")]


class DayRollup(RollupFields):
    """One equipment over one UTC day: the sum of its hour rollups (a second level, so a year is 365 rows)."""

    day = models.DateTimeField()

    class Meta:
        ordering = ["equipment", "day"]
        constraints = [models.UniqueConstraint(fields=["equipment", "day"], name="day_rollup_unique")]


class HourReasonRollup(models.Model):
    """Unplanned stop seconds per reason (null = uncoded) of one equipment over one UTC hour."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    reason = models.ForeignKey("lines.DowntimeReason", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    seconds = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["equipment", "hour"])]


class DayReasonRollup(models.Model):
    """Unplanned stop seconds per reason of one equipment over one UTC day (sum of its hours)."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="+")
    day = models.DateTimeField()
    reason = models.ForeignKey("lines.DowntimeReason", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    seconds = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["equipment", "day"])]
