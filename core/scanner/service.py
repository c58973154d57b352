"""What the Scanners page calls: one function per action, plain dataclasses and frames back, no ORM objects.

Every function takes the dashboard's Engine and the acting user, checks the user's role first (reads: viewer;
scanners, dry runs and runs: `MANAGE_SCANNERS`; schedules: `MANAGE_SCHEDULES`), and opens its own unit of work
(read-only unless it writes); every change writes its activity row in the same transaction. The page stays
widgets + one call + rendering (STYLE principle 1). Nothing here runs user code in the dashboard process: the
dry run goes to a sandbox worker process, reads bars from the cache only (the synthetic market is computed,
never fetched) and writes nothing but its activity row; runs over a watchlist go through the queue.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine, desc, func, select

from core.auth.audit import record_activity
from core.auth.roles import Actor, Permission, require
from core.clock import today_in_new_york
from core.db.engine import DatabaseError, unit_of_work
from core.db.migrate import require_current_schema
from core.db.models import JobRun, ScanHistory, Scanner, ScannerTemplate, ScanResult, ScanSchedule, Watchlist
from core.exports import frame_csv
from core.scanner import jobs, schedules, templates
from core.scanner.box.validate import Issue, validate
from core.scanner.dryruns import POOL, DryRunBusy, DryRunPool
from core.scanner.engine import scan_symbols
from core.scanner.market import MarketData
from core.scanner.params import ParamError, parse_params_json, typed_params
from core.scanner.sandbox import sandbox_status
from core.symbols import is_ticker
from core.wording import plural, shorten

MAX_VIEW_CHARS = 50_000  # a dry run's variables (and, apart, its inputs) as JSON, at most
MAX_ERRORS_SHOWN = 2_000
SCHEDULE_TYPES = schedules.SCHEDULE_TYPES
DAY_NAMES = schedules.DAY_NAMES
ScheduleError = schedules.ScheduleError
ScanRequestError = jobs.ScanRequestError


@dataclass(frozen=True)
class ScannerRow:
    id: int
    name: str
    category: str | None
    description: str | None
    code: str
    parameters: str  # JSON text for the form
    template_id: int | None
    draft: bool = False  # saved with validation problems: never run or scheduled


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class ScannersPage:
    scanners: list[ScannerRow] = field(default_factory=list)
    templates: list[Choice] = field(default_factory=list)
    watchlists: list[Choice] = field(default_factory=list)
    sandbox: str = ""
    error: str | None = None
    today: dt.date = field(default_factory=today_in_new_york)  # the latest as-of date a run may take


@dataclass(frozen=True)
class Saved:
    scanner_id: int | None
    issues: list[Issue]
    error: str | None = None


@dataclass(frozen=True)
class DryRun:
    symbol: str
    signal: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    printed: str = ""
    sandbox: str = ""


@dataclass(frozen=True)
class DeletionImpact:
    """What deleting a scanner takes with it, for the confirmation the page asks for."""

    name: str
    schedules: int
    runs: int  # scan_history rows
    results: int

    def describe(self) -> str:
        return (
            f"Its {plural(self.schedules, 'schedule')}, {plural(self.runs, 'past run')} and "
            f"{plural(self.results, 'result')} go with it"
        )


@dataclass(frozen=True)
class Progress:
    status: str
    done: int
    total: int
    failed: int
    history_id: int | None


@dataclass(frozen=True)
class Results:
    summary: str  # ours: status and counts
    frame: pd.DataFrame
    errors: str = ""  # the run's errors: scanner-provided text, for the page to show as plain text


def scanners_page(engine: Engine, actor: Actor) -> ScannersPage:
    """Everything the page lists: scanners, templates, watchlists and whether the sandbox can run here."""
    require(actor, Permission.READ)
    try:
        require_current_schema(engine)
    except DatabaseError as exc:
        return ScannersPage(error=str(exc))
    with unit_of_work(engine) as session:
        scanners = [
            ScannerRow(
                s.id,
                s.name,
                s.category,
                s.description,
                s.code,
                json.dumps(s.parameters or {}, indent=2),
                s.template_id,
                bool(s.draft),
            )
            for s in session.scalars(select(Scanner).order_by(Scanner.name))
        ]
        template_rows = session.execute(
            select(ScannerTemplate.id, ScannerTemplate.name, ScannerTemplate.category).order_by(
                ScannerTemplate.category, ScannerTemplate.name
            )
        ).all()
        watch_rows = session.execute(
            select(Watchlist.id, Watchlist.name, Watchlist.symbols).order_by(Watchlist.name)
        ).all()
    return ScannersPage(
        scanners=scanners,
        templates=[Choice(t.id, f"{t.name} ({t.category})") for t in template_rows],
        watchlists=[Choice(w.id, f"{w.name} ({plural(len(w.symbols or []), 'symbol')})") for w in watch_rows],
        sandbox=sandbox_status().describe(),
    )


def seed_templates(engine: Engine, actor: Actor) -> int:
    """Add the built-in scanner templates; returns how many were added."""
    require(actor, Permission.MANAGE_SCANNERS)
    with unit_of_work(engine, write=True) as session:
        added = templates.seed_templates(session)
        record_activity(session, "templates_seed", actor=actor, target="scanner_templates", details={"added": added})
        return added


def create_from_template(engine: Engine, actor: Actor, template_id: int, name: str | None = None) -> str:
    """A new scanner from a template; returns its name (made unique)."""
    require(actor, Permission.MANAGE_SCANNERS)
    with unit_of_work(engine, write=True) as session:
        row = templates.scanner_from_template(session, template_id, name)
        record_activity(
            session, "scanner_create", actor=actor, target=f"scanner:{row.name}", details={"template": template_id}
        )
        return row.name


def save_scanner(
    engine: Engine,
    actor: Actor,
    scanner_id: int | None,
    name: str,
    code: str,
    parameters: str,
    description: str | None = None,
) -> Saved:
    """Save (create when `scanner_id` is None) a scanner; the code is saved even with issues, which come back."""
    require(actor, Permission.MANAGE_SCANNERS)
    issues = validate(code)
    try:
        schema = parse_params_json(parameters)
        typed_params(schema)
    except ParamError as exc:
        return Saved(scanner_id, issues, f"parameters: {exc}")
    if not name.strip():
        return Saved(scanner_id, issues, "a scanner needs a name")
    with unit_of_work(engine, write=True) as session:
        clash = session.execute(
            select(Scanner.id, Scanner.name).where(func.lower(Scanner.name) == name.strip().lower())
        ).first()
        if clash is not None and clash.id != scanner_id:  # names ignore case, as the unique index does
            return Saved(scanner_id, issues, f"a scanner called {clash.name!r} already exists (names ignore case)")
        row = session.get(Scanner, scanner_id) if scanner_id is not None else None
        action = "scanner_edit" if row is not None else "scanner_create"
        if row is None:
            row = Scanner(name=name.strip(), code=code)
            session.add(row)
        row.name, row.code, row.parameters, row.draft = name.strip(), code, schema, bool(issues)
        if description is not None:
            row.description = description
        session.flush()
        record_activity(session, action, actor=actor, target=f"scanner:{row.name}", details={"issues": len(issues)})
        return Saved(row.id, issues)


def deletion_impact(engine: Engine, actor: Actor, scanner_id: int) -> DeletionImpact | None:
    """What deleting the scanner takes with it (None when there is no such scanner), for the page's confirmation."""
    require(actor, Permission.MANAGE_SCANNERS)
    with unit_of_work(engine) as session:
        return _impact(session, scanner_id)


