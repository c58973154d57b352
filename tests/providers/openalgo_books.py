"""An NSE-like trader synced through the openalgo provider (shared by the provider and the lot-size screen tests)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from core.accounts import service as accounts
from core.auth import LOCAL_OPERATOR, Actor, Role
from core.db.engine import unit_of_work
from core.db.models import JobRun, User
from core.sync.requests import SyncRequest
from core.sync.service import enqueue
from core.sync.worker import SyncWorker
from tests.servers.openalgo import OpenAlgoServer

SYMBOLS = ("INFY", "NIFTY", "YESBANK", "NOPE")
HOLDING = {"symbol": "INFY", "exchange": "NSE", "product": "CNC", "quantity": 120, "average_price": 1450.0,
           "ltp": 1500.0, "pnl": 6000.0, "pnlpercent": 3.45}  # fmt: skip


@dataclass
class NseAccount:
    engine: Engine
    server: OpenAlgoServer
    actor: Actor
    account_id: int
    run: JobRun


def short_call(server: OpenAlgoServer, strike: int = 1600) -> dict:
    """One short lot (50 units) of the nearest INFY call, as OpenAlgo's positionbook writes it."""
    expiry = sorted(server.market.underlyings["INFY"].expiries)[0]
    return {"symbol": f"INFY{expiry:%d%b%y}{strike}CE".upper(), "exchange": "NFO", "product": "NRML",
            "quantity": "-50", "average_price": "12.50", "ltp": "10.00", "pnl": "125.00"}  # fmt: skip


def sync_nse_account(engine, make_user, server: OpenAlgoServer, add_account) -> NseAccount:
    user_id = make_user("nisha", role="trader")
    server.book.holdings = [dict(HOLDING)]
    server.book.positions = [short_call(server)]
    server.book.orders, server.book.trades = [], []
    view = add_account("nse-main", server, owner="nisha")
    report = accounts.sync_now(engine, LOCAL_OPERATOR, "nse-main")
    assert report.failed == 0
    actor = Actor(user_id, "nisha", Role.TRADER)
    with unit_of_work(engine, write=True) as session:  # no account named: Nisha's own (her only one)
        run, _ = enqueue(session, actor, SyncRequest(symbols=SYMBOLS, provider="openalgo", max_dte=0))
        run_id = run.id
    SyncWorker(engine, fetchers=2).run_until_idle(run_id)
    with unit_of_work(engine) as session:
        run = session.get(JobRun, run_id)
        session.expunge(run)
        assert session.scalar(select(User.id).where(User.username == "nisha")) == user_id
    return NseAccount(engine, server, actor, view.id, run)
