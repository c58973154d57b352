"""`python -m core import-chains PATH...`: load chain snapshot files into the database."""

from __future__ import annotations

import argparse
import datetime as dt

from core.auth import Permission, require
from core.auth.audit import log_activity
from core.commands import CommandError, acting_actor, database_url, emit_json
from core.db.engine import get_engine
from core.db.migrate import require_current_schema
from core.pricing.quality import DROPPED, describe_counts
from core.sync.imports import FileReport, import_chains


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cmd = commands.add_parser(
        "import-chains", parents=[common], help="load chain snapshot files (csv: yfinance, Cboe, Wheelhouse layouts)"
    )
    cmd.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders to search for .csv files")
    cmd.add_argument(
        "--underlying-price",
        type=float,
        metavar="PX",
        help="spot at the quote, for files that do not carry it (bare yfinance exports)",
    )
    cmd.add_argument(
        "--quote-time",
        type=_moment,
        metavar="ISO",
        help="when the chain was quoted (e.g. 2024-10-01T20:00Z), for files that do not say",
    )
    cmd.add_argument("--format", choices=("table", "json"), default="table")
    cmd.set_defaults(handler=_import)


def summary_lines(report: FileReport) -> list[str]:
    """A file's import in words: what was loaded, what was loaded but kept out of rankings, what was not."""
    flagged = {r: n for r, n in report.quarantined.items() if r not in DROPPED}
    dropped = {r: n for r, n in report.quarantined.items() if r in DROPPED}
    symbols = ", ".join(report.symbols) or "no symbol"
    lines = [f"{report.contracts:,} contracts loaded for {symbols}"]
    if flagged:
        lines.append(
            f"{sum(flagged.values()):,} of them loaded but kept out of rankings (shown in chains): "
            f"{describe_counts(flagged)}"
        )
    if dropped:
        lines.append(f"{sum(dropped.values()):,} contracts not loaded: {describe_counts(dropped)}")
    if report.rows_rejected:
        lines.append(f"{report.rows_rejected:,} of {report.rows_read:,} file rows unreadable, not loaded")
    return lines


def _moment(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone: add Z or an offset such as -04:00")
    return moment


def _import(args: argparse.Namespace) -> int:
    engine = get_engine(database_url(args))
    require_current_schema(engine)
    actor = require(acting_actor(args, engine), Permission.SYNC)  # loading chains is a sync by hand
    try:
        reports = import_chains(engine, args.paths, underlying_price=args.underlying_price, quote_time=args.quote_time)
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from None
    if not reports:
        raise CommandError("no .csv files found under the paths given")
    loaded = [r.path for r in reports if not r.error]
    log_activity(engine, "chains_import", actor=actor, details={"files": loaded, "failed": len(reports) - len(loaded)})
    if args.format == "json":
        emit_json({"files": [{**r.__dict__, "quarantined": dict(r.quarantined)} for r in reports]})
    else:
        for r in reports:
            if r.error:
                print(f"FAILED  {r.path}: {r.error}")
                continue
            print(f"ok      {r.path} [{r.layout}]")
            for line in summary_lines(r):
                print(f"        {line}")
            for why in r.skipped:
                print(f"        skipped {why}")
    return 1 if any(r.error for r in reports) else 0