def delete_scanner(engine: Engine, actor: Actor, scanner_id: int) -> DeletionImpact | None:
    """Delete a scanner (its schedules, results and history go with it); returns what went."""
    require(actor, Permission.MANAGE_SCANNERS)
    with unit_of_work(engine, write=True) as session:
        gone = _impact(session, scanner_id)
        if gone is not None:
            session.delete(session.get(Scanner, scanner_id))
            record_activity(
                session, "scanner_delete", actor=actor, target=f"scanner:{gone.name}", details=dataclasses.asdict(gone)
            )
        return gone


def _impact(session, scanner_id: int) -> DeletionImpact | None:
    row = session.get(Scanner, scanner_id)
    if row is None:
        return None

    def count(model) -> int:
        return session.scalar(select(func.count()).select_from(model).where(model.scanner_id == scanner_id)) or 0

    return DeletionImpact(row.name, count(ScanSchedule), count(ScanHistory), count(ScanResult))


def dry_run(
    engine: Engine,
    actor: Actor,
    code: str,
    symbol: str,
    parameters: str,
    values: str = "",
    *,
    caller: str,
    pool: DryRunPool = POOL,
) -> DryRun:
    """Run `code` on one symbol in the sandbox with the cached bars; the namespace's values come back.

    Through the bounded dry-run pool (core.scanner.dryruns): `caller` (the browser session) has at most one
    going, and a click past the pool's bounds is refused at once with the reason.
    """
    require(actor, Permission.MANAGE_SCANNERS)
    symbol = symbol.strip().upper()
    if not is_ticker(symbol):
        return DryRun(symbol[:20], error=f"{symbol[:20]!r} is not a ticker symbol")
    with unit_of_work(engine, write=True) as session:  # logged before it runs: user code is run on their behalf
        record_activity(session, "scanner_dry_run", actor=actor, target=f"symbol:{symbol}")
    try:
        schema, supplied = parse_params_json(parameters), parse_params_json(values)
    except ParamError as exc:
        return DryRun(symbol, error=str(exc))
    market = MarketData(engine, read_only=True)
    try:
        with pool.slot(caller):
            report = scan_symbols(code, [symbol], market=market, params=supplied, schema=schema, debug=True)
    except DryRunBusy as exc:
        return DryRun(symbol, error=str(exc))
    if report.errors and report.errors[0]["symbol"] is None:
        return DryRun(symbol, error="; ".join(e["error"] for e in report.errors), sandbox=report.sandbox)
    outcome = report.outcomes[0] if report.outcomes else None
    debug = (outcome.debug if outcome else None) or {}
    return DryRun(
        symbol,
        signal=(outcome.result or {}).get("signal") if outcome else None,
        metrics=(outcome.result or {}).get("metrics", {}) if outcome else {},
        error=outcome.error if outcome else (report.errors[0]["error"] if report.errors else None),
        variables=bounded_view(debug.get("variables", {})),
        inputs=bounded_view(debug.get("inputs", {})),
        printed=debug.get("printed", ""),
        sandbox=report.sandbox,
    )


