"""Factories for reports: templates, generated reports, handover notes, and a plant with one shift of real data fed
through the OEE engine's ingest (apps/oee/ingest.py) — never written into the OEE tables directly."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.reports import models as rm
from tests.factories.downtime import DowntimeReasonFactory, ReasonCategoryFactory
from tests.factories.oee import Feed, equipment_on, line_with_shifts, product

UTC = dt.timezone.utc


class ReportTemplateFactory(DjangoModelFactory[rm.ReportTemplate]):
    class Meta:
        model = rm.ReportTemplate

    line = factory.SubFactory("tests.factories.lines.LineFactory")
    name = factory.Sequence(lambda n: f"Template {n}")
    kind = "shift"
    sections = factory.LazyFunction(list)
    page_size = "a4"
    schedule = "none"


class GeneratedReportFactory(DjangoModelFactory[rm.GeneratedReport]):
    """A report row without files (for access tests); real files come from services.report_generate."""

    class Meta:
        model = rm.GeneratedReport

    line = factory.SubFactory("tests.factories.lines.LineFactory")
    kind = "shift"
    title = factory.Sequence(lambda n: f"Report {n}")
    window_start = dt.datetime(2026, 3, 2, 5, tzinfo=UTC)
    window_end = dt.datetime(2026, 3, 2, 13, tzinfo=UTC)
    created_at = factory.LazyFunction(timezone.now)
    status = "done"


class HandoverNoteFactory(DjangoModelFactory[rm.HandoverNote]):
    class Meta:
        model = rm.HandoverNote

    line = factory.SubFactory("tests.factories.lines.LineFactory")
    shift_key = factory.Sequence(lambda n: f"x:E:2026-03-{n % 28 + 1:02d}")
    shift_code = "E"
    production_date = dt.date(2026, 3, 2)
    shift_start = dt.datetime(2026, 3, 2, 5, tzinfo=UTC)
    shift_end = dt.datetime(2026, 3, 2, 13, tzinfo=UTC)
    updated_at = factory.LazyFunction(timezone.now)


def berlin_plant(code: str = "RPT1"):
    """A Berlin line with an early shift 06:00–14:00 (break 09:00–09:30), a late shift 14:00–22:00 and a night
    shift 22:00–06:00, one filler equipment, product P1 (ICT 1 s) and a JAM reason."""
    line = line_with_shifts(tz="Europe/Berlin", code=code, shifts=[
        ("E", "06:00", "14:00", [("09:00", "09:30")]), ("L", "14:00", "22:00", []), ("N", "22:00", "06:00", [])])
    p1 = product("1.0", code=f"{code}P1")
    eq = equipment_on(line, code=f"{code}.FILL", is_primary=True, position=1)
    cat = ReasonCategoryFactory(line=line, code=f"{code}MECH")
    jam = DowntimeReasonFactory(category=cat, code="JAM")
    return line, eq, p1, jam


def feed_early_shift(eq, p1, *, day=dt.date(2026, 3, 2)):
    """The early shift of ``day`` (Berlin, UTC+1 in March): 05:00–07:00Z run making 7,000 (70 rejects, 20 rework);
    07:00–07:20Z stopped; 07:20–08:00Z run making 2,000; 08:00–08:30Z break (stopped); 08:30–12:00Z run making
    12,000 (100 rejects); 12:00–13:00Z comms lost (no data). Returns the shift window in UTC."""
    start = dt.datetime.combine(day, dt.time(5), tzinfo=UTC)
    f = Feed(eq, product_number=p1.pk)
    f.run(start, 7200, total=7000, reject=70, rework=20)
    f.stop(start + dt.timedelta(hours=2))
    f.run(start + dt.timedelta(hours=2, minutes=20), 2400, total=2000)
    f.stop(start + dt.timedelta(hours=3))
    f.run(start + dt.timedelta(hours=3, minutes=30), 12600, total=12000, reject=100)
    f.sample(start + dt.timedelta(hours=7), comms_ok=False)
    f.sample(start + dt.timedelta(hours=8), running=False)
    f.ingest()
    return start, start + dt.timedelta(hours=8)
