"""What the History page's Track record tab and `python -m core track-record` call: per tracked screen, what it
promised and what it delivered; the snapshots behind it; marking a screen tracked (docs/track-record.md).

Reads need the viewer role and are read-only units of work; tracking a screen or not writes, needs the trader
role (the role that saves screens) and is logged. The promised return compared with the realised one is the
screen's `annualized_return` (premium over capital, a year), averaged over the same resolved snapshots, so the
two means are like for like: a snapshot that expired worthless realised exactly its promise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, Float, cast, func, select

from core.auth.audit import record_activity
from core.auth.roles import Actor, Permission, require
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import OpportunitySnapshot, ScanSession
from core.premiums import saved_screens
from core.premiums.saved_screens import ScreenError
from core.track.resolve import ResolvePass, resolve_due

SNAPSHOT_COLUMNS = [
    "screen",
    "quote_date",
    "symbol",
    "option_type",
    "strike",
    "expiration_date",
    "dte",
    "premium",
    "capital",
    "underlying_price",
    "promised_annualized",
    "promised_flat_annualized",
    "status",
    "outcome",
    "underlying_close",
    "pnl",
    "realized_return",
    "realized_annualized",
    "unresolved_reason",
]


@dataclass(frozen=True)
class ScreenRecord:
    """One screen's track record; returns in percent, P&L in dollars per contract."""

    screen: str
    tracked: bool
    sessions: int
    opportunities: int
    resolved: int
    unresolved: int  # past expiry, close not known yet
    open: int  # not expired yet
    win_rate: float | None  # resolved with a positive P&L, as a fraction of the resolved
    mean_realized_annualized: float | None
    median_realized_annualized: float | None
    mean_promised_annualized: float | None  # over the same resolved snapshots
    worst_pnl: float | None
    total_pnl: float

    def to_json(self) -> dict:
        return dict(self.__dict__)


def track_record(engine: Engine, actor: Actor, screen: str | None = None) -> list[ScreenRecord]:
    """Every tracked screen's record (and those of screens no longer tracked that have one), by name."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        tracked = set(saved_screens.tracked_screens(session))
        frame = _snapshots(session, screen)
        sessions = _session_counts(session, screen)
    names = sorted((tracked | set(sessions)) if screen is None else {screen} & (tracked | set(sessions)))
    if screen is not None and not names:
        raise ScreenError(f"no tracked screen named {screen!r} and no record of one")
    return [_record(name, name in tracked, sessions.get(name, 0), frame[frame["screen"] == name]) for name in names]


def snapshots(engine: Engine, actor: Actor, screen: str) -> pd.DataFrame:
    """A screen's snapshots, newest quote date first (SNAPSHOT_COLUMNS; status open, resolved or unresolved)."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        frame = _snapshots(session, screen)
    return frame.sort_values(["quote_date", "symbol"], ascending=[False, True], ignore_index=True)


def cumulative_pnl(frame: pd.DataFrame) -> pd.DataFrame:
    """Resolved snapshots' P&L summed by expiration date, and its running total (columns expiration_date, pnl,
    cumulative_pnl)."""
    done = frame[frame["outcome"].notna()]
    by_day = done.groupby("expiration_date", as_index=False)["pnl"].sum().sort_values("expiration_date")
    return by_day.assign(cumulative_pnl=by_day["pnl"].cumsum()).reset_index(drop=True)


def screens(engine: Engine, actor: Actor) -> dict[str, bool]:
    """Every saved screen and whether it is tracked."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        tracked = set(saved_screens.tracked_screens(session))
        return {name: name in tracked for name in saved_screens.screen_names(session)}


def set_tracked(engine: Engine, actor: Actor, name: str, track: bool) -> bool:
    """Track the saved screen `name` or stop; True when that changed it (ScreenError when there is none).

    Stopping keeps the record: its sessions and snapshots stay and are still resolved."""
    require(actor, Permission.MANAGE_SAVED_SCREENS)
    with unit_of_work(engine, write=True) as session:
        changed = saved_screens.set_tracked(session, name, track)
        if changed:
            record_activity(
                session, "screen_track" if track else "screen_untrack", actor=actor, target=f"screen:{name}"
            )
        return changed


def resolve_now(engine: Engine, actor: Actor) -> ResolvePass:
    """Resolve the snapshots past expiry now, as the sidecar's timer does (asks the provider: the sync role)."""
    require(actor, Permission.SYNC)
    return resolve_due(engine)


