from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from apps.lines import models


class SiteFactory(DjangoModelFactory[models.Site]):
    class Meta:
        model = models.Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SITE{n}")
    name = factory.LazyAttribute(lambda o: f"Plant {o.code}")
    time_zone = "Europe/Berlin"


class AreaFactory(DjangoModelFactory[models.Area]):
    class Meta:
        model = models.Area

    site = factory.SubFactory(SiteFactory)
    code = factory.Sequence(lambda n: f"AREA{n}")
    name = factory.LazyAttribute(lambda o: f"Area {o.code}")


class LineFactory(DjangoModelFactory[models.Line]):
    class Meta:
        model = models.Line

    area = factory.SubFactory(AreaFactory)
    code = factory.Sequence(lambda n: f"L{n}")
    name = factory.LazyAttribute(lambda o: f"Line {o.code}")


class EquipmentFactory(DjangoModelFactory[models.Equipment]):
    class Meta:
        model = models.Equipment

    line = factory.SubFactory(LineFactory)
    code = factory.Sequence(lambda n: f"EQ{n:04d}")
    name = factory.LazyAttribute(lambda o: f"Machine {o.code}")
    position = factory.Sequence(lambda n: n + 1)
    criticality = 3


class ProductFactory(DjangoModelFactory[models.Product]):
    class Meta:
        model = models.Product

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.LazyAttribute(lambda o: f"Product {o.code}")
    ideal_cycle_time_s = Decimal("1.0")


class ShiftPatternFactory(DjangoModelFactory[models.ShiftPattern]):
    class Meta:
        model = models.ShiftPattern

    line = factory.SubFactory(LineFactory)
    name = "Three shifts"


class ShiftFactory(DjangoModelFactory[models.Shift]):
    class Meta:
        model = models.Shift

    pattern = factory.SubFactory(ShiftPatternFactory)
    code = factory.Sequence(lambda n: f"S{n}")
    name = factory.LazyAttribute(lambda o: f"Shift {o.code}")
    start_time = dt.time(6, 0)
    end_time = dt.time(14, 0)
    weekdays = factory.LazyFunction(lambda: [0, 1, 2, 3, 4, 5, 6])


class PlcConnectionFactory(DjangoModelFactory[models.PlcConnection]):
    class Meta:
        model = models.PlcConnection

    code = factory.Sequence(lambda n: f"PLC{n}")
    driver = "sim"


def three_shift_pattern(line: models.Line) -> models.ShiftPattern:
    """Early 06–14, late 14–22, night 22–06, every day, a 30-minute break in each."""
    pattern = ShiftPatternFactory(line=line)
    for code, start, end, brk in (("E", 6, 14, 10), ("L", 14, 22, 18), ("N", 22, 6, 2)):
        shift = ShiftFactory(pattern=pattern, code=code, name={"E": "Early", "L": "Late", "N": "Night"}[code],
                             start_time=dt.time(start), end_time=dt.time(end))
        models.ShiftBreak.objects.create(shift=shift, name="Break", start_time=dt.time(brk),
                                         end_time=dt.time(brk, 30))
    return pattern
