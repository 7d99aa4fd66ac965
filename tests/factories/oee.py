"""Factories and builders for OEE engine tests: a line with a shift calendar and a sample stream builder that
feeds the real ingest path (apps/oee/ingest.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from apps.lines import models as lm
from apps.oee.ingest import EquipmentSample, samples_ingest
from tests.factories.lines import (
    AreaFactory,
    EquipmentFactory,
    LineFactory,
    ProductFactory,
    ShiftFactory,
    ShiftPatternFactory,
    SiteFactory,
)

UTC = dt.timezone.utc


def line_with_shifts(*, tz: str = "UTC", shifts=(), policy: str = "oee_com", code: str | None = None):
    """A line in a site of zone ``tz`` with shifts given as (code, start "HH:MM", end "HH:MM", [(break start,
    break end), ...]) every day."""
    site = SiteFactory(code=f"S-{tz.replace('/', '-')}", time_zone=tz)
    kwargs = {"code": code} if code else {}
    line = LineFactory(area=AreaFactory(site=site), oee_policy=policy, **kwargs)
    if shifts:
        pattern = ShiftPatternFactory(line=line)
        for scode, start, end, breaks in shifts:
            shift = ShiftFactory(pattern=pattern, code=scode, start_time=dt.time.fromisoformat(start),
                                 end_time=dt.time.fromisoformat(end))
            for bs, be in breaks:
                lm.ShiftBreak.objects.create(shift=shift, name="Break", start_time=dt.time.fromisoformat(bs),
                                             end_time=dt.time.fromisoformat(be))
    return line


def equipment_on(line, **kwargs):
    return EquipmentFactory(line=line, **kwargs)


def product(ict: str = "1.0", **kwargs):
    return ProductFactory(ideal_cycle_time_s=Decimal(ict), **kwargs)


class Feed:
    """Builds a sample stream for one equipment: raw counters kept here, advanced by ``run``."""

    def __init__(self, equipment, *, product_number: int | None = None, modulus: int = 2**32, start_total: int = 0):
        self.eq = equipment
        self.product = product_number
        self.modulus = modulus
        self.raw = {"total_count": start_total, "reject_count": 0, "rework_count": 0}
        self.samples: list[EquipmentSample] = []

    def sample(self, ts, *, running=True, comms_ok=True, mode=None, fault_word=None, counters=None):
        counters = dict(self.raw if counters is None else counters)
        s = EquipmentSample(equipment_id=self.eq.pk, ts=ts, comms_ok=comms_ok, running=running,
                            counters={k: v % self.modulus for k, v in counters.items()},
                            counter_moduli=dict.fromkeys(counters, self.modulus), fault_word=fault_word, mode=mode,
                            product=self.product)
        self.samples.append(s)
        return s

    def run(self, start, seconds: int, *, total: int, reject: int = 0, rework: int = 0, step: int = 60, **kw):
        """Running from ``start`` for ``seconds``, making ``total`` units spread over samples every ``step`` s."""
        n = max(seconds // step, 1)
        made = [0, 0, 0]
        self.sample(start, running=True, **kw)
        for i in range(1, n + 1):
            target = [total * i // n, reject * i // n, rework * i // n]
            for j, name in enumerate(("total_count", "reject_count", "rework_count")):
                self.raw[name] += target[j] - made[j]
            made = target
            # The last units are observed one second before the run ends, so they belong to the run's window.
            ts = start + dt.timedelta(seconds=min(i * step, seconds - 1))
            self.sample(ts, running=True, **kw)
        self.end_ts = start + dt.timedelta(seconds=seconds)

    def stop(self, start, **kw):
        self.sample(start, running=False, **kw)

    def ingest(self):
        result = samples_ingest(self.samples)
        self.samples = []
        return result
