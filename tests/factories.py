"""Row factories: valid rows with sensible defaults; tests override only what they are about."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import Session

from core.db import models as m

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def add(session: Session, row):
    session.add(row)
    session.flush()
    return row


def scanner(session: Session, **kw) -> m.Scanner:
    kw.setdefault("name", f"scanner-{_n()}")
    kw.setdefault("code", "signal = close[-1] > close[-2]")
    return add(session, m.Scanner(**kw))


def watchlist(session: Session, **kw) -> m.Watchlist:
    kw.setdefault("name", f"watchlist-{_n()}")
    kw.setdefault("symbols", ["AAPL", "MSFT"])
    return add(session, m.Watchlist(**kw))


def scan_history(session: Session, scanner_row: m.Scanner, watchlist_row=None, **kw) -> m.ScanHistory:
    kw.setdefault("status", "completed")
    return add(
        session,
        m.ScanHistory(scanner_id=scanner_row.id, watchlist_id=watchlist_row.id if watchlist_row else None, **kw),
    )


def user(session: Session, **kw) -> m.User:
    n = _n()
    kw.setdefault("username", f"user{n}")
    kw.setdefault("email", f"user{n}@example.com")
    kw.setdefault("password_hash", "$argon2id$v=19$m=65536,t=3,p=4$placeholder")
    return add(session, m.User(**kw))


def trading_account(session: Session, owner: m.User, **kw) -> m.TradingAccount:
    kw.setdefault("account_name", f"account-{_n()}")
    kw.setdefault("broker", "zerodha")
    return add(session, m.TradingAccount(user_id=owner.id, **kw))


def stock(session: Session, **kw) -> m.Stock:
    kw.setdefault("symbol", f"S{_n()}")
    return add(session, m.Stock(**kw))


def premium(session: Session, stock_row: m.Stock, **kw) -> m.StockPremium:
    kw.setdefault("expiration_date", dt.date(2030, 1, 18))
    kw.setdefault("option_type", "put")
    kw.setdefault("strike_price", 100.0)
    kw.setdefault("bid", 1.0)
    kw.setdefault("ask", 1.1)
    return add(session, m.StockPremium(symbol=stock_row.symbol, **kw))
