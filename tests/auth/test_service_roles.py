"""The role matrix held in core: every service a page or the CLI calls, by every role, on both databases.

Each call is tagged by hand with the least role the issue's table gives it (viewer reads and exports; trader
also manages watchlists, scanners, schedules, saved screens and Sync All; admin also users, calendars, retention
and the activity log). A role below it gets `PermissionDenied` naming the user, the role and what is missing, and
nothing is written; a role at or above it succeeds, and a write leaves one activity row naming the user and the target.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from core.auth import LOCAL_OPERATOR, PermissionDenied
from core.auth import users as users_service
from core.calendars import service as calendars
from core.db.engine import unit_of_work
from core.db.models import ActivityLog, Scanner, ScannerTemplate, TradingHoursTemplate, TradingSession, Watchlist
from core.lab import configs as lab_configs
from core.lab import service as lab
from core.lab.runs import enqueue_test_run
from core.operations import service as operations
from core.premiums import service as premiums
from core.premiums.filters import PremiumFilters
from core.scanner import service as scanners
from core.symbol_view import service as symbol_view
from core.sync import service as sync
from core.track import service as track
from core.watchlists import service as watchlists
from core.wheel import service as wheel
from core.wheel.cycles import Cycle
from tests import factories
from tests.conftest import REPO_ROOT
from tests.support.actors import ADMIN, TRADER, VIEWER

RANK = {"viewer": 0, "trader": 1, "admin": 2}
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class World:
    """What the calls act on: a watchlist, a scanner, a template and a saved screen."""

    watchlist: str
    watchlist_id: int
    scanner_id: int
    template_id: int
    closure: dt.date = dt.date(2000, 1, 3)  # a hand-added closure of XNYS (a weekday ahead, in build_world)


@dataclass(frozen=True)
class Call:
    name: str
    needs: str  # the least role, from the table (written out by hand)
    run: Any  # (engine, actor, world) -> anything
    action: str | None = None  # the activity row a write leaves


CALLS = [
    # watchlists
    Call("watchlists.names", "viewer", lambda e, a, w: watchlists.names(e, a)),
    Call("watchlists.view", "viewer", lambda e, a, w: watchlists.view(e, a, w.watchlist)),
    Call("watchlists.create", "trader", lambda e, a, w: watchlists.create(e, a, "New list"), "watchlist_create"),
    Call(
        "watchlists.set_sync_window",
        "trader",
        lambda e, a, w: watchlists.set_sync_window(e, a, w.watchlist, 30),
        "watchlist_sync_window",
    ),
    Call(
        "watchlists.rename", "trader", lambda e, a, w: watchlists.rename(e, a, w.watchlist, "Moved"), "watchlist_rename"
    ),
    Call(
        "watchlists.add",
        "trader",
        lambda e, a, w: watchlists.add(e, a, w.watchlist, watchlists.parse_symbols("KO")),
        "watchlist_add_symbols",
    ),
    Call(
        "watchlists.remove",
        "trader",
        lambda e, a, w: watchlists.remove(e, a, w.watchlist, ["AAPL"]),
        "watchlist_remove_symbols",
    ),
    Call("watchlists.deletion_impact", "trader", lambda e, a, w: watchlists.deletion_impact(e, a, w.watchlist)),
    Call("watchlists.delete", "trader", lambda e, a, w: watchlists.delete(e, a, w.watchlist), "watchlist_delete"),
    # Scan Premiums and saved screens
    Call("premiums.choices", "viewer", lambda e, a, w: premiums.choices(e, a)),
    Call("symbol_view.symbols", "viewer", lambda e, a, w: symbol_view.symbols(e, a)),
    Call("symbol_view.overview", "viewer", lambda e, a, w: symbol_view.overview(e, a, "AAPL")),
    Call("symbol_view.expiry", "viewer", lambda e, a, w: symbol_view.expiry(e, a, "AAPL", dt.date(2026, 12, 18))),
    Call("premiums.best_per_symbol", "viewer", lambda e, a, w: premiums.best_per_symbol(e, a, PremiumFilters())),
    Call("premiums.screen_names", "viewer", lambda e, a, w: premiums.screen_names(e, a)),
    Call("premiums.freshness", "viewer", lambda e, a, w: premiums.freshness(e, a, dt.date(2026, 12, 1))),
    Call("premiums.sync_windows", "viewer", lambda e, a, w: premiums.sync_windows(e, a)),
    Call("premiums.load_screen", "viewer", lambda e, a, w: premiums.load_screen(e, a, "Saved")),
    Call(
        "premiums.save_screen",
        "trader",
        lambda e, a, w: premiums.save_screen(e, a, "Weekly", PremiumFilters()),
        "screen_save",
    ),
    Call("premiums.delete_screen", "trader", lambda e, a, w: premiums.delete_screen(e, a, "Saved"), "screen_delete"),
    # the track record
    Call("track.track_record", "viewer", lambda e, a, w: track.track_record(e, a)),
    Call("track.snapshots", "viewer", lambda e, a, w: track.snapshots(e, a, "Saved")),
    Call("track.screens", "viewer", lambda e, a, w: track.screens(e, a)),
    Call("track.set_tracked", "trader", lambda e, a, w: track.set_tracked(e, a, "Saved", True), "screen_track"),
    Call("track.resolve_now", "trader", lambda e, a, w: track.resolve_now(e, a)),
    # Sync All
    Call("sync.request_sync", "trader", lambda e, a, w: sync.request_sync(e, a), "sync_enqueue"),
    Call("sync.active_sync", "viewer", lambda e, a, w: sync.active_sync(e, a)),
    Call("sync.sync_view", "viewer", lambda e, a, w: sync.sync_view(e, a)),
    # scanners and schedules
    Call("scanners.scanners_page", "viewer", lambda e, a, w: scanners.scanners_page(e, a)),
    Call("scanners.seed_templates", "trader", lambda e, a, w: scanners.seed_templates(e, a), "templates_seed"),
    Call(
        "scanners.create_from_template",
        "trader",
        lambda e, a, w: scanners.create_from_template(e, a, w.template_id, "From template"),
        "scanner_create",
    ),
    Call(
        "scanners.save_scanner (edit)",
        "trader",
        lambda e, a, w: scanners.save_scanner(e, a, w.scanner_id, "Mine", "signal = True\n", "{}"),
        "scanner_edit",
    ),
    Call(
        "scanners.save_scanner (create)",
        "trader",
        lambda e, a, w: scanners.save_scanner(e, a, None, "Another", "signal = True\n", "{}"),
        "scanner_create",
    ),
    Call("scanners.deletion_impact", "trader", lambda e, a, w: scanners.deletion_impact(e, a, w.scanner_id)),
    Call(
        "scanners.delete_scanner",
        "trader",
        lambda e, a, w: scanners.delete_scanner(e, a, w.scanner_id),
        "scanner_delete",
    ),
    # A dry run with unreadable parameters stops before the sandbox: it is still checked and logged first.
    Call(
        "scanners.dry_run",
        "trader",
        lambda e, a, w: scanners.dry_run(e, a, "signal = True", "AAPL", "{", caller="roles"),
        "scanner_dry_run",
    ),
    Call(
        "scanners.start_scan",
        "trader",
        lambda e, a, w: scanners.start_scan(e, a, w.scanner_id, w.watchlist_id),
        "scanner_run",
    ),
    Call("scanners.scan_progress", "viewer", lambda e, a, w: scanners.scan_progress(e, a, 1)),
    Call("scanners.active_run", "viewer", lambda e, a, w: scanners.active_run(e, a, w.scanner_id)),
    Call("scanners.latest_results", "viewer", lambda e, a, w: scanners.latest_results(e, a, w.scanner_id)),
    Call("scanners.schedule_table", "viewer", lambda e, a, w: scanners.schedule_table(e, a, w.scanner_id)),
    Call(
        "scanners.add_schedule",
        "trader",
        lambda e, a, w: scanners.add_schedule(
            e,
            a,
            w.scanner_id,
            w.watchlist_id,
            "daily",
            interval_minutes=None,
            run_time=dt.time(9, 45),
            days=[],
            market_hours_only=True,
        ),
        "schedule_create",
    ),
    # History, Overview and the activity log
    Call("operations.history_report", "viewer", lambda e, a, w: operations.history_report(e, a)),
    Call("operations.database_overview", "admin", lambda e, a, w: operations.database_overview(e, a)),
    Call("operations.market_overview", "viewer", lambda e, a, w: operations.market_overview(e, a)),
    Call("operations.activity", "admin", lambda e, a, w: operations.activity(e, a)),
    Call("operations.activity_choices", "admin", lambda e, a, w: operations.activity_choices(e, a)),
    # calendars and retention (the Operations page)
    Call("calendars.calendar_view", "viewer", lambda e, a, w: calendars.calendar_view(e, a)),
    Call(
        "calendars.refill_calendar", "admin", lambda e, a, w: calendars.refill_calendar(e, a, "XNYS"), "calendar_refill"
    ),
    Call(
        "calendars.add_closure",
        "admin",
        lambda e, a, w: calendars.add_closure(e, a, "XNYS", w.closure + dt.timedelta(days=7), "Mourning"),
        "calendar_closure_add",
    ),
    Call(
        "calendars.remove_closure",
        "admin",
        lambda e, a, w: calendars.remove_closure(e, a, "XNYS", w.closure),
        "calendar_closure_remove",
    ),
    Call("operations.retention_view", "viewer", lambda e, a, w: operations.retention_view(e, a)),
    Call(
        "operations.set_retention",
        "admin",
        lambda e, a, w: operations.set_retention(e, a, {"job_days": 14}),
        "retention_change",
    ),
    Call(
        "operations.request_housekeeping",
        "admin",
        lambda e, a, w: operations.request_housekeeping(e, a),
        "housekeeping_request",
    ),
    # the wheel: roles as for Accounts (a trader's own accounts; the matrix's actors own none)
    Call(
        "premiums.covered_calls", "trader", lambda e, a, w: premiums.covered_calls(e, a, PremiumFilters(strategy="cc"))
    ),
    Call("premiums.account_choices", "trader", lambda e, a, w: premiums.account_choices(e, a)),
    Call("premiums.put_cash", "trader", lambda e, a, w: premiums.put_cash(e, a)),
    Call("premiums.sized_puts", "trader", lambda e, a, w: _no_cash(premiums.sized_puts, e, a, PremiumFilters())),
    Call("wheel.open_positions", "trader", lambda e, a, w: wheel.open_positions(e, a)),
    Call("wheel.rolls", "trader", lambda e, a, w: _no_cash(wheel.rolls, e, a, 0)),
    Call("wheel.cycles", "trader", lambda e, a, w: wheel.cycles(e, a)),
    Call("wheel.cycle_chart", "trader", lambda e, a, w: wheel.cycle_chart(e, a, Cycle("x", "AAPL", dt.date.today()))),
    # the Strategy Lab: traders and admins
    Call("lab.list_configs", "trader", lambda e, a, w: lab.list_configs(e, a)),
    Call("lab.screen_names", "trader", lambda e, a, w: lab.screen_names(e, a)),
    Call("lab.usage", "trader", lambda e, a, w: lab.usage(e, a)),
    Call("lab.get_config", "trader", lambda e, a, w: lab.get_config(e, a, _lab_config(e, a))),
    Call("lab.list_runs", "trader", lambda e, a, w: lab.list_runs(e, a)),
    Call("lab.get_run", "trader", lambda e, a, w: lab.get_run(e, a, _lab_run(e, a).id)),
    Call("lab.progress", "trader", lambda e, a, w: lab.progress(e, a, _lab_run(e, a))),
    Call(
        "lab.create_config",
        "trader",
        lambda e, a, w: lab.create_config(e, a, "From saved", lab.Rules(), screen="Saved"),
        "lab_config_create",
    ),
    Call(
        "lab.update_config",
        "trader",
        lambda e, a, w: lab.update_config(e, a, _lab_config(e, a), active=False),
        "lab_config_update",
    ),
    Call(
        "lab.start_run",
        "trader",
        lambda e, a, w: lab.start_run(e, a, _lab_config(e, a), *LAB_WINDOW, symbols=["AAPL"]),
        "lab_run",
    ),
    Call("lab.cancel_run", "trader", lambda e, a, w: lab.cancel_run(e, a, _lab_run(e, a).id), "lab_run_cancel"),
    Call("lab.work_inline", "trader", lambda e, a, w: lab.work_inline(e, a, _lab_run(e, a))),
    Call("lab.conversations", "trader", lambda e, a, w: lab.conversations(e, a, _lab_config(e, a))),
    Call("lab.ask_assistant", "trader", lambda e, a, w: _unconfigured(lab.ask_assistant, e, a, "Matrix", "Why?")),
    # users
    Call("users.list_users", "admin", lambda e, a, w: users_service.list_users(e, a)),
    Call(
        "users.create_user",
        "admin",
        lambda e, a, w: users_service.create_user(e, a, "newcomer", PASSWORD, "viewer"),
        "user_create",
    ),
]


LAB_WINDOW = (dt.date(2025, 3, 3), dt.date(2025, 3, 28))


def _unconfigured(call, *args):
    """The assistant past the role check, with no endpoint configured: the answer is that none is."""
    try:
        return call(*args)
    except lab.AssistantError:
        return None


def _lab_config(engine, actor) -> str:
    """A config stored without the service (no activity row), once the role check would pass."""
    lab.require(actor, lab.LAB)
    with unit_of_work(engine, write=True) as session:
        if not lab_configs.list_configs(session):
            lab_configs.create_config(session, "Matrix", PremiumFilters(), lab.Rules())
    return "Matrix"


def _lab_run(engine, actor) -> lab.TestRun:
    """A queued test run of one symbol over four weeks, stored without the service."""
    name = _lab_config(engine, actor)
    with unit_of_work(engine, write=True) as session:
        test, _ = enqueue_test_run(session, lab_configs.get_config(session, name), *LAB_WINDOW, symbols=["AAPL"])
        return lab.TestRun(test.id, name, test.test_parameters["job_run_id"], test.test_parameters, {})


def _no_cash(call, *args):
    """A wheel call that, past the role check, finds no cash or no such position: the answer, not a refusal."""
    try:
        return call(*args)
    except (wheel.InvalidFilters, wheel.PositionNotFound):
        return None


def build_world(committed_engine) -> World:
    with unit_of_work(committed_engine, write=True) as session:
        for symbol in ("AAPL", "MSFT", "KO"):
            factories.stock(session, symbol=symbol)
        factories.scanner(session, name="Mine")
    watchlists.create(committed_engine, LOCAL_OPERATOR, "Tech")
    watchlists.add(committed_engine, LOCAL_OPERATOR, "Tech", watchlists.parse_symbols("AAPL, MSFT"))
    premiums.save_screen(committed_engine, LOCAL_OPERATOR, "Saved", PremiumFilters())
    scanners.seed_templates(committed_engine, LOCAL_OPERATOR)
    closure = _new_york_calendar(committed_engine)
    calendars.add_closure(committed_engine, LOCAL_OPERATOR, "XNYS", closure, "Day of mourning")
    with unit_of_work(committed_engine) as session:
        return World(
            "Tech",
            session.scalar(select(Watchlist.id).where(Watchlist.name == "Tech")),
            session.scalar(select(Scanner.id).where(Scanner.name == "Mine")),
            session.scalar(select(ScannerTemplate.id).limit(1)),
            closure,
        )


def _new_york_calendar(engine) -> dt.date:
    """An XNYS template trading Monday to Friday with no holidays (cheaper than a fill); returns a Monday ahead."""
    with unit_of_work(engine, write=True) as session:
        template = TradingHoursTemplate(name="NYSE", exchange_code="XNYS", timezone="America/New_York")
        session.add(template)
        session.flush()
        session.add_all(
            TradingSession(
                template_id=template.id,
                day_of_week=day,
                is_trading_day=day < 5,
                market_open=dt.time(9, 30) if day < 5 else None,
                market_close=dt.time(16) if day < 5 else None,
            )
            for day in range(7)
        )
    today = dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday())


def _activity(engine, username: str) -> list[tuple[str, str | None]]:
    with unit_of_work(engine) as session:
        return session.execute(
            select(ActivityLog.action, ActivityLog.target).where(ActivityLog.username == username)
        ).all()


def _rows(engine) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(func.count()).select_from(ActivityLog))


STARTS_A_PROCESS = {"scanners.scanners_page"}  # it probes whether the sandbox can run here


@pytest.mark.parametrize("actor", [VIEWER, TRADER, ADMIN], ids=lambda a: str(a.role))
@pytest.mark.parametrize(
    "call",
    [pytest.param(c, marks=pytest.mark.slow) if c.name in STARTS_A_PROCESS else c for c in CALLS],
    ids=lambda c: c.name,
)
def test_each_role_gets_exactly_what_the_matrix_gives(committed_engine, call, actor):
    allowed = RANK[actor.role] >= RANK[call.needs]
    # A refusal comes before any database work, so refused calls get ids that name nothing.
    world = build_world(committed_engine) if allowed else World("Nowhere", 0, 0, 0)
    before = _rows(committed_engine)
    if not allowed:
        with pytest.raises(PermissionDenied) as refused:
            call.run(committed_engine, actor, world)
        assert str(refused.value).startswith(f"{actor.username} ({actor.role}) cannot ")
        assert f"that needs the {call.needs} role" in str(refused.value)
        assert _rows(committed_engine) == before  # refused before anything was written
        return
    call.run(committed_engine, actor, world)
    logged = _activity(committed_engine, actor.username)
    if call.action is None:
        assert logged == [], f"a read wrote activity: {logged}"
    else:
        assert [action for action, _ in logged] == [call.action]
        assert logged[0][1], "an activity row names what was changed"


def test_the_matrix_covers_every_function_the_pages_call():
    """Every service entry point (a function whose first parameter is the engine) is in CALLS, so a new one
    cannot land outside the matrix; pure helpers (a frame to CSV, parsing) and session-level parts are not."""
    modules = {"watchlists": watchlists, "premiums": premiums, "sync": sync, "scanners": scanners}
    modules["calendars"] = calendars
    modules["operations"] = operations
    modules["wheel"] = wheel
    modules["symbol_view"] = symbol_view
    modules["lab"] = lab
    modules["track"] = track
    entry_points = set()
    for label, module in modules.items():
        for name in module.__all__:
            function = getattr(module, name)
            if inspect.isfunction(function) and next(iter(inspect.signature(function).parameters)) == "engine":
                entry_points.add(f"{label}.{name}")
    exempt = {
        "premiums.detail",  # the same READ check as best_per_symbol; needs a stored chain (tests/premiums)
        "operations.sidebar_status",  # the status line of every signed-in page: no actor (module docstring)
        "operations.data_version",  # a cache key, no actor
        "premiums.data_version",  # the same function, re-exported
        # the "my holdings" scope lives in core.premiums.service; the wheel's service re-exports it
        "wheel.covered_calls",
        "wheel.account_choices",
        "wheel.put_cash",
        "wheel.sized_puts",
    }
    assert entry_points - {c.name.split(" ")[0] for c in CALLS} - exempt == set()
    for name in exempt - {"operations.sidebar_status", "operations.data_version", "premiums.data_version"}:
        label, function = name.split(".")
        assert list(inspect.signature(getattr(modules[label], function)).parameters)[1] == "actor"


def test_every_service_entry_point_takes_the_actor_second():
    """Every public function of every `core/<feature>/service.py` (found by glob, so a new service is checked too)
    whose first parameter is the engine takes the actor second: pages and commands cannot call one without saying
    who acts. The exemptions take no actor on purpose (core/operations/service.py says why)."""
    exempt = {"sidebar_status", "data_version"}
    paths = sorted((REPO_ROOT / "core").glob("*/service.py"))
    assert {p.parent.name for p in paths} >= {"accounts", "operations", "premiums", "scanner", "sync", "watchlists"}
    missing, checked = [], 0
    for path in paths:
        module = importlib.import_module(f"core.{path.parent.name}.service")
        for name in getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")]):
            function = getattr(module, name)
            if not inspect.isfunction(function) or name in exempt:
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters[:1] == ["engine"]:
                checked += 1
                if parameters[1:2] != ["actor"]:
                    missing.append(f"{path.parent.name}.{name}")
    assert missing == []
    assert checked > 40  # the glob found the services and their entry points
