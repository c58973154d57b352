"""`python -m core.sync`: the sidecar process, composed (docs/sidecar.md).

    python -m core.sync [--database-url URL] [--drain] [--worker-only] [--log-format text|json]
                        [--lease-seconds S] [--poll-seconds S] [--batch-size N]

Without `--drain` it runs until SIGTERM or Ctrl-C and exits 0. `--drain` enqueues the schedule fires that are due,
works the queue until nothing is left (waiting out other workers' leases), and exits 0. `--worker-only` works the
queue but never leads: no timers, no schedules, no housekeeping.

This module is the composition root: the one place that knows every job kind. It builds the registry (chain
sync from core.sync, the track record from core.track.kind, scanner runs from core.scanner.jobs, broker-account
syncs, pings and live feeds from core.accounts.kind) and hands it to the general machinery in core.jobs, which
imports none of them. The entry point stays `python -m core.sync` (DESIGN section 8): core/sync/__main__.py calls
`main` here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from core.accounts.kind import accounts_sync_kind
from core.config import ConfigError, Settings, get_settings
from core.db.engine import DatabaseError, create_db_engine, first_line
from core.jobs import logs
from core.jobs.kinds import JobKinds
from core.jobs.settings import SidecarSettings
from core.jobs.sidecar import Sidecar
from core.lab.runs import lab_kind
from core.providers import get_provider
from core.scanner.jobs import scan_run_kind
from core.sync.kind import chain_sync_kind
from core.track.kind import track_record_kind


def job_kinds(settings: Settings, provider_factory=get_provider) -> JobKinds:
    """Every kind of work, in the order a poll works them: chain sync, the track record (right after a sync
    completes), scanner runs, account syncs, lab test runs."""
    sync = chain_sync_kind(
        interval_minutes=settings.sync_interval_minutes,
        market_hours_only=settings.sync_market_hours_only,
        exchange=settings.sidecar_market_exchange,
        provider_factory=provider_factory,
    )
    accounts = accounts_sync_kind(
        ping_seconds=settings.account_ping_interval_seconds,
        sync_minutes=settings.account_sync_interval_minutes,
        feed_seconds=settings.account_feed_flush_seconds,
    )
    return JobKinds([sync, track_record_kind(provider_factory), scan_run_kind(), accounts, lab_kind()])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.sync", description="The Wheelhouse sync sidecar.")
    parser.add_argument("--database-url", metavar="URL", help="overrides DATABASE_URL")
    parser.add_argument("--drain", action="store_true", help="work the queue until it is empty, then exit 0")
    parser.add_argument("--worker-only", action="store_true", help="work the queue; never lead or schedule")
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("--lease-seconds", type=float, metavar="S", help="item lease (SIDECAR_LEASE_SECONDS)")
    parser.add_argument("--poll-seconds", type=float, metavar="S", help="queue poll (SIDECAR_POLL_SECONDS)")
    parser.add_argument("--batch-size", type=int, metavar="N", help="symbols per claim (SIDECAR_BATCH_SIZE)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sidecar; one `error:` line on stderr and exit 1 for bad settings or an unusable database."""
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        logs.configure(args.log_format, settings.log_level)
        sidecar_settings = SidecarSettings.from_settings(
            settings, lease_seconds=args.lease_seconds, poll_seconds=args.poll_seconds, batch_size=args.batch_size
        )
        # the sidecar's one engine; on SQLite its transactions begin IMMEDIATE (several of its threads write)
        engine = create_db_engine(args.database_url or settings.database_url, sqlite_immediate=True)
        sidecar = Sidecar(engine, sidecar_settings, job_kinds(settings), worker_only=args.worker_only)
        return sidecar.drain() if args.drain else sidecar.run()
    except (ConfigError, DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DBAPIError as exc:
        print(f"error: database: {first_line(exc)}", file=sys.stderr)
        return 1


__all__ = ["build_parser", "job_kinds", "main"]
