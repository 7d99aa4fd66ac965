"""Shared Django-admin building blocks."""

from __future__ import annotations


class ReadOnlyAdminMixin:
    """For records written only by services (audit logs, timelines, signed completions): admins may look, never
    add, change or delete them through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
