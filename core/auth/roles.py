"""Roles, the permission table, the acting principal (`Actor`) and `require`, the one check every service makes.

Three roles, each allowed everything the one before it is: viewer < trader < admin. The table below is the
whole policy (docs/security.md shows it as a matrix); services call `require(actor, Permission.X)` before they
read or write, pages call it through `ui.auth.require_page`, and navigation hides what a role cannot open.

The command line has no signed-in user: it acts as `LOCAL_OPERATOR`, an admin with no user id (whoever can run
`python -m core` can already read the database file or its URL's password), unless `--as USER` names a user,
whose role then applies and whose name goes into the activity log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.auth.clients import Client
from core.auth.errors import PermissionDenied


class Role(StrEnum):
    VIEWER = "viewer"
    TRADER = "trader"
    ADMIN = "admin"


class Permission(StrEnum):
    READ = "read"  # screens, charts, history, symbol detail, overview
    EXPORT = "export"  # CSV downloads of what can be read
    MANAGE_WATCHLISTS = "manage_watchlists"
    MANAGE_SCANNERS = "manage_scanners"  # create, edit, delete, validate, dry-run and run scanners
    MANAGE_SCHEDULES = "manage_schedules"
    MANAGE_SAVED_SCREENS = "manage_saved_screens"
    SYNC = "sync"  # Sync All and every other sync request
    MANAGE_OWN_ACCOUNTS = "manage_own_accounts"  # broker accounts the user owns
    MANAGE_USERS = "manage_users"  # create, disable, reset, change roles, single-sign-on registration
    MANAGE_CALENDARS = "manage_calendars"
    MANAGE_RETENTION = "manage_retention"
    MANAGE_ALL_ACCOUNTS = "manage_all_accounts"  # every user's broker accounts
    READ_ACTIVITY = "read_activity"  # the audit log (activity_logs)
    READ_OPERATIONS = "read_operations"  # the database itself: its schema revision and every table's row count


# What each permission lets someone do, for messages ("... cannot manage scanners").
DOES = {
    Permission.READ: "read screens, charts and history",
    Permission.EXPORT: "export data",
    Permission.MANAGE_WATCHLISTS: "change watchlists",
    Permission.MANAGE_SCANNERS: "manage or run scanners",
    Permission.MANAGE_SCHEDULES: "manage schedules",
    Permission.MANAGE_SAVED_SCREENS: "save or delete screens",
    Permission.SYNC: "start a sync",
    Permission.MANAGE_OWN_ACCOUNTS: "manage broker accounts",
    Permission.MANAGE_USERS: "manage users",
    Permission.MANAGE_CALENDARS: "change calendars",
    Permission.MANAGE_RETENTION: "change retention",
    Permission.MANAGE_ALL_ACCOUNTS: "manage other users' broker accounts",
    Permission.READ_ACTIVITY: "read the activity log",
    Permission.READ_OPERATIONS: "see the database's tables",
}

_VIEWER = frozenset({Permission.READ, Permission.EXPORT})
_TRADER = _VIEWER | {
    Permission.MANAGE_WATCHLISTS,
    Permission.MANAGE_SCANNERS,
    Permission.MANAGE_SCHEDULES,
    Permission.MANAGE_SAVED_SCREENS,
    Permission.SYNC,
    Permission.MANAGE_OWN_ACCOUNTS,
}
_ADMIN = _TRADER | {
    Permission.MANAGE_USERS,
    Permission.MANAGE_CALENDARS,
    Permission.MANAGE_RETENTION,
    Permission.MANAGE_ALL_ACCOUNTS,
    Permission.READ_ACTIVITY,
    Permission.READ_OPERATIONS,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {Role.VIEWER: _VIEWER, Role.TRADER: _TRADER, Role.ADMIN: _ADMIN}


def least_role(permission: Permission) -> Role:
    """The first role (viewer, trader, admin) that has `permission`."""
    return next(role for role in Role if permission in ROLE_PERMISSIONS[role])


@dataclass(frozen=True)
class Actor:
    """Who is asking: a signed-in user (or the CLI's operator), their role, and where the request came from."""

    user_id: int | None
    username: str
    role: Role
    client: Client = field(default_factory=Client)

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def describe(self) -> str:
        return f"{self.username} ({self.role})"


# The command line without `--as`: an admin that is nobody in `users` (activity rows carry this name, no id).
LOCAL_OPERATOR = Actor(user_id=None, username="local operator", role=Role.ADMIN)


def require(actor: Actor | None, permission: Permission) -> Actor:
    """Return `actor` if its role has `permission`, else raise `PermissionDenied` saying what is missing."""
    if actor is None:
        raise PermissionDenied(f"Sign in to {DOES[permission]}.")
    if not actor.can(permission):
        raise PermissionDenied(
            f"{actor.describe()} cannot {DOES[permission]}: that needs the {least_role(permission)} role."
        )
    return actor


def require_account_owner(actor: Actor | None, owner_user_id: int | None) -> Actor:
    """Allow a broker-account change by its owner (trader and up) or by anyone who may manage every account."""
    actor = require(actor, Permission.MANAGE_OWN_ACCOUNTS)
    if actor.user_id != owner_user_id and not actor.can(Permission.MANAGE_ALL_ACCOUNTS):
        raise PermissionDenied(f"{actor.describe()} cannot {DOES[Permission.MANAGE_ALL_ACCOUNTS]}.")
    return actor
