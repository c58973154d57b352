"""Templates: seeded once by name, every one runs cleanly in the sandbox, option templates on synced chains."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db.engine import unit_of_work
from core.db.models import Scanner, ScannerTemplate, StockData
from core.providers.synthetic import SyntheticProvider
from core.scanner import service
from core.scanner.engine import scan_symbols
from core.scanner.market import MarketData
from core.scanner.templates import TEMPLATES, scanner_from_template, seed_templates
from tests import factories
from tests.support.actors import TRADER

AS_OF = dt.date(2026, 11, 20)
STOCK_SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMD", "INTC", "ORCL", "CSCO", "IBM", "JPM", "XOM"]


def _synthetic(*_args, **_kw):
    return SyntheticProvider(as_of=AS_OF, n_symbols=200)


def test_seeding_is_idempotent_by_name(session):
    assert seed_templates(session) == len(TEMPLATES)
    assert seed_templates(session) == 0
    names = session.scalars(select(ScannerTemplate.name)).all()
    assert sorted(names) == sorted(t.name for t in TEMPLATES)
    styles = {t.style for t in TEMPLATES}
    assert styles == {"signal", "filter", "scan"}
    assert {
        "RSI Oversold",
        "MACD Crossover",
        "EMA Crossover",
        "Bollinger Squeeze",
        "Volume Breakout",
        "52-Week High",
        "Cash-Secured Puts",
        "Covered Calls",
        "High IV Rank",
    } <= set(names)
    for style in styles:  # each reporting style has stock and option templates
        assert {t.category == "options" for t in TEMPLATES if t.style == style} == {True, False}


def test_a_scanner_made_from_a_template_gets_a_free_name(session):
    seed_templates(session)
    template = session.scalar(select(ScannerTemplate).where(ScannerTemplate.name == "RSI Oversold"))
    first = scanner_from_template(session, template.id)
    second = scanner_from_template(session, template.id)
    assert (first.name, second.name) == ("RSI Oversold", "RSI Oversold (2)")
    assert second.code == template.code and second.parameters == template.default_parameters
    assert session.scalar(select(Scanner.template_id).where(Scanner.id == second.id)) == template.id


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t.category != "options"], ids=lambda t: t.name)
def test_stock_templates_run_without_errors(sandbox, template):
    market = MarketData(None, "synthetic", as_of=AS_OF, provider_factory=_synthetic)
    report = scan_symbols(template.code, STOCK_SYMBOLS, market=market, schema=template.parameters, sandbox=sandbox)
    assert report.errors == [] and report.symbols_scanned == len(STOCK_SYMBOLS)
    expected = {"filter": {"EXPLORE"}, "signal": {"BUY", "SELL", "WATCH"}, "scan": {"BUY", "SELL"}}[template.style]
    assert {r["signal"] for r in report.results} <= expected


def _chains(engine, symbols):
    """Stored contracts as a sync leaves them: a 30-day put and call ladder around a 100 spot."""
    with unit_of_work(engine, write=True) as session:
        for symbol in symbols:
            stock = factories.stock(session, symbol=symbol)
            session.add(StockData(symbol=symbol, price=100.0, iv_rank=80.0 if symbol == "AAPL" else 20.0, iv30=0.35))
            for kind, strike, delta, bid in (
                ("put", 90.0, -0.15, 0.8),
                ("put", 95.0, -0.28, 1.6),
                ("call", 105.0, 0.3, 1.4),
                ("call", 110.0, 0.16, 0.7),
            ):
                factories.premium(
                    session,
                    stock,
                    expiration_date=AS_OF + dt.timedelta(days=30),
                    option_type=kind,
                    strike_price=strike,
                    bid=bid,
                    ask=bid + 0.1,
                    delta=delta,
                    implied_volatility=0.35,
                    open_interest=500,
                    underlying_price=100.0,
                )


def test_option_templates_run_on_stored_chains(committed_engine, sandbox):
    symbols = ["AAPL", "MSFT", "JPM"]
    _chains(committed_engine, symbols)
    market = MarketData(committed_engine, "synthetic", as_of=AS_OF, provider_factory=_synthetic)
    found = {}
    for template in (t for t in TEMPLATES if t.category == "options"):
        params = {
            "min_monthly_return": 0.0,
            "max_delta": 1.0,
            "min_annualized_return": 0.0,
            "min_dte": 0,
            "max_dte": 400,
            "min_open_interest": 0,
        }
        report = scan_symbols(
            template.code,
            symbols,
            market=market,
            schema=template.parameters,
            params={k: v for k, v in params.items() if k in template.parameters},
            sandbox=sandbox,
        )
        assert report.errors == [], report.errors
        found[template.name] = report.results
    assert {r["symbol"] for r in found["Cash-Secured Puts"]} == set(symbols)
    assert all(r["metrics"]["monthly_return"] > 0 and r["metrics"]["strike"] > 0 for r in found["Cash-Secured Puts"])
    assert {r["signal"] for r in found["Covered Calls"]} == {"SELL_CALL"}
    assert [r["symbol"] for r in found["High IV Rank"]] == ["AAPL"]
    assert found["High IV Rank"][0]["metrics"]["iv_rank"] == 80.0


def test_a_scanner_from_a_template_dodges_a_name_that_differs_only_by_case(session):
    seed_templates(session)
    template = session.scalar(select(ScannerTemplate).where(ScannerTemplate.name == "RSI Oversold"))
    session.add(Scanner(name="rsi oversold", code="signal = None\n"))
    session.flush()
    assert scanner_from_template(session, template.id).name == "RSI Oversold (2)"


def test_saving_a_scanner_refuses_a_name_that_differs_only_by_case(committed_engine):
    first = service.save_scanner(committed_engine, TRADER, None, "Wheel TV", "signal = None\n", "{}")
    assert first.error is None
    clash = service.save_scanner(committed_engine, TRADER, None, "wheel tv", "signal = None\n", "{}")
    assert clash.error == "a scanner called 'Wheel TV' already exists (names ignore case)"
    own = service.save_scanner(committed_engine, TRADER, first.scanner_id, "WHEEL TV", "signal = None\n", "{}")
    assert own.error is None  # a scanner may change the case of its own name
