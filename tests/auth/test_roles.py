"""The permission matrix: what each role may do, and the named error with a message a page can show."""

from __future__ import annotations

import pytest

from core.auth import LOCAL_OPERATOR, Actor, Permission, PermissionDenied, Role, require, require_account_owner

VIEWER = Actor(1, "vera", Role.VIEWER)
TRADER = Actor(2, "tom", Role.TRADER)
ADMIN = Actor(3, "ada", Role.ADMIN)

# The matrix, written out by hand (not derived from the table under test).
ALLOWED = {
    Role.VIEWER: {"read", "export"},
    Role.TRADER: {
        "read",
        "export",
        "manage_watchlists",
        "manage_scanners",
        "manage_schedules",
        "manage_saved_screens",
        "sync",
        "manage_own_accounts",
    },
    Role.ADMIN: {p.value for p in Permission},
}


@pytest.mark.parametrize("actor", [VIEWER, TRADER, ADMIN], ids=lambda a: a.role)
@pytest.mark.parametrize("permission", list(Permission), ids=str)
def test_require_follows_the_matrix(actor, permission):
    if permission.value in ALLOWED[actor.role]:
        assert require(actor, permission) is actor
    else:
        with pytest.raises(PermissionDenied) as refused:
            require(actor, permission)
        message = str(refused.value)
        assert actor.username in message and str(actor.role) in message
        needed = "trader" if permission.value in ALLOWED[Role.TRADER] else "admin"
        assert f"needs the {needed} role" in message


def test_viewer_calling_a_trader_action_gets_a_message_a_page_can_show():
    with pytest.raises(
        PermissionDenied, match=r"^vera \(viewer\) cannot manage or run scanners: that needs the trader"
    ):
        require(VIEWER, Permission.MANAGE_SCANNERS)


def test_nobody_signed_in_is_told_to_sign_in():
    with pytest.raises(PermissionDenied, match="^Sign in to read screens"):
        require(None, Permission.READ)


def test_the_command_line_operator_is_an_admin_without_a_user():
    assert LOCAL_OPERATOR.user_id is None and LOCAL_OPERATOR.role is Role.ADMIN
    assert all(LOCAL_OPERATOR.can(p) for p in Permission)


def test_broker_accounts_belong_to_their_owner_unless_admin():
    assert require_account_owner(TRADER, 2) is TRADER
    with pytest.raises(PermissionDenied, match="other users' broker accounts"):
        require_account_owner(TRADER, 3)
    assert require_account_owner(ADMIN, 2) is ADMIN
    with pytest.raises(PermissionDenied, match="needs the trader role"):
        require_account_owner(VIEWER, 1)
