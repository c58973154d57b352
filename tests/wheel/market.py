"""A small stored market and one trader's books for the wheel tests (rows through the models, no mocks).

Chains for AAA (spot 100), BBB (spot 50) and CCC (spot 300): puts and calls at 90 %..110 % of spot, expiring
14, 28 and 42 days after AS_OF. Alice's account holds 250 AAA at 102 (two contracts), 80 BBB (less than one)
and 100 CCC with no average price; it reports 20,000 of cash and is short one AAA 95 put (imported: quantity
-1 contract, sold at 2.00), which reserves 9,500.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.db.models import AccountFunds, Holding, Position
from tests import factories

AS_OF = dt.date(2026, 12, 1)
SPOTS = {"AAA": 100.0, "BBB": 50.0, "CCC": 300.0}
EXPIRIES = tuple(AS_OF + dt.timedelta(days=d) for d in (14, 28, 42))
MONEYNESS = (0.90, 0.95, 1.00, 1.05, 1.10)
SHORT_PUT = "AAA   261215P00095000"  # OCC: AAA 95 put expiring 2026-12-15 (AS_OF + 14)


def mid_of(option_type: str, strike: float, spot: float, days: int) -> float:
    """A plausible mid: intrinsic plus a time value that grows with days and shrinks away from the money."""
    intrinsic = max(strike - spot, 0) if option_type == "put" else max(spot - strike, 0)
    return round(intrinsic + spot * 0.03 * (days / 30) ** 0.5 * (1 - abs(strike / spot - 1) * 4), 2)


def delta_of(option_type: str, strike: float, spot: float) -> float:
    d = min(max(0.5 - (strike / spot - 1) * 4, 0.02), 0.98)  # call delta falls with the strike
    return round(d if option_type == "call" else d - 1, 3)


def insert_market(session: Session) -> None:
    quoted = dt.datetime.combine(AS_OF, dt.time(20, 0), dt.UTC)
    for symbol, spot in SPOTS.items():
        stock = factories.stock(session, symbol=symbol, sector="Technology", current_price=spot)
        for expiry in EXPIRIES:
            days = (expiry - AS_OF).days
            for option_type in ("put", "call"):
                for k in MONEYNESS:
                    strike = round(spot * k, 2)
                    mid = mid_of(option_type, strike, spot, days)
                    factories.premium(
                        session,
                        stock,
                        expiration_date=expiry,
                        option_type=option_type,
                        strike_price=strike,
                        bid=round(mid - 0.05, 2),
                        ask=round(mid + 0.05, 2),
                        mid=mid,
                        delta=delta_of(option_type, strike, spot),
                        gamma=0.02,
                        theta=-0.03,
                        vega=0.1,
                        implied_volatility=0.3,
                        volume=100,
                        open_interest=1000,
                        underlying_price=spot,
                        quote_time=quoted,
                        fetched_at=quoted,
                    )


def insert_books(session: Session, username: str = "alice") -> int:
    """Alice's account with holdings, cash and a short put; returns the account id."""
    user = factories.user(session, username=username, email=f"{username}@example.com", role="trader")
    account = factories.trading_account(session, user, account_name=f"{username}-main")
    for symbol, quantity, average in (("AAA", 250, 102.0), ("BBB", 80, 45.0), ("CCC", 100, None)):
        session.add(Holding(account_id=account.id, symbol=symbol, exchange="NASDAQ", quantity=quantity,
                            average_price=average, source="import"))  # fmt: skip
    session.add(Position(account_id=account.id, symbol=SHORT_PUT, exchange="NASDAQ", quantity=-1,
                         average_price=2.00, source="import"))  # fmt: skip
    session.add(AccountFunds(account_id=account.id, available_cash=20_000.0))
    session.flush()
    return account.id
