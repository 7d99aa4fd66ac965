from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from apps.accounts import services
from apps.accounts.models import User

PASSWORD = "correct-horse-battery-9"


class UserFactory(DjangoModelFactory[User]):
    """Users are created through the service, so role groups and flags are exactly as in production."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = "viewer"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        lines = kwargs.pop("lines", [])
        password = kwargs.pop("password", PASSWORD)
        user = services.user_create(password=password, **kwargs)
        for line in lines:
            services.user_grant_line(user=user, line=line)
        return user
