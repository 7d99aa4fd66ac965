"""Where the worker gets ``EquipmentSample`` and the default sink from: the OEE engine's ``apps.oee.ingest``.

The OEE engine owns the contract. Until its module is importable (it is written in parallel), a structurally
identical stand-in keeps the worker's own tests runnable with a recording sink; no sink is ever faked here:
``default_sink`` raises if the OEE engine is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

try:
    from apps.oee.ingest import EquipmentSample  # noqa: F401
except ImportError:  # pragma: no cover - only before apps/oee/ingest.py exists

    @dataclass(frozen=True)
    class EquipmentSample:  # type: ignore[no-redef]
        equipment_id: int
        ts: datetime
        comms_ok: bool = True
        running: bool | None = None
        counters: Mapping[str, int] = field(default_factory=dict)
        counter_moduli: Mapping[str, int] = field(default_factory=dict)
        fault_word: int | None = None
        mode: int | None = None
        speed: float | None = None
        product: int | None = None


def default_sink(samples):
    from apps.oee.ingest import samples_ingest

    return samples_ingest(samples)
