import datetime as dt

import pytest

from apps.oee.selectors import equipment_oee
from tests.factories.oee import Feed, equipment_on, line_with_shifts, product

UTC = dt.timezone.utc
pytestmark = pytest.mark.django_db


def t(h, m=0, s=0, day=2):
    return dt.datetime(2026, 3, day, h, m, s, tzinfo=UTC)


def test_oee_com_reference_example():
    """Shift 480 min, breaks 60 min, stop 47 min, ICT 1.0 s, total 19,271, reject 423 → OEE 0.747937."""
    line = line_with_shifts(shifts=[("E", "06:00", "14:00", [("09:00", "09:30"), ("12:00", "12:30")])])
    p = product("1.0", code="101")
    eq = equipment_on(line)
    feed = Feed(eq, product_number=101)
    # 06:00–09:00 run (180 min), break, 09:30–12:00 run with a 47-min stop at 10:00, break, 12:30–14:00 run.
    # Run minutes: 180 + (150 - 47) + 90 = 373.
    feed.run(t(6), 180 * 60, total=9300, reject=200)
    feed.stop(t(9))
    feed.run(t(9, 30), 30 * 60, total=1500, reject=30)
    feed.stop(t(10))
    feed.run(t(10, 47), 73 * 60, total=3771, reject=93)
    feed.stop(t(12))
    feed.run(t(12, 30), 90 * 60, total=4700, reject=100)
    feed.stop(t(14))
    feed.sample(t(14, 30), running=False)
    feed.ingest()
    assert p.pk
    fig = equipment_oee(equipment=eq, start=t(6), end=t(14), as_of=t(15))
    assert fig.planned_production_time_s == 420 * 60
    assert fig.run_time_s == 373 * 60
    assert fig.total_count == 19271 and fig.reject_count == 423
    assert fig.availability == pytest.approx(0.888095, abs=1e-6)
    assert fig.performance == pytest.approx(0.861081, abs=1e-6)
    assert fig.quality == pytest.approx(0.978050, abs=1e-6)
    assert fig.oee == pytest.approx(0.747937, abs=1e-6)
    assert fig.oee == pytest.approx(18848 / 25200, rel=1e-12)
    assert fig.downtime_s == 47 * 60
    assert fig.stop_count == 1
    assert fig.policy == "oee_com@1"
