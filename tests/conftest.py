"""Shared fixtures: personas (as healthchecks' hc/test.py does) and service availability.

With CI=true a required server (PostgreSQL, Redis) that cannot be reached FAILS the test that needs it; outside
CI it skips with the reason, so a developer without the servers can still run the rest.
"""

from __future__ import annotations

import os
import socket

import pytest

from tests.e2e.fixtures import browser, plant, plant_tmp, signed_in_page  # noqa: F401  (end-to-end fixtures)
from tests.factories.accounts import PASSWORD, UserFactory
from tests.factories.lines import EquipmentFactory, LineFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REDIS_URL = os.environ.get("MS5_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Fail (CI) or skip (local) when a real server the test needs is not there."""
    if not _reachable(host, port):
        message = f"{name} is not reachable at {host}:{port}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing service fails the run)", pytrace=False)
        pytest.skip(message)


def pytest_collection_modifyitems(config, items):
    """Tests marked postgresql_only belong to the PostgreSQL pass of tests/runner.py: deselect them (never skip)
    when the suite runs on another database."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    keep = [item for item in items if item.get_closest_marker("postgresql_only") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 is slow on purpose; tests create many users and PINs. Hashing behaviour is otherwise the same."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def redis_url() -> str:
    require_server("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def line_a(db):
    line = LineFactory(code="LA", name="Line A")
    EquipmentFactory(line=line, code="LA.EQ1", name="Filler", position=1, is_primary=True)
    return line


@pytest.fixture
def line_b(db):
    line = LineFactory(code="LB", name="Line B")
    EquipmentFactory(line=line, code="LB.EQ1", name="Capper", position=1, is_primary=True)
    return line


@pytest.fixture
def supervisor(line_a):
    return UserFactory(username="supervisor", role="shift_manager", lines=[line_a])


@pytest.fixture
def operator(line_a):
    return UserFactory(username="operator", role="operator", lines=[line_a])


@pytest.fixture
def outsider(db):
    """Signed in, but no line granted."""
    return UserFactory(username="outsider", role="operator")


@pytest.fixture
def kiosk_user(line_a):
    from apps.accounts.services import user_set_pin

    user = UserFactory(username="kiosk-la", role="operator", lines=[line_a])
    return user_set_pin(user=user, pin="4711", badge_number="B-1001")


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role="production_manager")
