from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.jobs import models
from tests.factories.lines import LineFactory, ProductFactory


class ScheduleEntryFactory(DjangoModelFactory[models.ScheduleEntry]):
    """A schedule entry created through the service (so it gets its job, flags and overlap check)."""

    class Meta:
        model = models.ScheduleEntry

    line = factory.SubFactory(LineFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 100
    planned_start = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))
    planned_end = factory.LazyAttribute(lambda o: o.planned_start + dt.timedelta(hours=1))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from apps.jobs.services import schedule_entry_create

        return schedule_entry_create(**kwargs)


class ChangeoverTargetFactory(DjangoModelFactory[models.ChangeoverTarget]):
    class Meta:
        model = models.ChangeoverTarget

    line = factory.SubFactory(LineFactory)
    from_product = factory.SubFactory(ProductFactory)
    to_product = factory.SubFactory(ProductFactory)
    target_s = 900


def job_on_line(line, **kwargs):
    """A fresh job on ``line`` in a free slot (each call plans the next hour), for tests and the access matrix."""
    from apps.jobs.models import ScheduleEntry

    n = ScheduleEntry.objects.filter(line=line).count()
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=30, hours=n)
    return ScheduleEntryFactory(line=line, planned_start=start, planned_end=start + dt.timedelta(hours=1),
                                **kwargs).job
