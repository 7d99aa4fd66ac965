from django.db import models


class OeePolicy(models.TextChoices):
    OEE_COM = "oee_com", "oee.com / Vorne practice"
    ISO22400 = "iso22400", "ISO 22400-2"


class Driver(models.TextChoices):
    LOGIX = "logix", "Allen-Bradley Logix (CompactLogix / ControlLogix)"
    SLC = "slc", "Allen-Bradley SLC 5/05"
    S7 = "s7", "Siemens S7"
    SIM = "sim", "Simulated PLC"


class DataType(models.TextChoices):
    BOOL = "BOOL", "BOOL"
    SINT = "SINT", "SINT (8-bit signed)"
    INT = "INT", "INT (16-bit signed)"
    UINT = "UINT", "UINT / WORD (16-bit unsigned)"
    DINT = "DINT", "DINT (32-bit signed)"
    UDINT = "UDINT", "UDINT / DWORD (32-bit unsigned)"
    REAL = "REAL", "REAL (32-bit float)"
    DINT2 = "DINT[2]", "DINT[2] (64-bit word from two DINTs)"


# Counter modulus per data type (shared/OEE.md §6): the rollover value is M, not M - 1.
COUNTER_MODULUS = {
    DataType.SINT: 2**8,
    DataType.INT: 2**16,
    DataType.UINT: 2**16,
    DataType.DINT: 2**32,
    DataType.UDINT: 2**32,
}


class Signal(models.TextChoices):
    """Canonical signals: what the transformer turns raw PLC tags into."""

    RUNNING = "running", "Running (BOOL)"
    FAULT_WORD = "fault_word", "Fault bits (word; DINT[2] for 64 bits)"
    TOTAL_COUNT = "total_count", "Total count (counter)"
    REJECT_COUNT = "reject_count", "Reject count (counter)"
    REWORK_COUNT = "rework_count", "Rework count (counter)"
    SPEED = "speed", "Speed (units per minute)"
    MODE = "mode", "Mode (0 auto, 1 manual, 2 changeover, 3 maintenance)"
    PRODUCT = "product", "Product number"


COUNTER_SIGNALS = {Signal.TOTAL_COUNT, Signal.REJECT_COUNT, Signal.REWORK_COUNT}


class Severity(models.IntegerChoices):
    INFO = 1, "Info"
    WARNING = 2, "Warning"
    MINOR = 3, "Minor"
    MAJOR = 4, "Major"
    CRITICAL = 5, "Critical"


class AndonPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"
