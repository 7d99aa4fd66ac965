from __future__ import annotations

from django.db import models


class ReportKind(models.TextChoices):
    SHIFT = "shift", "Shift report"
    DAILY = "daily", "Daily production"
    WEEKLY = "weekly", "Weekly production"
    OEE = "oee_analysis", "OEE analysis"
    DOWNTIME = "downtime_analysis", "Downtime analysis"
    CUSTOM = "custom", "Custom period"


class PageSize(models.TextChoices):
    A4 = "a4", "A4"
    LETTER = "letter", "Letter"


class Schedule(models.TextChoices):
    NONE = "none", "On demand only"
    SHIFT_END = "shift_end", "At the end of every shift"
    DAILY = "daily", "Daily (after local midnight)"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# Section key -> title. The order here is the default display order.
SECTIONS: dict[str, str] = {
    "oee": "OEE against targets",
    "hourly": "Hour by hour",
    "production": "Production",
    "trend": "OEE trend",
    "losses": "Loss breakdown",
    "by_product": "OEE by product",
    "by_shift": "OEE by shift",
    "downtime": "Downtime Pareto and list",
    "equipment": "Downtime by equipment (MTBF / MTTR)",
    "andon": "Andon calls",
    "jobs": "Jobs",
    "checklists": "Checklists",
    "quality": "Scrap and rework",
    "handover": "Handover notes and open issues",
}

DEFAULT_SECTIONS: dict[str, list[str]] = {
    ReportKind.SHIFT: ["oee", "hourly", "downtime", "andon", "jobs", "checklists", "quality", "handover"],
    ReportKind.DAILY: ["oee", "production", "downtime", "quality", "handover"],
    ReportKind.WEEKLY: ["oee", "production", "trend", "downtime", "quality"],
    ReportKind.OEE: ["oee", "trend", "losses", "by_product", "by_shift"],
    ReportKind.DOWNTIME: ["downtime", "equipment"],
    ReportKind.CUSTOM: ["oee", "production", "losses", "downtime", "equipment", "quality"],
}