# ---- reads ----------------------------------------------------------------------------------------------------
def _snapshots(session, screen: str | None) -> pd.DataFrame:
    snap, data = OpportunitySnapshot, OpportunitySnapshot.data
    number = {
        "strike": "strike",
        "dte": "dte",
        "premium": "premium",
        "capital": "capital",
        "underlying_price": "underlying_price",
        "promised_annualized": "annualized_return",
        "promised_flat_annualized": "flat_annualized_return",
    }
    statement = (
        select(
            ScanSession.screen_name.label("screen"),
            ScanSession.quote_date,
            snap.symbol,
            data["option_type"].as_string().label("option_type"),
            data["expiration_date"].as_string().label("expiration_date"),
            *(cast(data[key].as_float(), Float).label(label) for label, key in number.items()),
            snap.expires_at,
            snap.outcome,
            snap.underlying_close,
            snap.pnl,
            snap.realized_return,
            snap.realized_annualized_return.label("realized_annualized"),
            snap.unresolved_reason,
        )
        .join(ScanSession, snap.scan_session_id == ScanSession.id)
        .where(ScanSession.screen_name.is_not(None))
    )
    if screen is not None:
        statement = statement.where(ScanSession.screen_name == screen)
    rows = session.execute(statement).all()
    frame = pd.DataFrame(rows, columns=[*statement.selected_columns.keys()])
    if frame.empty:
        return pd.DataFrame(columns=SNAPSHOT_COLUMNS)
    frame["expiration_date"] = frame["expiration_date"].map(dt.date.fromisoformat)
    now = utcnow()
    expired = pd.to_datetime(frame["expires_at"], utc=True) <= pd.Timestamp(now)
    frame["status"] = "open"
    frame.loc[expired, "status"] = "unresolved"
    frame.loc[frame["outcome"].notna(), "status"] = "resolved"
    return frame[SNAPSHOT_COLUMNS]


def _session_counts(session, screen: str | None) -> dict[str, int]:
    statement = select(ScanSession.screen_name, func.count()).where(ScanSession.screen_name.is_not(None))
    if screen is not None:
        statement = statement.where(ScanSession.screen_name == screen)
    return dict(session.execute(statement.group_by(ScanSession.screen_name)).all())


def _record(name: str, tracked: bool, sessions: int, frame: pd.DataFrame) -> ScreenRecord:
    done = frame[frame["status"] == "resolved"]

    def stat(series: pd.Series, how: str) -> float | None:
        series = series.dropna().astype(float)
        return None if series.empty else float(getattr(series, how)())

    return ScreenRecord(
        screen=name,
        tracked=tracked,
        sessions=sessions,
        opportunities=len(frame),
        resolved=len(done),
        unresolved=int((frame["status"] == "unresolved").sum()),
        open=int((frame["status"] == "open").sum()),
        win_rate=float((done["pnl"] > 0).mean()) if len(done) else None,
        mean_realized_annualized=stat(done["realized_annualized"], "mean"),
        median_realized_annualized=stat(done["realized_annualized"], "median"),
        mean_promised_annualized=stat(done["promised_annualized"], "mean"),
        worst_pnl=stat(done["pnl"], "min"),
        total_pnl=float(done["pnl"].astype(float).sum()) if len(done) else 0.0,
    )


__all__ = [
    "SNAPSHOT_COLUMNS",
    "ScreenError",
    "ScreenRecord",
    "ResolvePass",
    "cumulative_pnl",
    "resolve_now",
    "screens",
    "set_tracked",
    "snapshots",
    "track_record",
]
