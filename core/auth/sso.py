"""Single sign-on: an identity from Streamlit's `st.login` (OpenID Connect) mapped to a `users` row by email.

The dashboard calls `sso_actor` on every rerun, so a disabled user or a changed role holds from the next click
just as with password sessions (the identity provider's cookie is not a Wheelhouse session: nothing is stored
for it). An identity whose email no user has is refused, unless an admin turned on self-registration with a
default role (viewer or trader, never admin); then a user is created for it, named after the email.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import Engine, select

from core.auth import audit
from core.auth.errors import InvalidUser, SignInRefused
from core.auth.passwords import hash_password
from core.auth.roles import Actor, Client, Permission, Role, require
from core.auth.users import add_user, find_user, normalise_email
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import Setting, User

SELF_REGISTRATION_KEY = "auth:sso_self_registration"  # settings value {"role": "viewer"}; no row means off


def sso_self_registration(engine: Engine) -> Role | None:
    """The role new single-sign-on identities get, or None when unknown identities are refused."""
    with unit_of_work(engine, write=False) as session:
        setting = session.get(Setting, SELF_REGISTRATION_KEY)
    return Role(setting.value["role"]) if setting and setting.value else None


def set_sso_self_registration(engine: Engine, actor: Actor, role: str | None) -> Role | None:
    """Let unknown identities register with `role` (viewer or trader), or refuse them again (None)."""
    require(actor, Permission.MANAGE_USERS)
    if role is not None and role not in (Role.VIEWER, Role.TRADER):
        raise InvalidUser("self-registration gives the viewer or trader role; make admins by hand")
    with unit_of_work(engine, write=True) as session:
        setting = session.get(Setting, SELF_REGISTRATION_KEY)
        if role is None and setting is not None:
            session.delete(setting)
        elif role is not None:
            session.merge(Setting(key=SELF_REGISTRATION_KEY, value={"role": str(role)}))
        audit.record_activity(
            session, audit.SSO_REGISTRATION, actor=actor, details={"role": str(role) if role else "off"}
        )
    return Role(role) if role else None


def _free_username(session, email: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]", "-", email.split("@")[0]).strip(".-_")[:70] or "user"
    name, n = base, 1
    while find_user(session, name) is not None:
        n += 1
        name = f"{base}-{n}"
    return name


def sso_actor(
    engine: Engine,
    email: str | None,
    client: Client | None = None,
    *,
    email_verified: bool | None = None,
    first_time: bool = False,
) -> Actor:
    """The actor for a signed-in identity, or `SignInRefused`; `first_time` logs the sign-in."""
    client = client or Client()
    if email_verified is False:
        raise SignInRefused("The identity provider has not verified this email address.")
    try:
        email = normalise_email(email)
    except InvalidUser:
        email = None
    if email is None:
        raise SignInRefused("The identity provider sent no usable email address.")
    with unit_of_work(engine, write=False) as session:
        user = session.scalar(select(User).where(User.email == email))
    if user is not None and not user.is_active:
        raise SignInRefused("This user is disabled: ask an admin.")
    if user is None:
        role = sso_self_registration(engine)
        if role is None:
            raise SignInRefused(f"No Wheelhouse user has the email {email}: ask an admin to add you.")
        unusable = hash_password(secrets.token_urlsafe(32))  # signs in through the provider only
        with unit_of_work(engine, write=True) as session:
            user = add_user(session, _free_username(session, email), unusable, role, email)
            actor = Actor(user.id, user.username, role, client)
            audit.record_activity(session, audit.USER_CREATE, actor=actor, details={"role": role, "via": "sso"})
        first_time = True
    actor = Actor(user.id, user.username, Role(user.role), client)
    if first_time:
        with unit_of_work(engine, write=True) as session:
            session.get(User, user.id).last_login = utcnow()
            audit.record_activity(session, audit.SIGN_IN, actor=actor, details={"via": "sso"})
    return actor
