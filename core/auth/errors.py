"""The named errors of sign-in, users and roles: each message is one line a page or the CLI shows as it is."""

from __future__ import annotations


class AuthError(Exception):
    """A refusal with a one-line reason meant for the person who asked."""


class PermissionDenied(AuthError):
    """The actor's role does not allow this action (pages show the message; the CLI prints it)."""


class UnknownUser(AuthError):
    """No user has that name."""


class DuplicateUser(AuthError):
    """A user with that name (ignoring case) or that email already exists."""


class InvalidUser(AuthError):
    """A username, email or role that cannot be stored, or a change that would lock every admin out."""


class WeakPassword(AuthError):
    """A password refused by the password rules; the message says which rule."""


class SignInRefused(AuthError):
    """A sign-in that did not succeed: wrong credentials, a disabled user, too many failures, unknown identity."""


class SessionEnded(AuthError):
    """A session token that no longer grants access (expired, idle, revoked, user disabled, unknown)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
