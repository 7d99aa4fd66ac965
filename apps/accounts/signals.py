"""Audit-log receivers for Django's and django-axes' authentication signals."""

from __future__ import annotations

from datetime import timedelta

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from apps.accounts.choices import SecurityEventKind
from apps.accounts.models import SecurityEvent, User
from apps.accounts.services import security_event_record


def _attempted_name(credentials: dict) -> str:
    if credentials.get("badge"):
        return f"badge:{credentials['badge']}"
    return credentials.get("username") or ""


@receiver(user_logged_in, dispatch_uid="ms5_audit_login")
def _on_login(sender, request, user, **kwargs):
    kiosk = getattr(user, "backend", "").endswith("BadgePinBackend")
    security_event_record(kind=SecurityEventKind.KIOSK_LOGIN if kiosk else SecurityEventKind.LOGIN,
                          user=user, request=request)


@receiver(user_logged_out, dispatch_uid="ms5_audit_logout")
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        security_event_record(kind=SecurityEventKind.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="ms5_audit_login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    name = _attempted_name(credentials)
    user = None
    if credentials.get("badge"):
        user = User.objects.filter(badge_number=credentials["badge"]).first()
    elif credentials.get("username"):
        user = User.objects.filter(username=credentials["username"]).first()
    security_event_record(kind=SecurityEventKind.LOGIN_FAILED, user=user, username=name, request=request)


@receiver(user_locked_out, dispatch_uid="ms5_audit_lockout")
def _on_lockout(sender, request, username, ip_address, **kwargs):
    # axes signals again on every attempt during the cool-off; those attempts are logged as failures already,
    # so the lockout itself is recorded once per cool-off period.
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    if SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKOUT, username=username, created_at__gte=since,
                                    detail__ip_address=ip_address).exists():
        return
    user = None
    if username.startswith("badge:"):
        user = User.objects.filter(badge_number=username.removeprefix("badge:")).first()
    elif username:
        user = User.objects.filter(username=username).first()
    security_event_record(kind=SecurityEventKind.LOCKOUT, user=user, username=username, request=request,
                          detail={"ip_address": ip_address})
