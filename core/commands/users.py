"""`python -m core users create|list|set-role|disable|enable|reset-password|bootstrap|sso-registration|activity`.

A password comes from standard input with `--password-stdin` (one line; for scripts), or is asked twice on a
terminal; it is never an argument, since arguments show up in `ps` and shell history. Without either there is
no safe way to get one, and the command says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys

from core.commands import CommandError, acting_actor, database_url, emit_json
from core.db.engine import get_engine
from core.db.migrate import require_current_schema

ROLES = ("viewer", "trader", "admin")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    users = commands.add_parser("users", help="manage the people who sign in to the dashboard, and their roles")
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    create = actions.add_parser("create", parents=[common], help="create a user (asks for the password)")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--email", help="for single sign-on: the email the identity provider vouches for")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(handler=_create)

    listing = actions.add_parser("list", parents=[common], help="every user with role, state and last sign-in")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=_list)

    role = actions.add_parser("set-role", parents=[common], help="change a user's role (ends their sessions)")
    role.add_argument("name", metavar="NAME")
    role.add_argument("role", metavar="ROLE", choices=ROLES)
    role.set_defaults(handler=_set_role)

    for action, active, text in (("disable", False, "ends their sessions; they cannot sign in"), ("enable", True, "")):
        toggle = actions.add_parser(action, parents=[common], help=f"{action} a user" + (f" ({text})" if text else ""))
        toggle.add_argument("name", metavar="NAME")
        toggle.set_defaults(handler=_set_active, active=active)

    reset = actions.add_parser("reset-password", parents=[common], help="set a user's password (ends their sessions)")
    reset.add_argument("name", metavar="NAME")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset.set_defaults(handler=_reset_password)

    boot = actions.add_parser(
        "bootstrap", parents=[common], help="when there are no users: create 'admin' and print its password once"
    )
    boot.add_argument("--url", help="the dashboard's address, printed with the password")
    boot.set_defaults(handler=_bootstrap)

    sso = actions.add_parser(
        "sso-registration", parents=[common], help="let unknown single-sign-on identities register, with a role"
    )
    sso.add_argument("setting", choices=("off", "viewer", "trader"))
    sso.set_defaults(handler=_sso_registration)

    activity = actions.add_parser("activity", parents=[common], help="the newest activity-log rows")
    activity.add_argument("--limit", type=int, default=50, metavar="N")
    activity.add_argument("--user", metavar="NAME", help="only this user's rows (the name as logged)")
    activity.add_argument("--action", metavar="ACTION", help="only this action, e.g. sign_in_failed")
    activity.add_argument("--format", choices=("table", "json"), default="table")
    activity.set_defaults(handler=_activity)


def _engine(args: argparse.Namespace):
    engine = get_engine(database_url(args))
    require_current_schema(engine)
    return engine


def read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or asked twice on a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password on: pipe it in with --password-stdin")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Same password again: ") != first:
        raise CommandError("the two passwords differ; nothing was changed")
    return first


def _create(args: argparse.Namespace) -> int:
    from core.auth.users import create_user

    engine = _engine(args)
    actor = acting_actor(args, engine)
    user = create_user(engine, actor, args.name, read_password(args.password_stdin), args.role, args.email)
    print(f"created user {user.username} ({user.role})")
    return 0


def _list(args: argparse.Namespace) -> int:
    from core.auth.users import list_users

    engine = _engine(args)
    users = list_users(engine, acting_actor(args, engine))
    if args.format == "json":
        emit_json({"users": [{**dataclasses.asdict(u), "role": str(u.role)} for u in users]})
        return 0
    if not users:
        print("no users yet: python -m core users create NAME --role admin")
    for u in users:
        state = "active" if u.is_active else "disabled"
        last = f"{u.last_login:%Y-%m-%d %H:%M} UTC" if u.last_login else "never"
        print(f"{u.username:<24} {u.role:<7} {state:<9} last sign-in {last:<21} {u.email or ''}".rstrip())
    return 0


def _set_role(args: argparse.Namespace) -> int:
    from core.auth.users import set_role

    engine = _engine(args)
    user = set_role(engine, acting_actor(args, engine), args.name, args.role)
    print(f"{user.username} is now {user.role}")
    return 0


def _set_active(args: argparse.Namespace) -> int:
    from core.auth.users import set_active

    engine = _engine(args)
    user = set_active(engine, acting_actor(args, engine), args.name, args.active)
    print(f"{user.username} is {'enabled' if user.is_active else 'disabled'}")
    return 0


def _reset_password(args: argparse.Namespace) -> int:
    from core.auth.users import get_user_info, reset_password

    engine = _engine(args)
    actor = acting_actor(args, engine)
    get_user_info(engine, actor, args.name)  # an unknown name fails before asking for a password
    user = reset_password(engine, actor, args.name, read_password(args.password_stdin))
    print(f"new password set for {user.username}; their sessions have ended")
    return 0


def _bootstrap(args: argparse.Namespace) -> int:
    from core.auth.bootstrap import FIRST_ADMIN, bootstrap_admin

    password = bootstrap_admin(_engine(args))
    if password is not None:
        where = f" at {args.url}" if args.url else ""
        print(f"==> first sign-in{where}: username {FIRST_ADMIN}, password {password}")
        print("    (shown only this once: change it with the sidebar's Change password button after signing in)")
    return 0


def _sso_registration(args: argparse.Namespace) -> int:
    from core.auth.sso import set_sso_self_registration

    engine = _engine(args)
    role = set_sso_self_registration(
        engine, acting_actor(args, engine), None if args.setting == "off" else args.setting
    )
    print(f"unknown single-sign-on identities {'now register as ' + role if role else 'are refused'}")
    return 0


def _activity(args: argparse.Namespace) -> int:
    from core.auth.audit import recent_activity

    engine = _engine(args)
    entries = recent_activity(engine, acting_actor(args, engine), args.limit, username=args.user, action=args.action)
    if args.format == "json":
        emit_json({"activity": [dataclasses.asdict(e) for e in entries]})
        return 0
    for e in entries:
        who, where = e.username or "-", e.ip_address or "local"
        print(
            f"{e.timestamp:%Y-%m-%d %H:%M:%S} {who:<20} {e.action:<18} {e.target or '':<20} {where} {e.details or ''}"
        )
    return 0
