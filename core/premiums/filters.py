"""What a premium screen asks for: one immutable value shared by the page, the CLI and saved screens."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Strategy = Literal["csp", "cc"]  # cash-secured put / covered call
PriceBasis = Literal["mid", "bid"]  # what a sale fills at: the mid, or the bid for a conservative fill
PRICE_BASES: tuple[str, ...] = ("mid", "bid")
RankKey = Literal[
    "flat_annualized_return", "flat_return", "annualized_return", "monthly_return", "premium", "cushion_pct"
]
# flat_annualized_return first: the default, time value only (DESIGN section 4); the others count intrinsic
# value as income and so favour deep in-the-money contracts that earn about nothing if the stock stays put.
RANK_KEYS: tuple[str, ...] = (
    "flat_annualized_return",
    "flat_return",
    "annualized_return",
    "monthly_return",
    "premium",
    "cushion_pct",
)


# the (low, high) filters added beside the table (DESIGN section 8's screen grew them; docs/premiums.md)
RANGE_FILTERS: tuple[str, ...] = ("hv20", "hv60", "iv_hv", "expected_move_pct", "market_cap")


@dataclass(frozen=True)
class PremiumFilters:
    """Filters of the Scan Premiums screen. Ranges are inclusive (low, high); None means "no limit".

    Units: delta is absolute (0.25-0.40 means |delta|, puts are stored negative); returns, spread and
    cushion in percent; IV, HV20 and HV60 in percent points (20-60 means 20 %-60 %; stored as fractions); IV / HV
    a plain ratio (1.2 means IV is 20 % above HV20); the expected move to expiry in percent of the stock price;
    market cap in billions of dollars; other prices in dollars.
    """

    strategy: Strategy = "csp"
    dte: tuple[int, int] = (7, 45)
    delta: tuple[float, float] | None = (0.25, 0.40)
    price: tuple[float, float] | None = None
    min_premium: float | None = None
    min_monthly_return: float | None = None
    min_annualized_return: float | None = None
    min_volume: int | None = None
    min_open_interest: int | None = None
    max_spread_pct: float | None = None
    iv: tuple[float, float] | None = None
    min_iv_rank: float | None = None
    min_iv_percentile: float | None = None
    hv20: tuple[float, float] | None = None
    hv60: tuple[float, float] | None = None
    iv_hv: tuple[float, float] | None = None
    expected_move_pct: tuple[float, float] | None = None
    market_cap: tuple[float, float] | None = None
    sectors: tuple[str, ...] = field(default_factory=tuple)
    watchlist: str | None = None
    exclude_earnings: bool = False
    exclude_ex_dividend: bool = False  # covered calls only: drop expiries on or after an ex-dividend date
    all_contracts: bool = False
    as_of: dt.date | None = None
    rank_by: RankKey = "flat_annualized_return"
    price_basis: PriceBasis = "mid"  # "bid": premium, returns, breakeven and ranking at the bid (DESIGN section 4)
    limit: int = 500

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (for saved screens in `settings`)."""
        doc = asdict(self)
        doc["as_of"] = self.as_of.isoformat() if self.as_of else None
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PremiumFilters:
        """The inverse of `to_json`; unknown keys are ignored, tuples restored."""
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        for key in ("dte", "delta", "price", "iv", "sectors", *RANGE_FILTERS):
            if isinstance(known.get(key), list):
                known[key] = tuple(known[key])
        if known.get("as_of"):
            known["as_of"] = dt.date.fromisoformat(known["as_of"])
        return cls(**known)
