"""Every model, imported so `Base.metadata` knows all tables (Alembic and tests import this package)."""

from core.db.base import Base
from core.db.models.account_books import *  # noqa: F403
from core.db.models.accounts import *  # noqa: F403  (each module lists its models in __all__)
from core.db.models.auth import SignInThrottle, UserSession
from core.db.models.calendars import *  # noqa: F403
from core.db.models.jobs import FINAL_RUN_STATUSES, JobItem, JobRun, ScheduleFire
from core.db.models.market import *  # noqa: F403
from core.db.models.operations import *  # noqa: F403
from core.db.models.premiums import (
    QuarantineCount,
    Stock,
    StockData,
    StockPremium,
    SymbolDailyHistory,
    TvWatchlist,
    TvWatchlistSymbol,
)
from core.db.models.sandbox import *  # noqa: F403
from core.db.models.scanning import (
    ScanHistory,
    Scanner,
    ScannerTemplate,
    ScanResult,
    ScanSchedule,
    Setting,
    Watchlist,
)

__all__ = [
    "FINAL_RUN_STATUSES",
    "Base",
    "JobItem",
    "JobRun",
    "QuarantineCount",
    "ScanHistory",
    "ScanResult",
    "ScanSchedule",
    "Scanner",
    "ScannerTemplate",
    "ScheduleFire",
    "Setting",
    "SignInThrottle",
    "Stock",
    "StockData",
    "StockPremium",
    "SymbolDailyHistory",
    "TvWatchlist",
    "TvWatchlistSymbol",
    "UserSession",
    "Watchlist",
]
