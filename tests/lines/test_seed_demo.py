"""seed_demo: the reference plant on simulated PLCs, one demo user per role, a kiosk badge/PIN; idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from apps.accounts import access
from apps.accounts.models import SecurityEvent, User
from apps.accounts.roles import ROLES
from apps.lines import models
from apps.lines.addresses import address_error
from apps.lines.management.commands.seed_demo import KIOSK_BADGE, KIOSK_PIN, demo_password, demo_username
from tests.factories.lines import LineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """Nine demo users are hashed per run; the production hasher would make these tests slow, not better."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def dump() -> dict:
    rows = {m.__name__: list(m.objects.order_by("pk").values()) for m in apps.get_app_config("lines").get_models()}
    rows["users"] = list(User.objects.order_by("pk").values())
    rows["events"] = SecurityEvent.objects.count()
    return rows


def test_seed_demo_builds_the_plant_on_simulated_plcs():
    out = seed()
    line = models.Line.objects.get(code="BP01.PACK")
    assert set(models.PlcConnection.objects.values_list("driver", flat=True)) == {"sim"}
    bagger = models.Equipment.objects.get(code="BP01.PACK.BAG1")
    assert bagger.line == line and bagger.is_primary and bagger.criticality == 4
    assert models.Equipment.objects.get(code="BP01.PACK.BAG1.BL").position == 2
    tags = list(models.TagMap.objects.select_related("connection"))
    assert len(tags) == 13
    for tag in tags:
        assert tag.address == tag.signal
        assert address_error(tag.connection.driver, tag.address) is None
        tag.full_clean()
    assert bagger.tags.get(signal="fault_word").data_type == "DINT[2]"
    assert models.FaultCode.objects.filter(equipment=bagger).count() >= 16
    assert "Demo logins — DEMO ONLY" in out


def test_one_demo_user_per_role_who_can_sign_in(client):
    out = seed()
    line = models.Line.objects.get(code="BP01.PACK")
    for role, spec in ROLES.items():
        user = User.objects.get(username=demo_username(role))
        assert user.role == role
        assert user.check_password(demo_password(role))
        assert f"{demo_username(role)}" in out and demo_password(role) in out
        assert access.visible_lines(user).filter(pk=line.pk).exists(), role
        if not spec.plant_wide:
            assert line.pk in access.granted_line_ids(user)
    response = client.post(reverse("accounts:login"), {"username": demo_username("operator"),
                                       "password": demo_password("operator")})
    assert response.status_code == 302, "the demo operator signs in with the printed password"
    assert client.get(reverse("accounts:home")).wsgi_request.user.username == demo_username("operator")


def test_kiosk_badge_and_pin_for_line_1():
    out = seed()
    kiosk = User.objects.get(badge_number=KIOSK_BADGE)
    assert kiosk.check_pin(KIOSK_PIN) and kiosk.role == "operator"
    assert models.Line.objects.get(code="BP01.PACK").pk in access.granted_line_ids(kiosk)
    assert f"badge {KIOSK_BADGE}, PIN {KIOSK_PIN}" in out


def test_seed_demo_is_idempotent():
    seed()
    before = dump()
    out = seed()
    assert dump() == before, "a second run must not write a single row (not even an audit event)"
    assert "Nothing changed" in out


def test_if_empty_does_nothing_when_a_line_exists():
    LineFactory(code="OTHER")
    before = dump()
    out = seed("--if-empty")
    assert "nothing done" in out
    assert dump() == before
    assert not User.objects.filter(username__startswith="demo-").exists()


def test_if_empty_seeds_an_empty_database():
    seed("--if-empty")
    assert models.Line.objects.filter(code="BP01.PACK").exists()
    assert User.objects.filter(username__startswith="demo-").count() == len(ROLES) + 1
