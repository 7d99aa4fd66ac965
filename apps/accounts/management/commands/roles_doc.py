"""Write docs/roles.md from the role matrix (apps/accounts/roles.py); ``--check`` fails when the file is stale."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.roles import render_roles_markdown


def roles_doc_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "roles.md"


class Command(BaseCommand):
    help = "Generate docs/roles.md from the role matrix. With --check, only report whether it is up to date."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Exit with an error when docs/roles.md is stale.")
        parser.add_argument("--output", default=None, help="Write here instead of docs/roles.md.")

    def handle(self, *args, check: bool = False, output: str | None = None, **options):
        path = Path(output) if output else roles_doc_path()
        wanted = render_roles_markdown()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if check:
            if current != wanted:
                raise CommandError(f"{path} is stale: run `python manage.py roles_doc` and commit the result.")
            self.stdout.write(f"{path} is up to date.")
            return
        if current == wanted:
            self.stdout.write(f"{path} is already up to date.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
