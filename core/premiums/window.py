"""Which expiry window the stored chains were synced with, and what that means for a days-to-expiry filter.

A sync asks only for expiries within its window (SYNC_MAX_DTE, `sync --max-dte`, a watchlist's own; 0 = every
listed expiry), so a screen reaching past the window finds only contracts kept from earlier, wider syncs. The
page says so instead of letting an empty or thin screen look like a market without long-dated options.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import StockData


@dataclass(frozen=True)
class SyncWindows:
    """How many synced symbols each window covers (None: synced before windows were recorded)."""

    symbols: dict[int | None, int]

    @property
    def widest(self) -> int | None:
        """The widest window in days; None when any symbol has every expiry (0) or nothing says."""
        known = [w for w in self.symbols if w is not None]
        if not known or 0 in known or None in self.symbols:
            return None
        return max(known)

    def message(self, dte_high: int) -> str:
        """What the page says when the DTE filter reaches past every symbol's window ('' when it does not)."""
        widest = self.widest
        if widest is None or dte_high <= widest:
            return ""
        return (
            f"Chains are synced {widest} days out (the sync window): beyond day {widest} the screen finds only "
            "contracts kept from earlier, wider syncs. Sync with `--max-dte 0` (every expiry) to see further."
        )


def describe_window(window: int | None) -> str:
    """A symbol's window in words."""
    if window is None:
        return "synced before expiry windows were recorded"
    return "every listed expiry synced" if window == 0 else f"expiries within {window} days synced"


def sync_windows(session: Session) -> SyncWindows:
    """Count synced symbols per window."""
    rows = session.execute(
        select(StockData.sync_max_dte, func.count())
        .where(StockData.sync_status == "synced")
        .group_by(StockData.sync_max_dte)
    )
    return SyncWindows({window: count for window, count in rows})


def symbol_window(session: Session, symbol: str) -> int | None:
    """The window `symbol` was last synced with (None: unknown)."""
    return session.scalar(select(StockData.sync_max_dte).where(StockData.symbol == symbol))
