"""docs/roles.md is generated from the role matrix; this fails when someone changes the matrix and not the doc."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from apps.accounts import roles
from apps.accounts.management.commands.roles_doc import roles_doc_path


def test_docs_roles_md_is_up_to_date():
    assert roles_doc_path().read_text(encoding="utf-8") == roles.render_roles_markdown(), (
        "docs/roles.md is stale: run `python manage.py roles_doc` and commit it."
    )
    call_command("roles_doc", "--check")


def test_check_fails_on_a_stale_file_and_write_fixes_it(tmp_path):
    target = tmp_path / "roles.md"
    target.write_text("# hand-edited\n")
    with pytest.raises(CommandError, match="stale"):
        call_command("roles_doc", "--check", "--output", str(target))
    call_command("roles_doc", "--output", str(target))
    call_command("roles_doc", "--check", "--output", str(target))
    assert target.read_text() == roles.render_roles_markdown()


def test_every_role_and_line_permission_is_in_the_doc():
    text = roles.render_roles_markdown()
    for role in roles.ROLES:
        assert f"| `{role}` |" in text
    for codename in roles.LINE_PERMISSIONS:
        assert f"`lines.{codename}`" in text
