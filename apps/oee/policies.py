"""OEE policy presets (shared/OEE.md §2): which bucket each effective state falls in. Versioned: every computed
figure names the preset and version it was computed under. Change a preset only by adding a new version."""

from __future__ import annotations

from dataclasses import dataclass

EXCLUDED, AVAILABILITY, PERFORMANCE, RUNNING = "excluded", "availability", "performance", "running"

STATES = ("running", "small_stop", "unplanned_stop", "pending_stop", "changeover", "planned_stop", "no_order",
          "not_scheduled", "no_data")


@dataclass(frozen=True)
class Policy:
    name: str
    version: int
    buckets: dict

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


_COMMON = {"running": RUNNING, "unplanned_stop": AVAILABILITY, "pending_stop": AVAILABILITY,
           "changeover": AVAILABILITY, "planned_stop": EXCLUDED, "not_scheduled": EXCLUDED, "no_data": EXCLUDED}

POLICIES = {
    ("oee_com", 1): Policy("oee_com", 1, {**_COMMON, "no_order": EXCLUDED, "small_stop": PERFORMANCE}),
    ("iso22400", 1): Policy("iso22400", 1, {**_COMMON, "no_order": AVAILABILITY, "small_stop": AVAILABILITY}),
}
CURRENT_VERSION = {"oee_com": 1, "iso22400": 1}


def policy_get(name: str, version: int | None = None) -> Policy:
    try:
        return POLICIES[(name, version or CURRENT_VERSION[name])]
    except KeyError:
        raise ValueError(f"Unknown OEE policy {name!r} (version {version}); choose oee_com or iso22400.") from None
