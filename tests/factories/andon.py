from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.andon import models
from tests.factories.lines import LineFactory


class AndonCallFactory(DjangoModelFactory[models.AndonCall]):
    """A live call raised by hand on ``line`` (no equipment unless given; a unique reason each)."""

    class Meta:
        model = models.AndonCall

    line = factory.SubFactory(LineFactory)
    source = "manual"
    category = "maintenance"
    priority = "medium"
    title = factory.Sequence(lambda n: f"Call {n}")
    status = "open"
    opened_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyAttribute(lambda o: o.opened_at)
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")


class EscalationRuleFactory(DjangoModelFactory[models.EscalationRule]):
    class Meta:
        model = models.EscalationRule

    line = factory.SubFactory(LineFactory)
    remind_every_s = 0


class EscalationLevelFactory(DjangoModelFactory[models.EscalationLevel]):
    class Meta:
        model = models.EscalationLevel
        skip_postgeneration_save = True

    rule = factory.SubFactory(EscalationRuleFactory)
    kind = "ack"
    number = 1
    after_s = 0
    channels = factory.LazyFunction(lambda: ["email"])

    @factory.post_generation
    def users(self, create, extracted, **kwargs):
        if create and extracted:
            self.users.set(extracted)


class WebhookFactory(DjangoModelFactory[models.Webhook]):
    class Meta:
        model = models.Webhook

    name = factory.Sequence(lambda n: f"hook {n}")
    url = "http://127.0.0.1:9/hook"
