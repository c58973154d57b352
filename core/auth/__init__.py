"""Sign-in, users and roles (DESIGN section 10): who is acting, what their role allows, and the audit trail.

Services call `require(actor, Permission.X)`; pages get their actor from a validated session (`sessions`) or
single sign-on (`sso`); the command line acts as `LOCAL_OPERATOR` or `--as USER`. docs/security.md has the
whole picture.
"""

from core.auth.clients import Client, client_from_request
from core.auth.errors import (
    AuthError,
    DuplicateUser,
    InvalidUser,
    PermissionDenied,
    SessionEnded,
    SignInRefused,
    UnknownUser,
    WeakPassword,
)
from core.auth.roles import (
    LOCAL_OPERATOR,
    ROLE_PERMISSIONS,
    Actor,
    Permission,
    Role,
    require,
    require_account_owner,
)

__all__ = [
    "LOCAL_OPERATOR",
    "ROLE_PERMISSIONS",
    "Actor",
    "AuthError",
    "Client",
    "DuplicateUser",
    "InvalidUser",
    "Permission",
    "PermissionDenied",
    "Role",
    "SessionEnded",
    "SignInRefused",
    "UnknownUser",
    "WeakPassword",
    "client_from_request",
    "require",
    "require_account_owner",
]
