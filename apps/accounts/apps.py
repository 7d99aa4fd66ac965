from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, using="default", **kwargs) -> None:
    """Rebuild the role groups after migrate.

    post_migrate is sent app by app in INSTALLED_APPS order, and Django creates each app's permissions in its own
    post_migrate; accounts comes before lines, so on a fresh database the permissions the matrix names would not
    exist yet. Create every app's content types and permissions first, then sync.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from apps.accounts.services import sync_role_groups

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_role_groups()


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from apps.accounts import signals  # noqa: F401  (connects the audit-log receivers)

        # Permissions exist only after post_migrate, so the role groups are (re)built there: idempotent.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="ms5_sync_role_groups")
