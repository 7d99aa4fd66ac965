"""Sign-in flows: kiosk badge + PIN, lockout (django-axes), password reset by e-mail, password change."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from apps.accounts.choices import SecurityEventKind
from apps.accounts.models import SecurityEvent
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def kinds(**filters) -> list[str]:
    return list(SecurityEvent.objects.filter(**filters).order_by("id").values_list("kind", flat=True))


def test_kiosk_sign_in_with_badge_and_pin(client, kiosk_user, line_a):
    response = client.post(reverse("accounts:kiosk_login"), {"badge": "B-1001", "pin": "4711"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(kiosk_user.pk)
    assert client.session["kiosk"] is True
    assert client.session.get_expiry_age() == settings.KIOSK_SESSION_AGE
    # an operator lands on the kiosk of their line
    assert client.get(response["Location"]).url == reverse("lines:kiosk", kwargs={"line_id": line_a.pk})
    event = SecurityEvent.objects.get(kind=SecurityEventKind.KIOSK_LOGIN)
    assert event.user == kiosk_user and event.ip_address == "127.0.0.1"


@pytest.mark.parametrize("badge,pin", [("B-1001", "0000"), ("B-9999", "4711"), ("B-1001", "")])
def test_kiosk_sign_in_refuses_wrong_pin_or_badge(client, kiosk_user, badge, pin):
    response = client.post(reverse("accounts:kiosk_login"), {"badge": badge, "pin": pin})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    if pin:
        assert "do not match" in response.content.decode()
        event = SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED).get()
        assert event.username == f"badge:{badge}"
        assert event.user == (kiosk_user if badge == "B-1001" else None)


def test_kiosk_sign_in_refuses_inactive_user(client, kiosk_user):
    from apps.accounts.services import user_set_active

    user_set_active(user=kiosk_user, active=False)
    response = client.post(reverse("accounts:kiosk_login"), {"badge": "B-1001", "pin": "4711"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.parametrize("next_url,followed", [
    ("//evil.example/", False), ("/\\evil.example/", False), ("https://evil.example/", False),
    ("/overview/", True),
])
def test_kiosk_next_parameter_only_follows_local_paths(client, kiosk_user, next_url, followed):
    response = client.post(reverse("accounts:kiosk_login"), {"badge": "B-1001", "pin": "4711", "next": next_url})
    assert response.url == (next_url if followed else reverse("accounts:home"))


def test_kiosk_lockout_after_repeated_failures(client, kiosk_user):
    limit = settings.AXES_FAILURE_LIMIT
    url = reverse("accounts:kiosk_login")
    for _ in range(limit - 1):
        assert client.post(url, {"badge": "B-1001", "pin": "0000"}).status_code == 200
    locked = client.post(url, {"badge": "B-1001", "pin": "0000"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "badge" in locked.content.decode()
    # now even the right PIN is refused until the cool-off ends
    again = client.post(url, {"badge": "B-1001", "pin": "4711"})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # every attempt is a logged failure; the lockout is logged once
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED, user=kiosk_user).count() == limit + 1
    lockout = SecurityEvent.objects.get(kind=SecurityEventKind.LOCKOUT)
    assert lockout.user == kiosk_user and lockout.username == "badge:B-1001"
    assert lockout.ip_address == "127.0.0.1"


def test_password_lockout_and_another_user_unaffected(client, password):
    victim = UserFactory(username="victim")
    UserFactory(username="bystander")
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(url, {"username": "victim", "password": "wrong-password"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert client.post(url, {"username": "victim", "password": password}).status_code == 429
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKOUT, user=victim).count() == 1
    # lockout is per username + IP: another user on the same device can still sign in
    ok = client.post(url, {"username": "bystander", "password": password})
    assert ok.status_code == 302 and client.session["_auth_user_id"]


def test_password_sign_in_and_out_are_logged(client, password):
    user = UserFactory(username="alice")
    assert client.post(reverse("accounts:login"), {"username": "alice", "password": password}).status_code == 302
    client.post(reverse("accounts:logout"))
    assert kinds(user=user) == [SecurityEventKind.ROLE_CHANGED, SecurityEventKind.LOGIN, SecurityEventKind.LOGOUT]


def test_password_reset_by_email(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = UserFactory(username="resetme", email="resetme@example.com")
    response = client.post(reverse("accounts:password_reset"), {"email": "resetme@example.com"})
    assert response.status_code == 302 and response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["resetme@example.com"]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body)
    assert link, message.body
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.content.decode()
    new_password = "a-brand-new-secret-77"
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302 and done.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_RESET_REQUESTED,
                                        username="resetme@example.com").exists()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_RESET, user=user).exists()
    # the link works once
    assert "new_password1" not in client.get(link.group(1), follow=True).content.decode()


def test_password_reset_for_unknown_address_sends_nothing(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302  # same answer as for a known address
    assert mail.outbox == []


def test_password_change(client, password):
    user = UserFactory(username="changer")
    client.force_login(user)
    new_password = "another-long-secret-42"
    response = client.post(reverse("accounts:password_change"), {
        "old_password": password, "new_password1": new_password, "new_password2": new_password,
    })
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_CHANGED, user=user).exists()
    # still signed in after the change (session hash updated)
    assert client.get(reverse("accounts:password_change")).status_code == 200


def test_password_change_refuses_wrong_old_password(client, password):
    user = UserFactory(username="changer2")
    client.force_login(user)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "not-it", "new_password1": "another-long-secret-42",
        "new_password2": "another-long-secret-42",
    })
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(password)
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_CHANGED).exists()


def test_password_change_needs_sign_in(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url
