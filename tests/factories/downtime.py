"""Factories for the downtime app's configuration: reason tree and fault catalog."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from apps.lines import models as lm


class ReasonCategoryFactory(DjangoModelFactory[lm.ReasonCategory]):
    class Meta:
        model = lm.ReasonCategory

    code = factory.Sequence(lambda n: f"CAT{n}")
    name = factory.LazyAttribute(lambda o: f"Category {o.code}")
    planned = False


class DowntimeReasonFactory(DjangoModelFactory[lm.DowntimeReason]):
    class Meta:
        model = lm.DowntimeReason

    category = factory.SubFactory(ReasonCategoryFactory)
    line = factory.SelfAttribute("category.line")
    code = factory.Sequence(lambda n: f"R{n}")
    name = factory.LazyAttribute(lambda o: f"Reason {o.code}")


class FaultCodeFactory(DjangoModelFactory[lm.FaultCode]):
    class Meta:
        model = lm.FaultCode

    bit = factory.Sequence(lambda n: n % 64)
    code = factory.Sequence(lambda n: f"F{n}")
    text = factory.LazyAttribute(lambda o: f"Fault {o.code}")
    category = "mechanical"