def bounded_view(values: Any, budget: int = MAX_VIEW_CHARS) -> dict[str, Any]:
    """A dry run's variables or inputs as the page shows them: at most `budget` characters of JSON in all.

    The sandbox already bounds depth, width and strings (core.scanner.box.clean); this bounds what the browser is
    sent, whatever the scanner made: values past the budget are replaced by a note of their size.
    """
    if not isinstance(values, dict):
        return {}
    shown: dict[str, Any] = {}
    left = budget
    for name, value in values.items():
        size = len(json.dumps(value, default=str))
        if size > left:
            shown[str(name)] = f"(not shown: {size:,} characters)"
            left -= 40
        else:
            shown[str(name)] = value
            left -= size
        if left <= 0 and len(shown) < len(values):
            shown["..."] = f"{len(values) - len(shown)} more not shown"
            break
    return shown


def start_scan(
    engine: Engine, actor: Actor, scanner_id: int, watchlist_id: int, as_of: dt.date | None = None
) -> tuple[int, bool]:
    """Queue a run over a watchlist for the sidecar, its bars ending on `as_of` (default today); (run id, created)."""
    require(actor, Permission.MANAGE_SCANNERS)
    with unit_of_work(engine, write=True) as session:
        run, created = jobs.enqueue_scan(
            session, scanner_id, watchlist_id=watchlist_id, requested_by=actor.username, as_of=as_of
        )
        details = {"scanner_id": scanner_id, "watchlist_id": watchlist_id, "created": created}
        if as_of is not None:
            details["as_of"] = as_of.isoformat()
        record_activity(session, "scanner_run", actor=actor, target=f"run:{run.id}", details=details)
        return run.id, created


def scan_progress(engine: Engine, actor: Actor, run_id: int) -> Progress | None:
    """How far run `run_id` has got (None if there is no such run)."""
    require(actor, Permission.READ)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                JobRun.status, JobRun.done_items, JobRun.total_items, JobRun.failed_items, JobRun.scan_history_id
            ).where(JobRun.id == run_id)
        ).one_or_none()
    return None if row is None else Progress(*row)


def active_run(engine: Engine, actor: Actor, scanner_id: int) -> int | None:
    """The newest queued or running scan run of this scanner, if any (the page resumes its progress bar)."""
    require(actor, Permission.READ)
    with engine.connect() as conn:
        runs = conn.execute(
            select(JobRun.id, JobRun.params)
            .where(JobRun.kind == jobs.KIND, JobRun.status.in_(("queued", "running")))
            .order_by(desc(JobRun.id))
        ).all()
    return next((r.id for r in runs if (r.params or {}).get("scanner_id") == scanner_id), None)


