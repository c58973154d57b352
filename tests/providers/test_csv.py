"""The csv provider over the real recorded files in shared_data, a tiny file in the DESIGN layout, a French
Cboe export generated from the English one, and broken input."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from core.providers.base import CHAIN_COLUMNS, NoOptions, SymbolNotFound
from core.providers.csv_provider import (
    ChainFileError,
    CsvProvider,
    NotAChainFile,
    load_chain_file,
    read_chain_file,
)

NORMALISED = [*CHAIN_COLUMNS, "symbol", "option_type", "expiration", "underlying_price", "quote_time"]
PLACEHOLDER_IV = 1.0000000000000003e-05


@pytest.fixture(scope="module")
def options(shared_data) -> Path:
    return shared_data / "options"


@pytest.fixture(scope="module")
def shared_provider(shared_data) -> CsvProvider:
    return CsvProvider(shared_data)


# -- the real layouts -----------------------------------------------------------------------------------------
def test_cboe_spy_has_a_call_and_a_put_per_row_and_the_spot_from_its_header(options):
    frame = read_chain_file(options / "cboe_quotedata" / "SPY_quotedata_2023-09-14.csv")

    assert frame.attrs["layout"] == "cboe" and frame.attrs["rows_read"] == 3646
    assert len(frame) == 7292 and frame.attrs["rejected_rows"] == 0
    assert frame["option_type"].value_counts().to_dict() == {"call": 3646, "put": 3646}
    assert list(frame.columns[: len(NORMALISED)]) == NORMALISED and {"delta", "gamma"} <= set(frame.columns)
    assert set(frame["underlying_price"]) == {450.81}
    assert set(frame["quote_time"]) == {pd.Timestamp("2023-09-14 20:31", tz="UTC")}  # 4:31 PM EDT
    assert frame["expiration"].nunique() == 31 and min(frame["expiration"]) == dt.date(2023, 9, 14)
    first = frame.iloc[0]
    assert (first["contractSymbol"], first["strike"], first["bid"], first["ask"]) == (
        "SPY230914C00360000",
        360.0,
        90.7,
        90.86,
    )
    assert first["inTheMoney"] and first["delta"] == 1.0
    put = frame[frame["contractSymbol"] == "SPY260116P00670000"].iloc[0]
    assert (put["bid"], put["ask"], put["impliedVolatility"], put["delta"]) == (218.0, 223.0, 0.2698, -0.9999)


def test_cboe_amd_keeps_regular_contracts_and_reports_adjusted_ones(options):
    loaded = load_chain_file(options / "cboe_quotedata" / "AMD_quotedata_2023-08-18.csv")

    assert loaded.rows_read == 869 and loaded.name == "Advanced Micro Devices, Inc."
    # 40 rows are AMD1 contracts (an adjusted deliverable): reported by line, never silently dropped.
    assert loaded.rejected_rows == 40 and len(loaded.frame) == 2 * (869 - 40)
    assert loaded.problems[0].startswith("line 518: AMD1240119C00075000 not loaded: an adjusted contract")
    assert set(loaded.frame["symbol"]) == {"AMD"} and set(loaded.frame["underlying_price"]) == {105.6}
    assert loaded.frame["expiration"].nunique() == 18


def test_yfinance_format_infers_symbol_type_and_expiry_from_the_contract_code(options):
    frame = read_chain_file(options / "yfinance_format" / "AAPL_calls_exp2020-12-11_asof2020-12-04.csv")

    assert len(frame) == 56 and frame.attrs["layout"] == "yfinance"
    assert set(frame["symbol"]) == {"AAPL"} and set(frame["option_type"]) == {"call"}
    assert set(frame["expiration"]) == {dt.date(2020, 12, 11)}
    assert frame["lastTradeDate"].iloc[0] == pd.Timestamp("2020-11-24 16:37:33", tz="UTC")  # naive means UTC
    assert frame["underlying_price"].isna().all()  # the file has no spot and no sidecar
    assert set(frame["quote_time"]) == {pd.Timestamp("2020-12-04 21:00", tz="UTC")}  # asof: the 16:00 close


def test_yfinance_format_keeps_its_option_type_column_and_missing_volume(options):
    frame = read_chain_file(options / "yfinance_format" / "SPY_exp2024-10-02_asof2024-10-01.csv")
    assert len(frame) == 154 and frame["volume"].isna().sum() == 11
    assert frame["option_type"].value_counts().to_dict() == {"put": 92, "call": 62}


def test_a_sidecar_supplies_the_spot(options, tmp_path):
    name = "SPY_exp2024-10-02_asof2024-10-01"
    (tmp_path / f"{name}.csv").write_bytes((options / "yfinance_format" / f"{name}.csv").read_bytes())
    (tmp_path / f"{name}.meta.json").write_text(json.dumps({"underlying_price": 568.62}))
    frame = read_chain_file(tmp_path / f"{name}.csv")
    assert set(frame["underlying_price"]) == {568.62}
    assert frame.loc[frame["contractSymbol"] == "SPY241002C00300000", "inTheMoney"].item()


def test_yfinance_derived_keeps_placeholder_ivs_and_per_ticker_spots(options):
    frame = read_chain_file(options / "yfinance_derived" / "NVDA-SPY-VIX_asof2025-02-12.csv")

    assert len(frame) == 2870 and frame.attrs["layout"] == "yfinance_derived"
    # 880 placeholder IVs, kept as they are for the pipeline to re-solve: 667 of Yahoo's 1e-05 and 213 zeros.
    assert (frame["impliedVolatility"] == PLACEHOLDER_IV).sum() == 667
    assert (frame["impliedVolatility"] == 0).sum() == 213
    spots = frame.groupby("symbol")["underlying_price"].first().round(3).to_dict()
    assert spots == {"NVDA": 131.694, "SPY": 603.62, "^VIX": 15.9}
    assert frame["contractSymbol"].iloc[0] == "NVDA250221C00000500"  # written from the row, OCC style


def test_yahoo_web_iv_is_converted_from_percent_and_dashes_are_missing(options):
    calls = read_chain_file(options / "yahoo_web" / "AAPL_calls_allexp_asof2020-02-26.csv")
    puts = read_chain_file(options / "yahoo_web" / "AAPL_puts_allexp_asof2020-02-26.csv")

    assert (len(calls), len(puts)) == (990, 831)
    assert calls["impliedVolatility"].iloc[0] == pytest.approx(2.2832)  # 228.32 %
    assert calls["percentChange"].isna().sum() == 336 and calls["volume"].isna().sum() == 20
    assert calls["lastTradeDate"].iloc[0] == pd.Timestamp("2020-02-24 20:53", tz="UTC")  # 3:53PM EST
    last = calls.iloc[-1]
    assert (last["contractSymbol"], last["percentChange"]) == ("AAPL220617C00485000", 14.67)
    assert calls.attrs["problem_count"] == 0 and puts.attrs["problem_count"] == 0


# -- a French Cboe export -------------------------------------------------------------------------------------
FRENCH_HEADER = {
    "Expiration Date": "Date d'expiration",
    "Calls": "Calls",
    "Last Sale": "Dernière vente",
    "Net": "Net",
    "Bid": "Achat",
    "Ask": "Vente",
    "Volume": "Volume",
    "IV": "VI",
    "Delta": "Delta",
    "Gamma": "Gamma",
    "Open Interest": "Intérêt ouvert",
    "Strike": "Prix d'exercice",
    "Puts": "Puts",
}
FRENCH_DAYS = {"Mon": "lun.", "Tue": "mar.", "Wed": "mer.", "Thu": "jeu.", "Fri": "ven.", "Sat": "sam.", "Sun": "dim."}
FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
FRENCH_SHORT = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def french_number(text: str) -> str:
    return text.replace(",", "\u00a0").replace(".", ",")  # 71,039,449 -> 71 039 449; 450.81 -> 450,81


def frenchify(english: Path, out: Path) -> None:
    """What a French-locale download opened and saved by Excel looks like: translated labels, dates in French,
    decimal commas, ';' between fields, Windows-1252 text."""
    rows = list(csv.reader(english.open(newline="")))
    french = [rows[0]]
    for cell in rows[1:3]:
        translated = []
        for field in cell:
            label, _, value = field.partition(":")
            label = {
                "Last": "Dernier",
                "Change": "Variation",
                "Bid": "Achat",
                "Ask": "Vente",
                "Size": "Taille",
                "Volume": "Volume",
                "Date": "Date",
            }.get(label, label)
            if label == "Date":
                moment = dt.datetime.strptime(value.strip().removesuffix(" EDT"), "%B %d, %Y at %I:%M %p")
                value = f"{moment.day} {FRENCH_MONTHS[moment.month - 1]} {moment.year} à {moment:%H:%M} HAE"
            elif value:
                value = french_number(value.strip())
            translated.append(f"{label} : {value}" if value else field)
        french.append(translated)
    french.append([FRENCH_HEADER[c] for c in rows[3]])
    for row in rows[4:]:
        day = dt.datetime.strptime(row[0], "%a %b %d %Y")
        when = f"{FRENCH_DAYS[row[0][:3]]} {day.day} {FRENCH_SHORT[day.month - 1]} {day.year}"
        french.append([when, *(french_number(c) for c in row[1:])])
    with out.open("w", encoding="cp1252", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(french)


def test_a_french_cboe_export_reads_the_same_as_the_english_one(options, tmp_path):
    english = options / "cboe_quotedata" / "SPY_quotedata_2023-09-14.csv"
    french_path = tmp_path / "SPY_quotedata_fr.csv"
    frenchify(english, french_path)
    text = french_path.read_text(encoding="cp1252")
    assert "Date d'expiration;Calls;Dernière vente;Net;Achat;Vente" in text and "ven. 15 sept. 2023" in text

    french, original = read_chain_file(french_path), read_chain_file(english)

    assert french.attrs["layout"] == "cboe" and french.attrs["problem_count"] == 0
    french.attrs, original.attrs = {}, {}
    pd.testing.assert_frame_equal(french, original)
    assert set(french["underlying_price"]) == {450.81}


# -- the DESIGN layout and the provider -----------------------------------------------------------------------
DESIGN_ROWS = [  # contract, strike, bid, ask, type, expiry
    ("XYZ240119P00045000", 45.0, 0.80, 0.90, "put", "2024-01-19"),
    ("XYZ240119C00055000", 55.0, 0.70, 0.85, "call", "2024-01-19"),
    ("XYZ240216P00045000", 45.0, 1.40, 1.55, "put", "2024-02-16"),
]


def write_design_snapshot(path: Path, spot: float, quote_time: str, rows=DESIGN_ROWS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = [*CHAIN_COLUMNS, "symbol", "option_type", "expiration", "underlying_price", "quote_time"]
    lines = [",".join(header)]
    for code, strike, bid, ask, kind, expiry in rows:
        lines.append(
            f"{code},2024-01-02 20:59:00+00:00,{strike},{bid},{bid},{ask},0.0,0.0,12,340,0.31,False,"
            f"REGULAR,USD,XYZ,{kind},{expiry},{spot},{quote_time}"
        )
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture()
def design_folder(tmp_path) -> Path:
    write_design_snapshot(tmp_path / "chains" / "2024-01-02" / "XYZ.csv", 50.25, "2024-01-02T21:00:00Z")
    write_design_snapshot(
        tmp_path / "chains" / "2023-12-29" / "XYZ.csv", 48.10, "2023-12-29T21:00:00Z", DESIGN_ROWS[:2]
    )
    (tmp_path / "ohlcv").mkdir()
    (tmp_path / "ohlcv" / "XYZ.csv").write_text(
        "Date,OPEN,High,low,Close,Volume\n2023-12-28,47,48.5,46.9,48.2,1000\n2023-12-29,48.2,48.6,47.5,48.1,900\n"
        "2024-01-02,48.1,50.5,48.0,50.25,1500\n2024-01-03,50.3,51.0,49.8,50.9,1200\n"
    )
    return tmp_path


def test_design_layout_round_trip(design_folder):
    provider = CsvProvider(design_folder)

    assert provider.universe() == ["XYZ"]
    quote = provider.quote("XYZ")
    assert (quote.price, quote.quote_time) == (50.25, dt.datetime(2024, 1, 2, 21, tzinfo=dt.UTC))
    assert provider.expirations("XYZ") == [dt.date(2024, 1, 19), dt.date(2024, 2, 16)]
    chain = provider.chain("XYZ", dt.date(2024, 1, 19))
    assert list(chain.columns) == [*CHAIN_COLUMNS, "option_type"] and len(chain) == 2
    snap = provider.snapshot("XYZ")
    assert len(snap.chain) == 3 and snap.warnings == [] and snap.quote.price == 50.25
    assert set(snap.chain["expiration"]) == {dt.date(2024, 1, 19), dt.date(2024, 2, 16)}


def test_a_file_is_read_again_once_it_changes_and_not_before(design_folder, monkeypatch):
    from core.providers import csv_provider

    reads: list[str] = []
    real = csv_provider.load_chain_file
    monkeypatch.setattr(csv_provider, "load_chain_file", lambda path: reads.append(path.parent.name) or real(path))
    newest = design_folder / "chains" / "2024-01-02" / "XYZ.csv"
    write_design_snapshot(newest, 50.25, "2024-01-02T21:00:00Z")  # a new modification time: unknown to the cache

    assert CsvProvider(design_folder).quote("XYZ").price == 50.25
    assert CsvProvider(design_folder).quote("XYZ").price == 50.25  # a second provider, the same unchanged file
    assert sorted(reads) == ["2023-12-29", "2024-01-02"]  # each file once
    write_design_snapshot(newest, 51.75, "2024-01-02T21:00:00Z")  # rewritten: another size
    assert CsvProvider(design_folder).quote("XYZ").price == 51.75
    assert sorted(reads) == ["2023-12-29", "2024-01-02", "2024-01-02"]  # only the changed one again


def test_as_of_selects_the_newest_snapshot_not_after_it(design_folder):
    provider = CsvProvider(design_folder, as_of="2023-12-31")
    assert provider.quote("XYZ").price == 48.10
    assert provider.expirations("XYZ") == [dt.date(2024, 1, 19)]
    with pytest.raises(NoOptions):
        CsvProvider(design_folder, as_of=dt.date(2023, 12, 1)).expirations("XYZ")


def test_history_reads_ohlcv_columns_in_any_case_and_includes_both_ends(design_folder):
    frame = CsvProvider(design_folder).history("XYZ", dt.date(2023, 12, 29), dt.date(2024, 1, 2))
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert list(frame.index) == [pd.Timestamp("2023-12-29"), pd.Timestamp("2024-01-02")]
    assert frame["close"].tolist() == [48.1, 50.25]


def test_unknown_symbol(design_folder):
    with pytest.raises(SymbolNotFound):
        CsvProvider(design_folder).expirations("NOPE")


def test_provider_over_the_shared_folder(shared_provider):
    universe = shared_provider.universe()
    assert {"AAPL", "AMD", "SPY", "NVDA", "^VIX", "MSFT", "GSPC"} <= set(universe)
    assert shared_provider.errors == {}
    assert "manifest.csv" in shared_provider.ignored  # a CSV that is not a chain is skipped, and said so
    # Newest SPY snapshot: the 2025-02-12 derived file with its spot.
    assert shared_provider.quote("SPY").price == pytest.approx(603.62, abs=1e-3)


def test_shared_folder_as_of_picks_the_cboe_snapshot(shared_data):
    provider = CsvProvider(shared_data, as_of=dt.date(2023, 9, 30))
    snap = provider.snapshot("SPY")
    assert snap.quote.price == 450.81 and len(snap.chain) == 7292 and len(snap.expirations) == 31
    amd = provider.snapshot("AMD")
    assert "40 of 869 rows not loaded" in amd.warnings[0] and amd.profile.name == "Advanced Micro Devices, Inc."


def test_spot_falls_back_to_the_ohlcv_close_when_the_snapshot_has_none(shared_data):
    quote = CsvProvider(shared_data, as_of=dt.date(2024, 10, 1)).quote("SPY")  # yfinance_format file, no spot
    assert quote.price == pytest.approx(568.62, abs=0.01)
    assert quote.quote_time == dt.datetime(2024, 10, 1, 20, tzinfo=dt.UTC)


def test_quantmod_history_columns(shared_provider):
    frame = shared_provider.history("AAPL", dt.date(2023, 10, 2), dt.date(2023, 10, 6))
    assert len(frame) == 5 and list(frame.columns) == ["open", "high", "low", "close", "volume"]


# -- broken input ---------------------------------------------------------------------------------------------
def test_unreadable_files_name_the_file(tmp_path, shared_data):
    with pytest.raises(NotAChainFile, match="manifest.csv"):
        read_chain_file(shared_data / "manifest.csv")
    binary = tmp_path / "chain.csv"
    binary.write_bytes(b"contractSymbol,strike\n\x00\x01\x02")
    with pytest.raises(ChainFileError, match=r"chain.csv, line 2: binary data"):
        read_chain_file(binary)
    empty = tmp_path / "empty.csv"
    empty.write_text("  \n")
    with pytest.raises(ChainFileError, match="empty"):
        read_chain_file(empty)
    with pytest.raises(ChainFileError, match="cannot read"):
        read_chain_file(tmp_path / "missing.csv")


def test_bad_rows_are_counted_and_reported_with_line_and_column(options, tmp_path):
    lines = (options / "yfinance_format" / "SPY_exp2024-10-02_asof2024-10-01.csv").read_text().splitlines()
    cells = lines[4].split(",")
    cells[4] = "abc"  # bid: not a number -> kept as NaN, reported
    lines[4] = ",".join(cells)
    cells = lines[6].split(",")
    cells[0], cells[2] = "", "x"  # no contract code and no strike -> the row cannot be loaded
    lines[6] = ",".join(cells)
    lines[8] += ",surplus"  # one field too many
    broken = tmp_path / "SPY_broken.csv"
    broken.write_text("\n".join(lines) + "\n")

    loaded = load_chain_file(broken)

    assert loaded.rows_read == 154 and loaded.rejected_rows == 2 and len(loaded.frame) == 152
    text = "\n".join(loaded.problems)
    assert "line 5, column 5 'bid': 'abc' is not a valid number" in text
    assert "line 7, column 3 'strike': 'x' is not a valid number" in text
    assert "line 7: row not loaded, no symbol, expiration, strike" in text
    assert "line 9: row not loaded, 16 fields where the header has 15" in text
    assert loaded.frame.attrs["rejected_rows"] == 2


def test_a_header_without_contract_identity_is_named(tmp_path):
    partial = tmp_path / "partial.csv"
    partial.write_text("note: exported by hand\nstrike,bid,ask,lastPrice,volume\n45,0.8,0.9,0.85,12\n")
    with pytest.raises(NotAChainFile, match=r"partial.csv, line 2: .*nearest has strike, bid, ask, lastPrice"):
        read_chain_file(partial)


def test_a_file_where_no_row_can_be_read_is_an_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("contractSymbol,strike,bid,ask,lastPrice\nnonsense,x,1,2,3\n,,,,\n")
    with pytest.raises(ChainFileError, match=r"bad.csv: none of 1 rows could be read; first problem: line 2"):
        read_chain_file(bad)


def test_a_broken_file_does_not_hide_the_others(design_folder):
    (design_folder / "chains" / "garbage.csv").write_bytes(b"\x00\x00")
    provider = CsvProvider(design_folder)
    assert provider.universe() == ["XYZ"]
    assert "garbage.csv" in next(iter(provider.errors))
    with pytest.raises(ChainFileError):
        CsvProvider(design_folder, strict=True).universe()
