"""Response-time KPIs on a worked example (the figures are computed by hand in the comments)."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.andon import services
from apps.andon.selectors import andon_calls_in, andon_kpis
from tests.factories.lines import three_shift_pattern

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # 09:00 Berlin, early shift


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def example(line_a, line_b, supervisor):
    three_shift_pattern(line_a)
    for line in (line_a, line_b):
        services.andon_categories_ensure(line_id=line.pk)
    # A: maintenance (high), ack after 2 min, resolved after 10 min.
    a = services.andon_call_raise(line_id=line_a.pk, category="maintenance", now=at(0))
    services.andon_call_acknowledge(call_id=a.pk, user=supervisor, now=at(2))
    services.andon_call_resolve(call_id=a.pk, user=supervisor, notes="ok", now=at(10))
    # B: quality (medium), ack after 6 min, resolved after 30 min.
    b = services.andon_call_raise(line_id=line_a.pk, category="quality", now=at(5))
    services.andon_call_acknowledge(call_id=b.pk, user=supervisor, now=at(11))
    services.andon_call_resolve(call_id=b.pk, user=supervisor, notes="ok", now=at(35))
    # C: help (low), cancelled: counted as a call, in neither time.
    c = services.andon_call_raise(line_id=line_a.pk, category="help", now=at(20))
    services.andon_call_cancel(call_id=c.pk, user=supervisor, now=at(21))
    # D: maintenance, still open; opened 7.5 h later, in the late shift (14:00–22:00 Berlin = 13:00–21:00 UTC).
    d = services.andon_call_raise(line_id=line_a.pk, category="maintenance", now=at(7 * 60 + 30))
    # On line B (not asked for) and outside the window: ignored.
    services.andon_call_raise(line_id=line_b.pk, category="help", now=at(1))
    services.andon_call_raise(line_id=line_a.pk, category="safety", now=at(-60))
    return a, b, c, d


def test_calls_in_window_of_the_given_lines(example, line_a):
    a, b, c, d = example
    calls = list(andon_calls_in(line_ids=[line_a.pk], start=T0, end=at(24 * 60)))
    assert [x.pk for x in calls] == [a.pk, b.pk, c.pk, d.pk]


def test_kpis_worked_example(example, line_a):
    k = andon_kpis(line_ids=[line_a.pk], start=T0, end=at(8 * 60))
    assert k["calls"] == 4
    assert k["by_status"] == {"resolved": 2, "cancelled": 1, "open": 1}
    # Acknowledge: 120 s and 360 s. Resolve: 600 s and 1800 s.
    assert (k["tta"]["count"], k["tta"]["mean_s"], k["tta"]["median_s"], k["tta"]["max_s"]) == (2, 240.0, 240.0,
                                                                                               360.0)
    assert (k["ttr"]["count"], k["ttr"]["mean_s"], k["ttr"]["max_s"]) == (2, 1200.0, 1800.0)
    by = k["by"]
    assert by["category"]["maintenance"]["calls"] == 2 and by["category"]["maintenance"]["tta"]["median_s"] == 120.0
    assert by["category"]["quality"]["ttr"]["median_s"] == 1800.0
    assert by["priority"]["low"] == {"calls": 1, "tta": by["priority"]["low"]["tta"], "ttr": by["priority"]["low"]["ttr"]}
    assert by["priority"]["low"]["tta"]["count"] == 0
    assert {key: v["calls"] for key, v in by["shift"].items()} == {"E": 3, "L": 1}
    assert by["line"] == {line_a.code: by["line"][line_a.code]} and by["line"][line_a.code]["calls"] == 4
    # Ageing at the end of the window (8 h): D is 30 min old; the safety call (-60 min) is outside the window
    # but still open, so it ages too (9 h).
    ageing = k["open_ageing"]
    assert ageing["open"] == 2
    assert ageing["buckets"] == {"< 5 min": 0, "5–15 min": 0, "15–60 min": 1, "> 60 min": 1}
    assert ageing["oldest_s"] == 9 * 3600


def test_ageing_as_of_a_past_end_ignores_later_resolution(example, line_a):
    # At 3 min, A (acknowledged, resolved at 10) was live for 3 min and the safety call for 63 min.
    k = andon_kpis(line_ids=[line_a.pk], start=at(-120), end=at(3))
    assert k["open_ageing"]["open"] == 2
    assert k["open_ageing"]["buckets"] == {"< 5 min": 1, "5–15 min": 0, "15–60 min": 0, "> 60 min": 1}


def test_empty_window(line_a):
    k = andon_kpis(line_ids=[line_a.pk], start=T0, end=at(60))
    assert k["calls"] == 0 and k["tta"]["median_s"] is None and k["open_ageing"]["open"] == 0
