"""`python -m core track-record [--screen NAME] [--format json]`: what tracked screens promised and delivered
(DESIGN section 8, docs/track-record.md); `--track NAME` / `--untrack NAME` mark a saved screen; `--resolve`
resolves the snapshots past expiry now instead of waiting for the sidecar.

JSON is one document: {"screens": [{screen, tracked, sessions, opportunities, resolved, unresolved, open,
win_rate, mean_realized_annualized, median_realized_annualized, mean_promised_annualized, worst_pnl,
total_pnl}]}; returns in percent, P&L in dollars per contract, win_rate a fraction, null when nothing resolved.
"""

from __future__ import annotations

import argparse

from core.commands import CommandError, acting_actor, database_url, emit_json
from core.db.engine import get_engine
from core.db.migrate import require_current_schema
from core.track import service


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cmd = commands.add_parser(
        "track-record", parents=[common], help="tracked screens: what they promised and what they delivered"
    )
    cmd.add_argument("--screen", metavar="NAME", help="one screen only")
    mark = cmd.add_mutually_exclusive_group()
    mark.add_argument("--track", metavar="NAME", help="track this saved screen (recorded after each universe sync)")
    mark.add_argument("--untrack", metavar="NAME", help="stop tracking this saved screen (its record stays)")
    cmd.add_argument("--resolve", action="store_true", help="resolve snapshots past expiry now (asks the provider)")
    cmd.add_argument("--format", choices=("table", "json"), default="table")
    cmd.set_defaults(handler=_track_record)


def _track_record(args: argparse.Namespace) -> int:
    engine = get_engine(database_url(args))
    require_current_schema(engine)
    actor = acting_actor(args, engine)
    try:
        if args.track or args.untrack:
            name = args.track or args.untrack
            changed = service.set_tracked(engine, actor, name, bool(args.track))
            if args.format == "table":
                state = "tracked" if args.track else "not tracked"
                print(f"screen {name!r} is {state}" + ("" if changed else " (it already was)"))
        if args.resolve:
            done = service.resolve_now(engine, actor)
            if args.format == "table":
                print(f"resolved {done.resolved}, still unresolved {done.unresolved}")
        records = service.track_record(engine, actor, args.screen)
    except service.ScreenError as exc:
        raise CommandError(str(exc)) from None
    if args.format == "json":
        emit_json({"screens": [r.to_json() for r in records]})
        return 0
    if not records:
        print("no tracked screens: save a screen on Scan Premiums, then track-record --track NAME")
    for r in records:
        print(
            f"{r.screen:<24} {'tracked' if r.tracked else 'untracked':<9} opportunities {r.opportunities:>5}  "
            f"resolved {r.resolved:>5}  open {r.open:>4}  unresolved {r.unresolved:>4}  win {_pct(r.win_rate)}  "
            f"realised {_num(r.mean_realized_annualized)}%/yr vs promised {_num(r.mean_promised_annualized)}%/yr  "
            f"worst {_num(r.worst_pnl)}$  total {r.total_pnl:,.0f}$"
        )
    return 0


def _pct(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.0%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"
