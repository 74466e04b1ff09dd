"""One role list: the records' CHECK constraint, the app's pages and actions and `matcher users add --role` read
`matcher.store.roles.ROLES`."""

from __future__ import annotations

from typer.testing import CliRunner

from matcher.auth import PAGES, PERMISSIONS
from matcher.cli import app
from matcher.cli.users import Role
from matcher.store import schema
from matcher.store.roles import ROLES


def test_every_role_has_its_pages_and_actions() -> None:
    """auth gives each role of the list pages and actions, and knows no other role."""
    assert set(PAGES) == set(PERMISSIONS) == set(ROLES)


def test_the_users_table_accepts_exactly_the_roles() -> None:
    """The CHECK constraint of the users table lists the roles, in order."""
    (check,) = [c for c in schema.users.constraints if c.name == "users_role"]
    assert str(check.sqltext) == "role in ('coordinator', 'ngo', 'researcher')"
    assert schema.ROLES is ROLES


def test_the_command_line_offers_exactly_the_roles() -> None:
    """`--role` takes the roles of the list and refuses any other (usage error, 2)."""
    assert [r.value for r in Role] == list(ROLES)
    result = CliRunner().invoke(app, ["users", "add", "bob", "--role", "admin", "--sso-only"])
    assert result.exit_code == 2
    assert "coordinator" in result.output and "researcher" in result.output
