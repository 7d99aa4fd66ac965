"""Kiosk sign-in by badge number and PIN. django-axes counts failures per badge, so PIN guessing locks out."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from apps.accounts.models import User


def axes_username(request, credentials: dict) -> str:
    """The name axes counts failures under: the username, or ``badge:<number>`` at a kiosk."""
    if credentials.get("badge"):
        return f"badge:{credentials['badge']}"
    return credentials.get("username") or ""


class BadgePinBackend(ModelBackend):
    def authenticate(self, request, badge: str | None = None, pin: str | None = None, **kwargs):
        if not badge or not pin:
            return None
        user = User.objects.filter(badge_number=badge).first()
        if user is None:
            User().set_password(pin)  # same work as a real check, so timing does not reveal badge numbers
            return None
        if user.check_pin(pin) and self.user_can_authenticate(user):
            return user
        return None
