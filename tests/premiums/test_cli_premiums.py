"""`python -m core premiums` end to end, in a subprocess, on both databases."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import numpy as np
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.db.models import Stock
from core.premiums.export import HEADINGS
from core.premiums.filters import PremiumFilters
from tests.premiums import dataset
from tests.premiums.dataset import AS_OF
from tests.support.cli import run_cli

# DESIGN section 8: what every JSON row carries at least.
REQUIRED = (
    "symbol",
    "contract_symbol",
    "option_type",
    "expiration_date",
    "dte",
    "strike",
    "bid",
    "ask",
    "mid",
    "premium",
    "intrinsic",
    "extrinsic",
    "delta",
    "iv",
    "vendor_iv",
    "volume",
    "open_interest",
    "monthly_return",
    "annualized_return",
    "flat_return",
    "flat_annualized_return",
    "breakeven",
    "cushion_pct",
    "pct_otm",
    "if_called_return",
    "prob_otm",
    "underlying_price",
    "sector",
    "quote_time",
    "fetched_at",
)
ENV = {"RISK_FREE_RATE": str(dataset.RATE)}


@pytest.fixture
def loaded(committed_engine, db_url):
    rows = dataset.build()
    with Session(committed_engine) as session:
        dataset.insert_dataset(session, rows)
        dataset.add_watchlists(session)
        session.commit()
    return db_url, rows


def premiums(url: str, *args: str):
    return run_cli("premiums", "--database-url", url, "--as-of", AS_OF.isoformat(), *args, env=ENV)


def test_json_is_one_document_matching_the_oracle(loaded):
    url, rows = loaded
    result = premiums(url, "--format", "json", "--delta", "any", "--dte", "1-60", "--limit", "12")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)  # exactly one document: json.loads refuses trailing text
    assert doc["as_of"] == AS_OF.isoformat() and doc["count"] == len(doc["rows"]) == 12
    assert doc["filters"]["dte"] == [1, 60] and doc["filters"]["delta"] is None
    wanted = dataset.expected(rows, PremiumFilters(as_of=AS_OF, dte=(1, 60), delta=None, limit=12))
    got = doc["rows"]
    assert [(r["symbol"], r["expiration_date"], r["strike"]) for r in got] == [
        (s, e.isoformat(), k)
        for s, e, k in zip(wanted.symbol, wanted.expiration_date, wanted.strike_price, strict=True)
    ]
    for name in (
        "dte",
        "premium",
        "extrinsic",
        "monthly_return",
        "annualized_return",
        "flat_annualized_return",
        "breakeven",
        "cushion_pct",
        "pct_otm",
        "prob_otm",
    ):
        np.testing.assert_allclose(
            [np.nan if r[name] is None else r[name] for r in got], wanted[name], rtol=1e-9, err_msg=name
        )
    for row in got:
        assert set(REQUIRED) <= set(row)
        assert row["fetched_at"].startswith("2026-03-13T21:00:00") and row["fetched_at"].endswith("+00:00")
    assert any(r["volume"] is None for r in got) or any(r["delta"] is None for r in got), "NaN/NA -> null"


def test_filters_reach_the_query(loaded):
    url, rows = loaded
    result = premiums(
        url,
        "--format",
        "json",
        "--strategy",
        "cc",
        "--delta",
        "0.1-0.6",
        "--dte",
        "1-100",
        "--sector",
        "Technology",
        "--sector",
        "Energy",
        "--exclude-earnings",
        "--min-volume",
        "10",
        "--rank-by",
        "premium",
        "--all-contracts",
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)["rows"]
    f = PremiumFilters(
        as_of=AS_OF,
        strategy="cc",
        delta=(0.1, 0.6),
        dte=(1, 100),
        sectors=("Technology", "Energy"),
        exclude_earnings=True,
        min_volume=10,
        rank_by="premium",
        all_contracts=True,
    )
    wanted = dataset.expected(rows, f)
    assert len(got) == len(wanted) > 0
    assert [(r["symbol"], r["strike"]) for r in got] == list(zip(wanted.symbol, wanted.strike_price, strict=True))

    watched = json.loads(premiums(url, "--format", "json", "--watchlist", "tv-only", "--delta", "any").stdout)
    wanted = dataset.expected(
        rows, dataclasses.replace(PremiumFilters(as_of=AS_OF), delta=None), watchlist=dataset.WATCHLISTS["tv-only"]
    )
    assert [r["symbol"] for r in watched["rows"]] == list(wanted.symbol)


def test_price_basis_bid_ranks_and_computes_at_the_bid(loaded):
    url, rows = loaded
    result = premiums(url, "--format", "json", "--delta", "any", "--price-basis", "bid", "--limit", "8")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["price_basis"] == "bid" and doc["filters"]["price_basis"] == "bid"
    wanted = dataset.expected(rows, PremiumFilters(as_of=AS_OF, delta=None, price_basis="bid", limit=8))
    assert [(r["symbol"], r["strike"]) for r in doc["rows"]] == list(
        zip(wanted.symbol, wanted.strike_price, strict=True)
    )
    for row in doc["rows"]:
        assert row["premium"] == pytest.approx(row["bid"] * 100) and row["premium"] < row["mid"] * 100
        assert row["breakeven"] == pytest.approx(row["strike"] - row["bid"])
    assert premiums(url, "--price-basis", "last").returncode == 2  # argparse refuses an unknown choice


def test_csv_has_the_dashboards_columns_units_and_rounding(loaded):
    url, _ = loaded
    result = premiums(url, "--format", "csv", "--delta", "any", "--limit", "5")
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == 5 and tuple(table[0]) == HEADINGS  # one definition: core.premiums.export
    assert all(len(r["expiration_date"]) == 10 for r in table)
    rows = json.loads(premiums(url, "--format", "json", "--delta", "any", "--limit", "5").stdout)["rows"]
    for line, row in zip(table, rows, strict=True):
        assert line["contract_symbol"] == row["contract_symbol"] and line["quote_time"] == row["quote_time"]
        assert line["quote_time"].endswith("+00:00")
        assert float(line["premium"]) == round(row["premium"], 2) and float(line["bid"]) == round(row["bid"], 2)
        assert float(line["annualized_return"]) == round(row["annualized_return"], 4)
        if row["iv"] is not None:  # percent where the table shows percent
            assert float(line["iv_pct"]) == round(row["iv"] * 100, 4)
        assert float(line["prob_otm_pct"]) == round(row["prob_otm"] * 100, 4)
        assert all(len(v.partition(".")[2]) <= 4 for v in line.values() if v.replace(".", "").isdigit())


def test_csv_neutralises_a_sector_that_is_a_formula_and_keeps_numbers(loaded, committed_engine):
    """A provider's text (here a sector) cannot become a spreadsheet formula; negative numbers stay numbers."""
    url, _ = loaded
    formula = '=HYPERLINK("http://evil.example","x")'
    with committed_engine.begin() as conn:
        conn.execute(update(Stock).where(Stock.sector == "Utilities").values(sector=formula))
    result = premiums(url, "--format", "csv", "--delta", "any", "--limit", "500", "--all-contracts")
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    tied = [r for r in table if r["symbol"] in ("TIEA", "TIEB")]
    assert tied and all(r["sector"] == "'" + formula for r in tied)
    assert any(float(r["delta"]) < 0 for r in table if r["delta"])  # puts: negative deltas, as numbers
    assert not any(c.startswith(("=", "+", "@")) for r in table for c in r.values())


