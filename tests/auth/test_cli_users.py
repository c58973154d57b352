"""`python -m core users ...` in process on both backends: every command, its one-line errors, `--as`, the
password from standard input or a terminal (never an argument), and the first admin's bootstrap."""

from __future__ import annotations

import io
import json
import sys

import pytest

from core.auth.sign_in import sign_in
from core.cli import main
from tests.auth.conftest import PASSWORD


@pytest.fixture
def cli(db_url, committed_engine, capsys, monkeypatch):
    """cli("create", "bob", ..., stdin="...") -> (exit status, stdout, stderr) of `python -m core users ...`."""

    def run(*args: str, stdin: str | None = None):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin if stdin is not None else ""))
        try:
            status = main(["users", *args, "--database-url", db_url])
        except SystemExit as exit_:  # argparse usage errors
            status = exit_.code
        out, err = capsys.readouterr()
        return status, out, err

    return run


def one_line_error(err: str, text: str) -> None:
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert text in err, err


def _create(cli, name, role="viewer", password=PASSWORD, *extra):
    return cli("create", name, "--role", role, "--password-stdin", *extra, stdin=password + "\n")


def test_create_list_and_json(cli, committed_engine):
    assert _create(cli, "Alice", "trader", PASSWORD, "--email", "alice@example.com") == (
        0,
        "created user Alice (trader)\n",
        "",
    )
    status, out, err = cli("list", "--format", "json")
    assert status == 0 and err == ""
    (user,) = json.loads(out)["users"]  # exactly one JSON document
    assert (user["username"], user["role"], user["is_active"], user["email"]) == (
        "Alice",
        "trader",
        True,
        "alice@example.com",
    )
    assert "password" not in out and "argon2" not in out
    status, out, _ = cli("list")
    assert status == 0 and out.split()[:3] == ["Alice", "trader", "active"]
    assert sign_in(committed_engine, "alice", PASSWORD).actor.username == "Alice"


def test_create_errors_are_one_line_and_store_nothing(cli):
    _create(cli, "alice")
    status, _, err = _create(cli, "ALICE")
    assert status == 1
    one_line_error(err, "a user named 'alice' already exists (usernames ignore case)")
    for password, reason in (("", "a password is required"), ("qwertyuiop", "keyboard or alphabet sequence")):
        status, _, err = _create(cli, "bob", "viewer", password)
        assert status == 1
        one_line_error(err, reason)
    status, _, err = cli("create", "bob", "--role", "owner", "--password-stdin", stdin=PASSWORD)
    assert status == 2
    one_line_error(err, "invalid choice: 'owner'")
    status, _, err = _create(cli, "bad name")
    one_line_error(err, "invalid username 'bad name'")
    assert [u["username"] for u in json.loads(cli("list", "--format", "json")[1])["users"]] == ["alice"]


def test_no_terminal_and_no_stdin_flag_is_refused(cli):
    status, _, err = cli("create", "bob", "--role", "viewer")
    assert status == 1
    one_line_error(err, "no terminal to ask for the password on: pipe it in with --password-stdin")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_password_is_asked_twice(cli, monkeypatch, committed_engine, capsys, db_url):
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    monkeypatch.setattr(sys, "stdin", _Terminal())
    assert main(["users", "create", "tty", "--role", "viewer", "--database-url", db_url]) == 0
    assert main(["users", "create", "tty2", "--role", "viewer", "--database-url", db_url]) == 1
    out, err = capsys.readouterr()
    assert out == "created user tty (viewer)\n"
    one_line_error(err, "the two passwords differ; nothing was changed")
    assert sign_in(committed_engine, "tty", PASSWORD).actor.username == "tty"


def test_set_role_disable_enable_and_their_errors(cli):
    _create(cli, "ada", "admin")
    _create(cli, "bob")
    assert cli("set-role", "BOB", "trader") == (0, "bob is now trader\n", "")
    status, _, err = cli("set-role", "zed", "trader")
    assert status == 1
    one_line_error(err, "unknown user 'zed'")
    status, _, err = cli("set-role", "bob", "owner")
    assert status == 2
    one_line_error(err, "invalid choice")
    assert cli("disable", "bob") == (0, "bob is disabled\n", "")
    assert cli("enable", "bob") == (0, "bob is enabled\n", "")
    status, _, err = cli("disable", "ada")
    one_line_error(err, "cannot disable 'ada': it is the only active admin")
    status, _, err = cli("set-role", "ada", "viewer")
    one_line_error(err, "it is the only active admin")


def test_reset_password(cli, committed_engine):
    _create(cli, "bob")
    status, out, _ = cli("reset-password", "bob", "--password-stdin", stdin="a brand new passphrase\n")
    assert status == 0 and out == "new password set for bob; their sessions have ended\n"
    assert sign_in(committed_engine, "bob", "a brand new passphrase").actor.username == "bob"
    status, _, err = cli("reset-password", "bob", "--password-stdin", stdin="bob-the-builder\n")
    one_line_error(err, "password contains the username")
    status, _, err = cli("reset-password", "nobody", "--password-stdin", stdin="a brand new passphrase\n")
    assert status == 1
    one_line_error(err, "unknown user 'nobody'")


def test_as_user_applies_their_role_and_names_them_in_the_log(cli):
    _create(cli, "ada", "admin")
    _create(cli, "tom", "trader")
    status, _, err = cli("create", "eve", "--role", "viewer", "--password-stdin", "--as", "tom", stdin=PASSWORD)
    assert status == 1
    one_line_error(err, "tom (trader) cannot manage users: that needs the admin role")
    status, _, err = cli("list", "--as", "zed")
    one_line_error(err, "unknown user 'zed'")
    assert cli("set-role", "tom", "viewer", "--as", "ada")[0] == 0
    status, out, _ = cli("activity", "--format", "json")
    rows = json.loads(out)["activity"]
    assert [(r["username"], r["action"], r["target"]) for r in rows[:3]] == [
        ("ada", "role_change", "user:tom"),
        ("local operator", "user_create", "user:tom"),
        ("local operator", "user_create", "user:ada"),
    ]
    status, out, _ = cli("activity", "--user", "local operator", "--action", "user_create", "--format", "json")
    assert [r["target"] for r in json.loads(out)["activity"]] == ["user:tom", "user:ada"]
    status, out, _ = cli("activity", "--user", "ada", "--format", "json")
    assert [r["action"] for r in json.loads(out)["activity"]] == ["role_change"]


def test_sso_registration(cli):
    assert cli("sso-registration", "trader") == (0, "unknown single-sign-on identities now register as trader\n", "")
    assert cli("sso-registration", "off") == (0, "unknown single-sign-on identities are refused\n", "")
    assert cli("sso-registration", "admin")[0] == 2


def test_bootstrap_prints_a_working_password_once(cli, committed_engine):
    status, out, err = cli("bootstrap", "--url", "http://127.0.0.1:8501")
    assert status == 0 and err == ""
    first, second = out.splitlines()
    assert first.startswith("==> first sign-in at http://127.0.0.1:8501: username admin, password ")
    password = first.rsplit(" ", 1)[1]
    assert "shown only this once" in second
    signed = sign_in(committed_engine, "admin", password)
    assert str(signed.actor.role) == "admin"
    assert cli("bootstrap", "--url", "http://127.0.0.1:8501") == (0, "", "")  # never again
