"""Shift instances in the site's time zone (Europe/Berlin): overnight shifts, DST nights, breaks, production dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from apps.lines.shifts import shift_instance_at, shift_instances
from apps.lines.validation import ShiftShape, break_error, shift_overlap_errors
from tests.factories.lines import AreaFactory, LineFactory, SiteFactory, three_shift_pattern

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def line(db):
    site = SiteFactory(code="BERLIN", time_zone="Europe/Berlin")
    line = LineFactory(area=AreaFactory(site=site))
    three_shift_pattern(line)  # E 06–14, L 14–22, N 22–06 every day; breaks 10:00, 18:00, 02:00 (30 min)
    return line


def night_of(line, day: dt.date):
    start = local(day.year, day.month, day.day, 12)
    insts = [i for i in shift_instances(line, start, start + dt.timedelta(days=1)) if i.shift_code == "N"]
    matching = [i for i in insts if i.production_date == day]
    assert len(matching) == 1
    return matching[0]


def test_an_ordinary_night_shift_runs_past_midnight(line):
    night = night_of(line, dt.date(2026, 1, 14))
    assert (night.start, night.end) == (utc(2026, 1, 14, 21), utc(2026, 1, 15, 5))
    assert night.duration_s == 8 * 3600
    assert night.production_date == dt.date(2026, 1, 14)
    assert night.key.endswith(":N:2026-01-14")


def test_spring_forward_night_is_7_hours(line):
    night = night_of(line, dt.date(2026, 3, 28))  # clocks go 02:00 → 03:00 on Sunday 29 March 2026
    assert (night.start, night.end) == (utc(2026, 3, 28, 21), utc(2026, 3, 29, 4))
    assert night.duration_s == 7 * 3600


def test_fall_back_night_is_9_hours(line):
    night = night_of(line, dt.date(2026, 10, 24))  # clocks go 03:00 → 02:00 on Sunday 25 October 2026
    assert (night.start, night.end) == (utc(2026, 10, 24, 20), utc(2026, 10, 25, 5))
    assert night.duration_s == 9 * 3600


def test_the_days_around_dst_are_8_hours_again(line):
    assert night_of(line, dt.date(2026, 3, 29)).duration_s == 8 * 3600
    assert night_of(line, dt.date(2026, 10, 25)).duration_s == 8 * 3600


def test_breaks_of_a_night_shift_fall_on_the_next_morning(line):
    night = night_of(line, dt.date(2026, 1, 14))
    assert night.breaks == ((utc(2026, 1, 15, 1), utc(2026, 1, 15, 1, 30)),)
    assert night.break_s == 30 * 60
    # On the fall-back night 02:00 happens twice; the break is taken at the first 02:00 (CEST).
    autumn = night_of(line, dt.date(2026, 10, 24))
    assert autumn.breaks == ((utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30)),)


def test_a_night_shift_belongs_to_the_date_it_started(line):
    inst = shift_instance_at(line, local(2026, 3, 29, 3, 30))
    assert inst.shift_code == "N" and inst.production_date == dt.date(2026, 3, 28)
    inst = shift_instance_at(line, local(2026, 1, 1, 5, 59))
    assert inst.shift_code == "N" and inst.production_date == dt.date(2025, 12, 31)
    inst = shift_instance_at(line, local(2026, 1, 1, 6, 0))
    assert inst.shift_code == "E" and inst.production_date == dt.date(2026, 1, 1)


def test_instances_tile_a_dst_week_without_gaps_or_overlaps(line):
    insts = shift_instances(line, local(2026, 3, 23), local(2026, 3, 30))
    assert [i.shift_code for i in insts[:3]] == ["N", "E", "L"]  # the night that started on Sunday 22nd first
    for a, b in zip(insts, insts[1:]):
        assert a.end == b.start
    assert (insts[0].start, insts[-1].end) == (local(2026, 3, 22, 22), local(2026, 3, 30, 6))
    assert sum(i.duration_s for i in insts) == (7 * 24 + 8 - 1) * 3600  # 7 days 8 hours on the wall, minus DST


# ------------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(("shift", "brk", "ok"), [
    (("22:00", "06:00"), ("01:00", "01:30"), True),
    (("22:00", "06:00"), ("23:45", "00:15"), True),     # across midnight inside the night
    (("22:00", "06:00"), ("05:45", "06:00"), True),     # ends with the shift
    (("22:00", "06:00"), ("05:45", "06:15"), False),
    (("22:00", "06:00"), ("21:30", "22:15"), False),
    (("22:00", "06:00"), ("12:00", "12:30"), False),
    (("06:00", "14:00"), ("09:00", "09:15"), True),
    (("06:00", "14:00"), ("13:50", "14:10"), False),
    (("06:00", "14:00"), ("09:15", "09:00"), False),    # ends before it starts
    (("06:00", "14:00"), ("09:00", "09:00"), False),
])
def test_break_error(shift, brk, ok):
    t = dt.time.fromisoformat
    assert (break_error(t(shift[0]), t(shift[1]), t(brk[0]), t(brk[1])) is None) is ok


def test_overlap_errors_name_both_shifts_and_accept_a_clean_pattern():
    t = dt.time.fromisoformat
    clean = [ShiftShape(pk=1, code="E", start_time=t("06:00"), end_time=t("14:00"), weekdays=[0, 1, 2, 3, 4]),
             ShiftShape(pk=2, code="N", start_time=t("22:00"), end_time=t("06:00"), weekdays=[6, 0, 1, 2, 3])]
    assert shift_overlap_errors(clean, tz=BERLIN) == []
    # A night shift starting on Friday runs into Saturday's early shift only if there is one on Saturday.
    clash = clean + [ShiftShape(pk=3, code="S", start_time=t("05:00"), end_time=t("09:00"), weekdays=[5])]
    clash[1].weekdays = [4]
    messages = shift_overlap_errors(clash, tz=BERLIN)
    assert messages and all("Shift N (Fri) overlaps shift S (Sat)" in m for m in messages)
