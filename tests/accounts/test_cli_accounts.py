"""`python -m core accounts ...` in process: the DESIGN section-8 contracts, one-line errors, exact JSON."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from core.cli import main
from core.db.engine import unit_of_work
from core.db.models import ActivityLog

DATA = Path(__file__).parent / "data"


@pytest.fixture
def run(db, db_url, capsys, monkeypatch):
    def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main([*argv, "--database-url", db_url])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def add(run, server, name="main", *extra):
    return run(
        "accounts", "add", name, "--broker", "zerodha", "--host", server.url, "--owner", "ALICE", "--api-key-stdin",
        *extra, stdin=server.api_key + "\n",
    )  # fmt: skip


def test_add_tests_the_connection_then_list_shows_the_masked_key(run, make_user, openalgo):
    make_user("Alice")
    code, out, _ = add(run, openalgo)  # the owner is found case-insensitively
    assert code == 0
    assert f"connected to OpenAlgo at {openalgo.url}: broker zerodha" in out
    assert f"added account main for Alice (primary), key ****{openalgo.api_key[-4:]}" in out
    code, out, err = run("accounts", "list", "--format", "json")
    document = json.loads(out)  # exactly one JSON document
    assert code == 0 and err == ""
    assert document["accounts"] == [
        {
            "name": "main", "owner": "Alice", "broker": "zerodha", "host": openalgo.url, "status": "disconnected",
            "is_primary": True, "backup_of": None, "last_sync": None, "key": "****" + openalgo.api_key[-4:],
            "ws_url": None, "last_ping": None, "last_error": None,
        }
    ]  # fmt: skip


def test_test_and_sync_inline_then_list_shows_the_sync(run, make_user, servers):
    make_user()
    main_server, spare_server = servers(), servers(broker="upstox")
    add(run, main_server)
    code, out, _ = add(run, spare_server, "spare", "--backup-of", "main", "--ws-url", "ws://127.0.0.1:9999")
    assert code == 0 and "(backup of main)" in out
    code, out, _ = run("accounts", "test", "spare")
    assert (code, out.strip()) == (0, "spare: OpenAlgo answered, broker upstox")
    code, out, _ = run("accounts", "sync", "--all", "--inline")
    assert code == 0
    assert "main: synced 3 positions (0 closed), 2 holdings, 2 orders, 1 trade in " in out
    code, out, _ = run("accounts", "sync", "main", "--inline", "--format", "json")
    result = json.loads(out)
    assert result["synced"] == 1 and result["accounts"][0]["positions"] == 3
    rows = json.loads(run("accounts", "list", "--format", "json")[1])["accounts"]
    assert rows[0]["last_sync"] and rows[1]["backup_of"] == "main" and rows[1]["ws_url"] == "ws://127.0.0.1:9999"


def test_sync_without_inline_queues_a_run_and_prints_its_id(run, db, make_user, openalgo):
    from sqlalchemy import select

    from core.db.engine import unit_of_work
    from core.db.models import JobItem, JobRun

    make_user()
    add(run, openalgo)
    code, out, err = run("accounts", "sync", "main")
    assert code == 0 and err == ""
    run_id = int(out)
    code, again, _ = run("accounts", "sync", "main")  # still queued: the same run
    assert code == 0 and int(again) == run_id
    code, every, _ = run("accounts", "sync", "--all")  # another scope: another run
    assert code == 0 and int(every) != run_id
    with unit_of_work(db) as session:
        queued = session.get(JobRun, run_id)
        items = session.scalars(select(JobItem.symbol).where(JobItem.run_id == run_id)).all()
        assert (queued.kind, queued.status, queued.requested_by) == ("accounts_sync", "queued", "command line")
        assert len(items) == 1 and items[0].isdigit()


def test_sync_all_with_no_account_to_sync_is_one_line(run, make_user):
    make_user()
    code, out, err = run("accounts", "sync", "--all")
    assert code == 1 and out == ""
    assert err == "error: no active account with an OpenAlgo host to sync\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_errors_are_one_line_and_store_nothing(run, make_user, openalgo):
    make_user()
    port = free_port()
    cases = [
        (("accounts", "add", "main", "--broker", "zerodha", "--host", f"http://127.0.0.1:{port}", "--owner", "alice",
          "--api-key-stdin"), "k" * 64, f"error: cannot reach OpenAlgo at http://127.0.0.1:{port}"),
        (("accounts", "add", "main", "--broker", "zerodha", "--host", openalgo.url, "--owner", "alice",
          "--api-key-stdin"), "0" * 64, "error: OpenAlgo at " + openalgo.url + " rejected the API key"),
        (("accounts", "add", "main", "--broker", "zerodha", "--host", openalgo.url, "--owner", "bob",
          "--api-key-stdin"), openalgo.api_key, "error: no user named 'bob'"),
        (("accounts", "add", "main", "--broker", "zerodha", "--host", "ftp://x", "--owner", "alice",
          "--api-key-stdin"), openalgo.api_key, "error: --host must look like http://host:port"),
        (("accounts", "test", "nope"), None, "error: no account named 'nope'"),
    ]  # fmt: skip
    for argv, stdin, expected in cases:
        code, out, err = run(*argv, stdin=stdin)
        assert code == 1 and err.startswith(expected) and err.count("\n") == 1, (argv, err)
        assert "0" * 64 not in err and "k" * 64 not in err
    assert json.loads(run("accounts", "list", "--format", "json")[1]) == {"accounts": []}


def test_a_stored_account_whose_host_went_away(run, make_user, openalgo):
    make_user()
    add(run, openalgo)
    openalgo.stop()
    code, _, err = run("accounts", "test", "main")
    assert code == 1 and err == f"error: cannot reach OpenAlgo at {openalgo.url} (is OpenAlgo running there?)\n"
    code, _, err = run("accounts", "sync", "main", "--inline")
    assert code == 1 and "main: FAILED: cannot reach OpenAlgo" in err


def test_import_positions_preview_and_store(run, make_user):
    make_user()
    assert run("accounts", "add", "schwab-ira", "--broker", "schwab", "--owner", "alice")[0] == 0
    code, out, _ = run("accounts", "import-positions", "schwab-ira", str(DATA / "schwab_positions.csv"), "--preview")
    assert code == 0 and "would import: 1 position, 2 holdings (schwab layout" in out
    code, out, _ = run("accounts", "import-positions", "schwab-ira", str(DATA / "fidelity_positions.csv"),
                       "--preset", "fidelity", "--format", "json")  # fmt: skip
    document = json.loads(out)
    assert code == 0 and document["stored"] and len(document["rows"]) == 3


def test_import_of_a_broken_file_names_the_file_and_line(run, make_user, tmp_path):
    make_user()
    run("accounts", "add", "schwab-ira", "--broker", "schwab", "--owner", "alice")
    bad = tmp_path / "positions.csv"
    bad.write_text("Symbol,Quantity\nAAPL,100\nMSFT,1O0\n")
    code, out, err = run("accounts", "import-positions", "schwab-ira", str(bad))
    assert (code, out) == (1, "")
    assert err == "error: positions.csv:3: quantity '1O0' of MSFT is not a whole number\n"


def test_rotate_keys_and_remove(run, make_user, openalgo, set_secret_keys, backend):
    from cryptography.fernet import Fernet

    make_user()
    old = Fernet.generate_key().decode()
    set_secret_keys(old)
    add(run, openalgo)
    new = Fernet.generate_key().decode()
    set_secret_keys(new, old)
    assert run("accounts", "rotate-keys")[1].strip() == "rotated 1, already current 0, failed 0"
    assert run("accounts", "rotate-keys")[1].strip() == "rotated 0, already current 1, failed 0"
    set_secret_keys(new)  # the old key can go once everything is rotated
    assert run("accounts", "test", "main")[0] == 0
    run("accounts", "sync", "main", "--inline")
    code, out, _ = run("accounts", "remove", "main")
    assert code == 0
    assert out.startswith("removed account main of alice with 3 positions, 2 holdings, 2 orders, 1 trade,")
    assert json.loads(run("accounts", "list", "--format", "json")[1]) == {"accounts": []}


def test_every_write_of_the_command_line_is_in_the_activity_log(run, db, make_user, openalgo):
    """As the local operator by default: add, queued and inline syncs, an import, a rotation and a removal each
    leave one activity row naming the operator (and never the key)."""
    make_user()
    assert add(run, openalgo)[0] == 0
    assert run("accounts", "add", "schwab-ira", "--broker", "schwab", "--owner", "alice")[0] == 0
    assert run("accounts", "sync", "main")[0] == 0
    assert run("accounts", "sync", "main", "--inline")[0] == 0
    assert run("accounts", "import-positions", "schwab-ira", str(DATA / "schwab_positions.csv"))[0] == 0
    assert run("accounts", "rotate-keys")[0] == 0
    assert run("accounts", "remove", "schwab-ira")[0] == 0
    with unit_of_work(db) as session:
        rows = session.execute(select(ActivityLog.username, ActivityLog.action, ActivityLog.details).order_by("id"))
        logged = [(user, action) for user, action, details in rows if openalgo.api_key not in (details or "")]
    operator = "local operator"
    assert logged == [
        (operator, "account_added"),
        (operator, "account_added"),
        (operator, "account_sync_enqueue"),
        (operator, "accounts_synced"),
        (operator, "positions_imported"),
        (operator, "account_keys_rotated"),
        (operator, "account_removed"),
    ]
