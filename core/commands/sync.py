"""`python -m core sync (--all | --watchlist NAME | --symbols A,B) [--provider] [--source] [--account] [--inline]`."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
import time

from sqlalchemy import select

from core.commands import CommandError, acting_actor, database_url, emit_json
from core.db.engine import get_engine, unit_of_work
from core.db.migrate import require_current_schema
from core.db.models import JobItem, JobRun
from core.jobs.queue import USAGE_COLUMNS, usage_totals
from core.providers import PROVIDER_NAMES, UnknownProvider
from core.symbols import SymbolListError, parse_ticker_list
from core.sync.requests import SyncRequest, SyncRequestError
from core.sync.service import enqueue
from core.sync.worker import SyncWorker


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sync = commands.add_parser("sync", parents=[common], help="refresh option chains (enqueue, or --inline)")
    scope = sync.add_mutually_exclusive_group(required=True)
    scope.add_argument("--all", action="store_true", help="every active stock (the provider's universe if none)")
    scope.add_argument("--watchlist", metavar="NAME", help="the symbols of one watchlist")
    scope.add_argument("--symbols", metavar="A,B,...", help="comma-separated symbols")
    sync.add_argument("--provider", choices=PROVIDER_NAMES, help="default: MARKET_DATA_PROVIDER")
    sync.add_argument("--source", metavar="PATH", help="folder for the csv provider")
    sync.add_argument(
        "--account",
        metavar="NAME",
        help="broker account the openalgo provider reads through (default: OPENALGO_ACCOUNT, else your primary)",
    )
    sync.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="market date for the synthetic provider (default today, New York)",
    )
    sync.add_argument(
        "--max-dte",
        type=int,
        metavar="N",
        help="only expiries within N days (0: every expiry; default: the watchlist's window, else SYNC_MAX_DTE)",
    )
    sync.add_argument("--inline", action="store_true", help="do the work in this process and wait for it")
    sync.add_argument("--format", choices=("table", "json"), default="table")
    sync.set_defaults(handler=_sync)


def _sync(args: argparse.Namespace) -> int:
    try:
        symbols = parse_ticker_list(args.symbols) if args.symbols else ()
        engine = get_engine(database_url(args))
        require_current_schema(engine)
        actor = acting_actor(args, engine)  # the local operator, or --as USER (who needs the trader role)
        request = SyncRequest(
            all_symbols=args.all,
            watchlist=args.watchlist,
            symbols=symbols,
            provider=args.provider,
            source=args.source,
            as_of=args.as_of,
            requested_by=_requested_by(actor),
            max_dte=args.max_dte,
            account=args.account,
        )
        with unit_of_work(engine, write=True) as session:
            run, created = enqueue(session, actor, request)
            run_id = run.id
    except (SyncRequestError, SymbolListError, UnknownProvider) as exc:
        raise CommandError(str(exc)) from None
    if not args.inline:
        if args.format == "json":
            emit_json({"run_id": run_id, "created": created})
        else:
            print(f"sync run {run_id} {'queued' if created else 'already queued or running'}")
        return 0
    started = time.monotonic()
    bar = ProgressBar(enabled=sys.stderr.isatty() and args.format != "json")
    worker = SyncWorker(engine)
    worker.run_until_idle(run_id, on_batch=lambda _: bar.show(_load(engine, run_id)))
    run = _load(engine, run_id)
    bar.finish(run)
    summary = {
        "run_id": run.id,
        "status": run.status,
        "symbols": run.total_items,
        "done": run.done_items,
        "failed": run.failed_items,
        "no_options": run.no_options_items,
        "contracts": run.contracts,
        "quarantined": run.quarantined or {},
        "seconds": round(time.monotonic() - started, 2),
        "max_dte": (run.params or {}).get("max_dte"),
        "requests": request_totals(engine, run_id),
        "failures": [{"symbol": s, "error": e} for s, e in failures(engine, run_id)],
    }
    if args.format == "json":
        emit_json(summary)
    else:
        print(
            f"sync run {run.id} {run.status}: {run.done_items}/{run.total_items} symbols, "
            f"{run.contracts:,} contracts, {run.failed_items} failed, {run.no_options_items} without options "
            f"in {summary['seconds']} s"
        )
        usage = summary["requests"]
        if usage["requests"]:
            print(describe_requests(usage, run.done_items))
        shown = summary["failures"][:_FAILURES_SHOWN]
        for failure in shown:
            print(f"  failed {failure['symbol']}: {failure['error'] or 'no reason recorded'}")
        if len(summary["failures"]) > len(shown):
            print(f"  ... and {len(summary['failures']) - len(shown)} more (History page, or --format json)")
    return 0 if run.status == "completed" else 1


def _requested_by(actor) -> str:
    """`cli:<login>` for the local operator (as before), `cli:<user>` when --as names a user."""
    return f"cli:{getpass.getuser() if actor.user_id is None else actor.username}"


_FAILURES_SHOWN = 10


def failures(engine, run_id: int) -> list[tuple[str, str | None]]:
    """(symbol, reason) of every failed item of the run, by symbol."""
    with unit_of_work(engine) as session:
        stmt = (
            select(JobItem.symbol, JobItem.error_message)
            .where(JobItem.run_id == run_id, JobItem.status == "failed")
            .order_by(JobItem.symbol)
        )
        return [(symbol, error) for symbol, error in session.execute(stmt)]


def request_totals(engine, run_id: int) -> dict[str, float]:
    """The run's request accounting summed over its items (zeros for a provider without a network)."""
    with unit_of_work(engine) as session:
        totals = usage_totals(session, [run_id]).get(run_id, {})
    return {key: round(totals.get(key, 0), 3) for key in USAGE_COLUMNS}


def describe_requests(usage: dict[str, float], symbols: int) -> str:
    """One line: requests (per symbol), retries, 429s, megabytes, seconds waiting for the bucket vs network."""
    per = f" ({usage['requests'] / symbols:.1f} a symbol)" if symbols else ""
    return (
        f"  {int(usage['requests']):,} requests{per}, {int(usage['retries'])} retries, "
        f"{int(usage['rate_limited'])} rate limited (429), {usage['bytes'] / 1e6:.1f} MB; "
        f"{usage['wait_seconds']:.1f} s waiting for the rate limit, {usage['network_seconds']:.1f} s on the network "
        "(summed over fetchers)"
    )


def _load(engine, run_id: int) -> JobRun:
    with unit_of_work(engine) as session:
        return session.get(JobRun, run_id)


class ProgressBar:
    """A one-line terminal progress bar on stderr (silent when stderr is not a terminal)."""

    def __init__(self, enabled: bool, width: int = 30):
        self.enabled, self.width = enabled, width

    def show(self, run: JobRun) -> None:
        if not self.enabled or not run.total_items:
            return
        done = run.done_items / run.total_items
        filled = int(done * self.width)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {run.done_items}/{run.total_items} "
            f"symbols, {run.contracts:,} contracts, {run.failed_items} failed"
        )
        sys.stderr.flush()

    def finish(self, run: JobRun) -> None:
        if self.enabled:
            self.show(run)
            sys.stderr.write("\n")
