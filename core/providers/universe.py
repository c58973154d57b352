"""The synthetic symbol universe: tickers, names, GICS sectors, sizes, volatilities, dividends, earnings.

Everything is drawn from the seed in fixed-size blocks, so symbol i has the same ticker and attributes
whatever `n` is asked for: `build_universe(7, 200)` is a prefix of `build_universe(7, 6000)`. A few dozen
well-known real tickers come first with their real sector and rough real size; the rest are invented.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

# The 11 GICS sectors: a few industries each, a share of the universe, a typical vol, the fraction of
# dividend payers, their typical yield, and the word that ends an invented company's name.
SECTORS: dict[str, tuple[tuple[str, ...], float, float, float, float, tuple[str, ...]]] = {
    "Information Technology": (
        ("Software", "Semiconductors", "Technology Hardware", "IT Services", "Electronic Equipment"),
        0.15,
        0.42,
        0.35,
        0.012,
        ("Systems", "Technologies", "Software", "Micro"),
    ),
    "Health Care": (
        (
            "Biotechnology",
            "Pharmaceuticals",
            "Health Care Equipment",
            "Health Care Providers & Services",
            "Life Sciences Tools",
        ),
        0.15,
        0.45,
        0.30,
        0.018,
        ("Therapeutics", "Biosciences", "Medical", "Health"),
    ),
    "Financials": (
        ("Banks", "Capital Markets", "Insurance", "Financial Services", "Consumer Finance"),
        0.14,
        0.28,
        0.75,
        0.028,
        ("Bancorp", "Financial", "Capital", "Holdings"),
    ),
    "Consumer Discretionary": (
        (
            "Broadline Retail",
            "Automobiles",
            "Hotels, Restaurants & Leisure",
            "Specialty Retail",
            "Textiles, Apparel & Luxury Goods",
        ),
        0.11,
        0.40,
        0.40,
        0.018,
        ("Brands", "Retail", "Motors", "Leisure"),
    ),
    "Industrials": (
        ("Aerospace & Defense", "Machinery", "Ground Transportation", "Building Products", "Professional Services"),
        0.13,
        0.32,
        0.65,
        0.016,
        ("Industries", "Aerospace", "Logistics", "Manufacturing"),
    ),
    "Communication Services": (
        ("Interactive Media & Services", "Entertainment", "Diversified Telecommunication Services", "Media"),
        0.05,
        0.38,
        0.35,
        0.025,
        ("Media", "Communications", "Networks", "Interactive"),
    ),
    "Consumer Staples": (
        ("Beverages", "Food Products", "Household Products", "Consumer Staples Distribution & Retail", "Tobacco"),
        0.05,
        0.22,
        0.85,
        0.028,
        ("Foods", "Brands", "Beverage", "Consumer"),
    ),
    "Energy": (
        ("Oil, Gas & Consumable Fuels", "Energy Equipment & Services"),
        0.05,
        0.36,
        0.75,
        0.035,
        ("Energy", "Petroleum", "Resources", "Midstream"),
    ),
    "Utilities": (
        ("Electric Utilities", "Multi-Utilities", "Gas Utilities", "Independent Power Producers"),
        0.03,
        0.20,
        0.95,
        0.035,
        ("Power", "Utilities", "Electric", "Energy"),
    ),
    "Real Estate": (
        (
            "Specialized REITs",
            "Industrial REITs",
            "Retail REITs",
            "Residential REITs",
            "Real Estate Management & Development",
        ),
        0.07,
        0.28,
        0.90,
        0.040,
        ("Realty", "Properties", "Residential", "Trust"),
    ),
    "Materials": (
        ("Chemicals", "Metals & Mining", "Construction Materials", "Containers & Packaging"),
        0.07,
        0.34,
        0.70,
        0.022,
        ("Materials", "Chemical", "Mining", "Minerals"),
    ),
}
SECTOR_NAMES: tuple[str, ...] = tuple(SECTORS)

# ticker, name, sector index, industry index, exchange, market cap ($bn), price, dividend yield, vol
REAL_TICKERS: tuple[tuple[str, str, int, int, str, float, float, float, float], ...] = (
    ("AAPL", "Apple Inc.", 0, 2, "NASDAQ", 3400, 225, 0.0045, 0.26),
    ("MSFT", "Microsoft Corporation", 0, 0, "NASDAQ", 3200, 430, 0.0075, 0.24),
    ("NVDA", "NVIDIA Corporation", 0, 1, "NASDAQ", 3300, 135, 0.0003, 0.50),
    ("AMD", "Advanced Micro Devices, Inc.", 0, 1, "NASDAQ", 220, 140, 0.0, 0.48),
    ("INTC", "Intel Corporation", 0, 1, "NASDAQ", 95, 22, 0.0, 0.45),
    ("ORCL", "Oracle Corporation", 0, 0, "NYSE", 480, 170, 0.0095, 0.33),
    ("CSCO", "Cisco Systems, Inc.", 0, 2, "NASDAQ", 235, 58, 0.027, 0.22),
    ("IBM", "International Business Machines", 0, 3, "NYSE", 210, 225, 0.030, 0.24),
    ("AMZN", "Amazon.com, Inc.", 3, 0, "NASDAQ", 2100, 200, 0.0, 0.32),
    ("TSLA", "Tesla, Inc.", 3, 1, "NASDAQ", 1100, 340, 0.0, 0.60),
    ("HD", "The Home Depot, Inc.", 3, 3, "NYSE", 400, 400, 0.023, 0.22),
    ("MCD", "McDonald's Corporation", 3, 2, "NYSE", 210, 290, 0.024, 0.18),
    ("NKE", "NIKE, Inc.", 3, 4, "NYSE", 110, 75, 0.021, 0.32),
    ("F", "Ford Motor Company", 3, 1, "NYSE", 42, 10.5, 0.057, 0.38),
    ("GM", "General Motors Company", 3, 1, "NYSE", 55, 52, 0.009, 0.36),
    ("GOOGL", "Alphabet Inc.", 5, 0, "NASDAQ", 2100, 175, 0.0045, 0.30),
    ("META", "Meta Platforms, Inc.", 5, 0, "NASDAQ", 1500, 590, 0.0035, 0.36),
    ("NFLX", "Netflix, Inc.", 5, 1, "NASDAQ", 370, 860, 0.0, 0.35),
    ("DIS", "The Walt Disney Company", 5, 1, "NYSE", 200, 110, 0.009, 0.28),
    ("T", "AT&T Inc.", 5, 2, "NYSE", 160, 22, 0.050, 0.22),
    ("VZ", "Verizon Communications Inc.", 5, 2, "NYSE", 170, 40, 0.066, 0.20),
    ("JPM", "JPMorgan Chase & Co.", 2, 0, "NYSE", 680, 240, 0.021, 0.23),
    ("BAC", "Bank of America Corporation", 2, 0, "NYSE", 340, 44, 0.024, 0.27),
    ("WFC", "Wells Fargo & Company", 2, 0, "NYSE", 240, 70, 0.023, 0.28),
    ("C", "Citigroup Inc.", 2, 0, "NYSE", 130, 68, 0.032, 0.30),
    ("GS", "The Goldman Sachs Group, Inc.", 2, 1, "NYSE", 180, 580, 0.021, 0.28),
    ("V", "Visa Inc.", 2, 3, "NYSE", 600, 310, 0.0075, 0.19),
    ("JNJ", "Johnson & Johnson", 1, 1, "NYSE", 370, 155, 0.032, 0.17),
    ("PFE", "Pfizer Inc.", 1, 1, "NYSE", 150, 26, 0.065, 0.25),
    ("MRK", "Merck & Co., Inc.", 1, 1, "NYSE", 250, 100, 0.031, 0.22),
    ("ABBV", "AbbVie Inc.", 1, 0, "NYSE", 310, 175, 0.036, 0.24),
    ("LLY", "Eli Lilly and Company", 1, 1, "NYSE", 750, 790, 0.0065, 0.33),
    ("UNH", "UnitedHealth Group Incorporated", 1, 3, "NYSE", 520, 560, 0.015, 0.28),
    ("CAT", "Caterpillar Inc.", 4, 1, "NYSE", 185, 380, 0.015, 0.27),
    ("BA", "The Boeing Company", 4, 0, "NYSE", 115, 155, 0.0, 0.36),
    ("GE", "GE Aerospace", 4, 0, "NYSE", 190, 175, 0.0065, 0.30),
    ("MMM", "3M Company", 4, 3, "NYSE", 70, 130, 0.022, 0.26),
    ("WMT", "Walmart Inc.", 6, 3, "NYSE", 700, 87, 0.0095, 0.18),
    ("PG", "The Procter & Gamble Company", 6, 2, "NYSE", 400, 170, 0.024, 0.16),
    ("KO", "The Coca-Cola Company", 6, 0, "NYSE", 270, 63, 0.031, 0.15),
    ("PEP", "PepsiCo, Inc.", 6, 0, "NASDAQ", 210, 155, 0.035, 0.17),
    ("XOM", "Exxon Mobil Corporation", 7, 0, "NYSE", 470, 110, 0.035, 0.24),
    ("CVX", "Chevron Corporation", 7, 0, "NYSE", 270, 150, 0.043, 0.24),
    ("NEE", "NextEra Energy, Inc.", 8, 0, "NYSE", 150, 73, 0.028, 0.26),
    ("DUK", "Duke Energy Corporation", 8, 0, "NYSE", 85, 110, 0.038, 0.17),
    ("SO", "The Southern Company", 8, 0, "NYSE", 90, 85, 0.034, 0.17),
    ("AMT", "American Tower Corporation", 9, 0, "NYSE", 95, 200, 0.033, 0.27),
    ("PLD", "Prologis, Inc.", 9, 1, "NYSE", 100, 110, 0.035, 0.28),
    ("O", "Realty Income Corporation", 9, 2, "NYSE", 48, 55, 0.058, 0.19),
    ("LIN", "Linde plc", 10, 0, "NASDAQ", 215, 450, 0.0125, 0.18),
)

_PREFIXES = (
    "Apex",
    "Summit",
    "Harbor",
    "Northstar",
    "Pinnacle",
    "Cedar",
    "Silverline",
    "Granite",
    "Meridian",
    "Atlas",
    "Beacon",
    "Crescent",
    "Evergreen",
    "Frontier",
    "Keystone",
    "Liberty",
    "Orion",
    "Pioneer",
    "Quantum",
    "Redwood",
    "Sterling",
    "Bluewater",
    "Ironwood",
    "Lakeshore",
    "Mesa",
    "Nova",
    "Polaris",
    "Riverbend",
    "Sagebrush",
    "Tidewater",
    "Vertex",
    "Westfield",
    "Aurora",
    "Cobalt",
    "Delta Ridge",
    "Emerald",
    "Falcon",
    "Golden Gate",
    "Highland",
    "Juniper",
)
_FORMS = ("Inc.", "Corp.", "Holdings", "Group", "Co.", "plc", "Ltd.", "Inc.")
# Rough English letter frequencies, so invented tickers look more like KBRX than QXZJ.
_LETTER_WEIGHTS = np.array(
    [8, 3, 6, 4, 6, 3, 3, 3, 5, 1, 2, 5, 4, 5, 5, 4, 0.5, 5, 6, 6, 3, 2, 2, 0.5, 1, 0.5], dtype=float
)
_LENGTH_P = np.array([0.005, 0.045, 0.38, 0.52, 0.05])  # tickers of 1..5 letters
_BLOCK = 256  # attributes are drawn per block of this many symbols, which is what keeps prefixes stable
NO_OPTIONS_FRACTION = 0.02


@dataclass(frozen=True)
class Universe:
    """Column arrays, one entry per symbol, in universe order; `index` maps a ticker to its row."""

    symbols: list[str]
    names: list[str]
    sectors: list[str]
    industries: list[str]
    exchanges: list[str]
    shares: np.ndarray  # shares outstanding, so market cap moves with the price
    anchor_price: np.ndarray  # the price the walk wanders around at the reference date
    trend: np.ndarray  # yearly log drift of that level
    vol: np.ndarray  # base implied vol, 0.15-0.80
    dividend_yield: np.ndarray
    avg_volume: np.ndarray
    liquidity: np.ndarray  # 0 (thin) .. 1 (AAPL): spreads, open interest, strike count
    market_rho: np.ndarray  # correlation with the market factor
    skew: np.ndarray  # slope of the IV smile in standardised moneyness (put skew)
    curvature: np.ndarray
    earnings_phase: np.ndarray  # days after each quarter's start when the symbol reports
    has_options: np.ndarray
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.symbols)


def _tickers(seed: int, n: int) -> list[str]:
    """`n` unique tickers: the real ones first, then invented ones drawn in fixed-size batches."""
    rng = np.random.default_rng([seed, 0x71C])
    taken = {row[0] for row in REAL_TICKERS}
    out = [row[0] for row in REAL_TICKERS][:n]
    letters = np.array(list(string.ascii_uppercase))
    p = _LETTER_WEIGHTS / _LETTER_WEIGHTS.sum()
    while len(out) < n:
        lengths = rng.choice(5, size=1024, p=_LENGTH_P) + 1
        chars = letters[rng.choice(26, size=(1024, 5), p=p)]
        for length, row in zip(lengths, chars, strict=True):
            ticker = "".join(row[:length])
            if ticker not in taken and len(out) < n:
                taken.add(ticker)
                out.append(ticker)
    return out


def build_universe(seed: int, n: int) -> Universe:
    """The first `n` symbols of the universe for `seed`."""
    if n < 1:
        raise ValueError("n_symbols must be at least 1")
    symbols = _tickers(seed, n)
    blocks = -(-n // _BLOCK)
    z = np.empty((blocks * _BLOCK, 8))
    u = np.empty((blocks * _BLOCK, 12))
    for b in range(blocks):
        rng = np.random.default_rng([seed, 0xA77, b])
        z[b * _BLOCK : (b + 1) * _BLOCK] = rng.standard_normal((_BLOCK, 8))
        u[b * _BLOCK : (b + 1) * _BLOCK] = rng.random((_BLOCK, 12))
    z, u = z[:n], u[:n]

    weights = np.array([spec[1] for spec in SECTORS.values()])
    sector_idx = np.searchsorted(np.cumsum(weights / weights.sum()), u[:, 0], side="right").clip(0, 10)
    industry_pick = u[:, 1]
    log_cap = np.log(10 ** (9.6 + 0.75 * z[:, 0])).clip(np.log(5e7), np.log(4e12))
    cap_z = (log_cap - np.log(10**9.6)) / np.log(10**0.75)
    price = np.exp(np.log(45) + 0.25 * cap_z + 0.75 * z[:, 1]).clip(3, 1500)
    sector_vol = np.array([spec[2] for spec in SECTORS.values()])[sector_idx]
    vol = (sector_vol * np.exp(-0.12 * cap_z + 0.22 * z[:, 2])).clip(0.15, 0.80)
    payer_p = np.array([spec[3] for spec in SECTORS.values()])[sector_idx] * (0.75 + 0.15 * cap_z).clip(0.3, 1)
    typical_yield = np.array([spec[4] for spec in SECTORS.values()])[sector_idx]
    dividend = np.where(u[:, 2] < payer_p, (typical_yield * np.exp(0.45 * z[:, 3])).clip(0.005, 0.05), 0.0)
    liquidity = 1 / (1 + np.exp(-(0.9 * cap_z + 0.5 * z[:, 4])))
    seasonal = u[:, 3] < 0.7  # most report a few weeks after the quarter ends; the rest off-cycle
    phase = np.where(seasonal, (21 + 9 * z[:, 5]).clip(5, 60), u[:, 4] * 91)
    has_options = u[:, 5] >= NO_OPTIONS_FRACTION

    names, sectors, industries, exchanges = [], [], [], []
    for i, ticker in enumerate(symbols):
        sector = SECTOR_NAMES[sector_idx[i]]
        inds, suffixes = SECTORS[sector][0], SECTORS[sector][5]
        industry = inds[int(industry_pick[i] * len(inds))]
        pre = _PREFIXES[int(u[i, 6] * len(_PREFIXES))]
        names.append(f"{pre} {suffixes[int(u[i, 7] * 4) % len(suffixes)]} {_FORMS[i % len(_FORMS)]}")
        sectors.append(sector)
        industries.append(industry)
        nasdaq = u[i, 8] < (0.9 if len(ticker) >= 4 else 0.15)
        exchanges.append("NASDAQ" if nasdaq else "NYSE")

    cap = np.exp(log_cap)
    for i, (_ticker, name, s, ind, exch, cap_bn, px, dy, v) in enumerate(REAL_TICKERS[:n]):
        sector_idx[i] = s
        names[i], sectors[i] = name, SECTOR_NAMES[s]
        industries[i], exchanges[i] = SECTORS[SECTOR_NAMES[s]][0][ind], exch
        cap[i], price[i], dividend[i], vol[i] = cap_bn * 1e9, px, dy, v
        liquidity[i] = max(liquidity[i], 0.85 + 0.15 * min(cap_bn / 1000, 1))
        has_options[i] = True
    shares = np.round(cap / price)
    turnover = 0.006 * np.exp(0.4 * z[:, 6] - 0.1 * cap_z)  # fraction of shares traded a day
    return Universe(
        symbols=symbols,
        names=names,
        sectors=sectors,
        industries=industries,
        exchanges=exchanges,
        shares=shares,
        anchor_price=price,
        trend=0.06 + 0.06 * z[:, 7],
        vol=vol,
        dividend_yield=dividend,
        avg_volume=np.maximum(np.round(shares * turnover), 20_000),
        liquidity=liquidity,
        market_rho=0.3 + 0.4 * u[:, 9] * (0.5 + 0.5 * liquidity),
        skew=0.06 + 0.10 * liquidity * u[:, 10],
        curvature=0.015 + 0.025 * u[:, 11],
        earnings_phase=phase,
        has_options=has_options,
        index={s: i for i, s in enumerate(symbols)},
    )
