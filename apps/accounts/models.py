"""Users with one of eight roles, kiosk badge/PIN credentials, and the security audit log."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models

from apps.accounts.choices import Role, SecurityEventKind


class User(AbstractUser):
    """A person (or a station tablet's kiosk identity). ``is_active`` is the active flag."""

    role = models.CharField(max_length=24, choices=Role.choices, default=Role.VIEWER)
    employee_id = models.CharField(max_length=40, unique=True, null=True, blank=True)
    department = models.CharField(max_length=60, blank=True)
    default_shift = models.CharField(max_length=20, blank=True, help_text="Shift code, e.g. A, B or N.")
    skills = models.JSONField(default=list, blank=True)
    certifications = models.JSONField(default=list, blank=True)
    badge_number = models.CharField(
        max_length=32, unique=True, null=True, blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9\-]{3,32}$", "3–32 letters, digits or dashes.")],
        help_text="Printed on the badge; used with the PIN to sign in at a station tablet.",
    )
    pin_hash = models.CharField(max_length=256, blank=True, editable=False)
    phone = models.CharField(max_length=32, blank=True, help_text="For SMS notifications, in E.164 (+4917…).")

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def check_pin(self, pin: str) -> bool:
        return bool(self.pin_hash) and check_password(pin, self.pin_hash)

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)


class SecurityEvent(models.Model):
    """One security-relevant event (sign-in, failure, lockout, role or permission change). Append-only."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=32, choices=SecurityEventKind.choices, db_index=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="security_events")
    username = models.CharField(max_length=150, blank=True, help_text="As typed; kept when the user is unknown.")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              help_text="Who made the change, for role and permission changes.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"
