from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    from apps.accounts.services import sync_role_groups

    sync_role_groups()


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from apps.accounts import signals  # noqa: F401  (connects the audit-log receivers)

        # Permissions exist only after post_migrate, so the role groups are (re)built there: idempotent.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="ms5_sync_role_groups")
