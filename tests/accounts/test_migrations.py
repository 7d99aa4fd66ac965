"""Migrations from empty on the current database (SQLite or PostgreSQL), and no model change without a migration."""

from __future__ import annotations

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def test_no_model_change_without_a_migration(db):
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:  # --check exits 1 when migrations are missing
        pytest.fail(f"makemigrations --check found model changes without migrations:\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()


def project_tables() -> set[str]:
    return {t for t in connection.introspection.table_names() if t != "django_migrations"}


@pytest.mark.django_db(transaction=True)
def test_migrate_to_zero_and_back():
    executor = MigrationExecutor(connection)
    apps_with_migrations = sorted(executor.loader.migrated_apps)
    assert {"accounts", "lines", "guardian", "axes"} <= set(apps_with_migrations)
    before = project_tables()

    # Rows that post_migrate generated (content types, permissions and what hangs off them) are data, not schema;
    # auth.0002 cannot be reversed on PostgreSQL while permission names longer than 50 characters exist.
    ContentType.objects.all().delete()
    executor.migrate([(app, None) for app in apps_with_migrations])  # every app back to empty
    left = project_tables()
    assert not (left & before), f"tables left after migrating to zero: {sorted(left & before)}"

    ContentType.objects.clear_cache()
    call_command("migrate", verbosity=0, interactive=False)  # and forward again, as a fresh install does
    ContentType.objects.clear_cache()
    assert project_tables() == before

    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    # post_migrate rebuilt the role groups from the matrix
    from django.contrib.auth.models import Group

    from apps.accounts.roles import ROLES

    assert Group.objects.filter(name__startswith="role:").count() == len(ROLES)
    # ... with the permissions of apps migrated after accounts (post_migrate runs app by app)
    engineer = Group.objects.get(name="role:engineer")
    assert engineer.permissions.filter(content_type__app_label="lines", codename="change_plcconnection").exists()
    assert engineer.permissions.filter(content_type__app_label="lines", codename="view_engineering").exists()