def test_table_is_readable(loaded):
    url, _ = loaded
    result = premiums(url, "--sector", "Utilities")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["symbol", "expiry", "dte"]
    assert [line.split()[0] for line in lines[1:3]] == ["TIEA", "TIEB"]
    assert "2 symbols" in lines[-1]
    empty = premiums(url, "--sector", "Utilities", "--dte", "1-2")
    assert empty.returncode == 0 and "no contracts match" in empty.stdout


def test_an_unknown_sector_names_the_sectors_that_exist(loaded):
    url, _ = loaded
    result = premiums(url, "--sector", "Nonsense")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        "error: --sector: no sector named 'Nonsense'; the sectors are: "
        "Energy, Financials, Health Care, Technology, Utilities"
    )
    any_case = premiums(url, "--sector", "utilities", "--format", "json")
    assert any_case.returncode == 0, any_case.stderr
    assert {r["symbol"] for r in json.loads(any_case.stdout)["rows"]} == {"TIEA", "TIEB"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--dte", "5-"], "--dte: expected MIN-MAX"),
        (["--dte", "a-b"], "--dte: expected MIN-MAX"),
        (["--dte", "10-5"], "--dte: MIN 10 is above MAX 5"),
        (["--delta", "0.4"], "--delta: expected MIN-MAX"),
        (["--delta", "25-40"], "delta: must be at most 1"),
        (["--iv", "x-60"], "--iv: expected MIN-MAX"),
        (["--limit", "-3"], "limit: must be a whole number of at least 1"),
        (["--limit", "ten"], "--limit: expected a whole number"),
        (["--min-premium", "lots"], "--min-premium: expected a number"),
        (["--as-of", "2026-13-01"], "--as-of: expected a date"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, args, expected):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    result = run_cli("premiums", "--database-url", url, *args)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr


def test_unknown_watchlist_is_one_clear_line(loaded):
    url, _ = loaded
    result = premiums(url, "--watchlist", "nope", "--format", "json")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == "error: invalid filter watchlist: no watchlist named 'nope'"


def test_volatility_size_and_calendar_filters_reach_the_query(loaded):
    url, rows = loaded
    args = ("--strategy", "cc", "--delta", "any", "--dte", "1-100", "--all-contracts", "--limit", "1000")
    extra = (
        "--hv20", "15-80", "--iv-hv", "0.5-4", "--expected-move-pct", "3-30", "--market-cap", "1-800",
        "--min-iv-percentile", "10", "--exclude-ex-dividend",
    )  # fmt: skip
    result = premiums(url, "--format", "json", *args, *extra)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)["rows"]
    wanted = dataset.expected(
        rows,
        PremiumFilters(
            as_of=AS_OF,
            strategy="cc",
            delta=None,
            dte=(1, 100),
            all_contracts=True,
            limit=1000,
            hv20=(15, 80),
            iv_hv=(0.5, 4),
            expected_move_pct=(3, 30),
            market_cap=(1, 800),
            min_iv_percentile=10,
            exclude_ex_dividend=True,
        ),  # fmt: skip
    )
    assert len(got) == len(wanted) > 0
    assert [r["contract_symbol"] for r in got] == list(wanted.contract_symbol)
    for name in ("hv20", "hv60", "iv_hv", "iv_percentile", "expected_move", "expected_move_pct", "market_cap"):
        np.testing.assert_allclose(
            [np.nan if r[name] is None else r[name] for r in got], wanted[name], rtol=1e-9, err_msg=name
        )
    assert not any(r["ex_dividend_before_expiry"] for r in got)
    assert all(isinstance(r["earnings_before_expiry"], bool) for r in got)
    unfiltered = json.loads(premiums(url, "--format", "json", *args).stdout)["rows"]
    assert any(r["ex_dividend_before_expiry"] for r in unfiltered), "the ex-dividend filter must drop something"


def test_a_bad_new_range_is_one_line(loaded):
    url, _ = loaded
    result = premiums(url, "--market-cap", "50-5")
    assert result.returncode == 1 and result.stderr.strip().splitlines() == [
        "error: --market-cap: MIN 50 is above MAX 5 in '50-5'"
    ]