def latest_results(engine: Engine, actor: Actor, scanner_id: int, run_id: int | None = None) -> Results:
    """The results of run `run_id` (the one the Run tab started) once it has any, else of the scanner's newest
    run, with a summary line that names the run as the Run tab does (an empty frame before any run)."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        history = None
        if run_id is not None:
            history = session.scalar(
                select(ScanHistory)
                .join(JobRun, JobRun.scan_history_id == ScanHistory.id)
                .where(JobRun.id == run_id, ScanHistory.scanner_id == scanner_id)
            )
        if history is None:
            history = session.scalars(
                select(ScanHistory).where(ScanHistory.scanner_id == scanner_id).order_by(desc(ScanHistory.id)).limit(1)
            ).first()
        if history is None:
            return Results("no runs yet", pd.DataFrame(columns=["symbol", "signal"]))
        job = session.execute(select(JobRun.id, JobRun.params).where(JobRun.scan_history_id == history.id)).first()
        rows = session.execute(
            select(ScanResult.symbol, ScanResult.signal, ScanResult.metrics, ScanResult.timestamp)
            .where(ScanResult.scan_history_id == history.id)
            .order_by(ScanResult.symbol)
        ).all()
        as_of = ((job.params or {}).get("as_of") if job else None) or None
        summary = (
            (f"run {job.id}" if job else f"scan {history.id}")
            + (f" as of {as_of}" if as_of else "")
            + f" {history.status}: {plural(history.symbols_scanned or 0, 'symbol')} scanned, "
            f"{plural(history.signals_found or 0, 'signal')}"
            + (f" in {history.execution_time_ms / 1000:.1f} s" if history.execution_time_ms else "")
        )
        errors = shorten(history.error_message or "", MAX_ERRORS_SHOWN)
    frame = pd.DataFrame(
        [
            {"symbol": r.symbol, "signal": r.signal, **_dates_as_dates(r.metrics or {}), "time": r.timestamp}
            for r in rows
        ]
    )
    for name in frame.columns:  # a metric a scanner left out (None) is a blank cell, not the word "None"
        if frame[name].dtype == object:
            frame[name] = frame[name].where(frame[name].notna(), "")
    return Results(summary, frame if len(frame) else pd.DataFrame(columns=["symbol", "signal"]), errors)


_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})T00:00:00(?:\.0+)?$")


def _dates_as_dates(metrics: dict[str, Any]) -> dict[str, Any]:
    """Metric values stored as midnight timestamps (`2027-01-08T00:00:00`, results saved before scanners reported
    dates as dates) shown as the dates they are."""
    return {k: _MIDNIGHT.sub(r"\1", v) if isinstance(v, str) else v for k, v in metrics.items()}


def results_csv(frame: pd.DataFrame) -> bytes:
    """The results table as CSV bytes (the export button): a scanner's text cannot become a formula."""
    return frame_csv(frame).encode()


def add_schedule(
    engine: Engine,
    actor: Actor,
    scanner_id: int,
    watchlist_id: int,
    schedule_type: str,
    *,
    interval_minutes: int | None,
    run_time: dt.time | None,
    days: list[int],
    market_hours_only: bool,
) -> str:
    """Add a schedule; returns its description (ScheduleError says what is missing)."""
    require(actor, Permission.MANAGE_SCHEDULES)
    with unit_of_work(engine, write=True) as session:
        row = schedules.create_schedule(
            session,
            scanner_id,
            watchlist_id,
            schedule_type,
            interval_minutes=interval_minutes,
            run_time=run_time,
            days_of_week=days,
            market_hours_only=market_hours_only,
        )
        described = schedules.describe(row)
        record_activity(
            session,
            "schedule_create",
            actor=actor,
            target=f"schedule:{row.id}",
            details={"scanner_id": scanner_id, "watchlist_id": watchlist_id, "when": described},
        )
        return described


def schedule_table(engine: Engine, actor: Actor, scanner_id: int) -> pd.DataFrame:
    """The scanner's schedules, one row each, described in words."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        rows = [
            {
                "id": s.id,
                "when": schedules.describe(s),
                "watchlist": s.watchlist_id,
                "active": s.is_active,
                "next run": s.next_run,
                "last run": s.last_run,
            }
            for s in schedules.scanner_schedules(session, scanner_id)
        ]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["id", "when", "watchlist", "active"])


__all__ = [
    "DAY_NAMES",
    "SCHEDULE_TYPES",
    "Choice",
    "DeletionImpact",
    "DryRun",
    "Issue",
    "Progress",
    "Results",
    "Saved",
    "ScannerRow",
    "ScannersPage",
    "ScheduleError",
    "active_run",
    "add_schedule",
    "bounded_view",
    "create_from_template",
    "delete_scanner",
    "deletion_impact",
    "dry_run",
    "latest_results",
    "results_csv",
    "save_scanner",
    "scan_progress",
    "scanners_page",
    "schedule_table",
    "seed_templates",
    "ScanRequestError",
    "start_scan",
    "validate",  # the page's Validate button: the same allow-list check as `python -m core scanner validate`
]
