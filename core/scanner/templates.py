"""Scanner templates seeded into `scanner_templates`: the three FluxScan reporting styles, stocks and options.

Each template is ordinary scanner code (DESIGN section 7) and passes validation; tests run every one of them
in the sandbox. `seed_templates` adds the ones missing by name and never touches a row that exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Scanner, ScannerTemplate


@dataclass(frozen=True)
class Template:
    name: str
    category: str
    style: str  # signal | filter | scan
    description: str
    code: str
    parameters: dict[str, Any]


def _int(default: int, low: int, high: int) -> dict[str, Any]:
    return {"default": default, "type": "int", "min": low, "max": high}


def _float(default: float, low: float | None = None, high: float | None = None) -> dict[str, Any]:
    return {
        "default": default,
        "type": "float",
        **({"min": low} if low is not None else {}),
        **({"max": high} if high is not None else {}),
    }


RSI_OVERSOLD = """# RSI oversold: the RSI has fallen under the oversold level on enough volume (a bounce candidate).
period = params["rsi_period"]
level = params["oversold_level"]
rsi = RSI(close, timeperiod=period)
signal = len(close) > period and rsi[-1] < level and volume[-1] >= params["min_volume"]
if signal:
    signal_type = "BUY"
    signal_strength = min(100, round(50 + (level - rsi[-1]) / level * 100))
    entry_price = close[-1]
    stop_loss = round(close[-1] * 0.95, 2)
    target = round(close[-1] * 1.08, 2)
    metrics = {"rsi": round(rsi[-1], 2), "price": close[-1], "volume": volume[-1]}
"""

MACD_CROSSOVER = """# MACD crossover: the MACD line crossed its signal line on the last bar (up: BUY, down: SELL).
macd, macd_signal, histogram = MACD(close, fastperiod=params["fast_period"], slowperiod=params["slow_period"],
                                    signalperiod=params["signal_period"])
signal = False
if histogram[-2] < 0 <= histogram[-1]:
    signal, signal_type = True, "BUY"
elif histogram[-2] > 0 >= histogram[-1]:
    signal, signal_type = True, "SELL"
if signal:
    metrics = {"macd": round(macd[-1], 4), "macd_signal": round(macd_signal[-1], 4),
               "histogram": round(histogram[-1], 4), "price": close[-1]}
"""

EMA_CROSSOVER = """# EMA crossover: the fast EMA crossed the slow EMA on the last bar, reported by a scan() function.
def scan(data, params):
    fast = EMA(data["close"], timeperiod=params["fast_period"])
    slow = EMA(data["close"], timeperiod=params["slow_period"])
    metrics = {"fast_ema": round(fast[-1], 2), "slow_ema": round(slow[-1], 2), "price": data["close"][-1]}
    if fast[-2] <= slow[-2] and fast[-1] > slow[-1]:
        return {"signal": "BUY", "metrics": metrics}
    if fast[-2] >= slow[-2] and fast[-1] < slow[-1]:
        return {"signal": "SELL", "metrics": metrics}
    return None
"""

BOLLINGER_SQUEEZE = """# Bollinger squeeze: the bands are as narrow as in the whole lookback window (an EXPLORE row).
upper, middle, lower = BBANDS(close, timeperiod=params["period"], nbdevup=2.0, nbdevdn=2.0)
width = (upper - lower) / middle * 100
narrowest = width.rolling(params["lookback"]).min()
Filter = width[-1] <= narrowest[-1] * (1 + params["tolerance_pct"] / 100)
AddColumn("band_width_pct", round(width[-1], 2))
AddColumn("narrowest_pct", round(narrowest[-1], 2))
AddColumn("close", close[-1])
AddColumn("upper", round(upper[-1], 2))
AddColumn("lower", round(lower[-1], 2))
"""

VOLUME_BREAKOUT = """# Volume breakout: a close above the recent high on a multiple of average volume (EXPLORE row).
average = SMA(volume, timeperiod=params["average_days"])
recent_high = high.rolling(params["breakout_days"]).max()
ratio = volume[-1] / average[-2] if average[-2] > 0 else 0.0
Filter = ratio >= params["volume_multiple"] and close[-1] > recent_high[-2]
AddColumn("volume_ratio", round(ratio, 2))
AddColumn("close", close[-1])
AddColumn("breakout_level", recent_high[-2])
AddColumn("volume", volume[-1])
"""

HIGH_52_WEEK = """# 52-week high: the close is within a few percent of the highest high of the last 252 sessions.
window = min(len(high), 252)
year_high = high[-window:].max()
distance_pct = (year_high - close[-1]) / year_high * 100
signal = window >= params["min_sessions"] and distance_pct <= params["within_pct"]
if signal:
    signal_type = "BUY" if close[-1] >= year_high else "WATCH"
    metrics = {"close": close[-1], "high_52w": year_high, "distance_pct": round(distance_pct, 2),
               "sessions": window}
"""

CASH_SECURED_PUTS = """# Cash-secured puts: the best put by monthly return within DTE and |delta| limits (EXPLORE row).
puts = options[(options["option_type"] == "put") & options["quality_flag"].isna()
               & (options["dte"] >= params["min_dte"]) & (options["dte"] <= params["max_dte"])
               & (options["delta"].abs() <= params["max_delta"])
               & (options["monthly_return"] >= params["min_monthly_return"])]
Filter = len(puts) > 0
if Filter:
    best = puts.sort_values("monthly_return", ascending=False).iloc[0]
    AddColumn("spot", spot)
    AddColumn("strike", best["strike"])
    AddColumn("expiration", best["expiration_date"])
    AddColumn("dte", best["dte"])
    AddColumn("premium", round(best["premium"], 2))
    AddColumn("monthly_return", round(best["monthly_return"], 2))
    AddColumn("delta", round(best["delta"], 3))
    AddColumn("cushion_pct", round(best["cushion_pct"], 2))
"""

COVERED_CALLS = """# Covered calls: the out-of-the-money call with the best annualized return within the limits.
calls = options[(options["option_type"] == "call") & options["quality_flag"].isna()
                & (options["dte"] >= params["min_dte"]) & (options["dte"] <= params["max_dte"])
                & (options["strike"] > (spot or 0)) & (options["delta"] <= params["max_delta"])
                & options["annualized_return"].notna()]
signal = False
if spot and len(calls):
    best = calls.sort_values("annualized_return", ascending=False).iloc[0]
    if best["annualized_return"] >= params["min_annualized_return"]:
        signal = True
        signal_type = "SELL_CALL"
        metrics = {"spot": spot, "strike": best["strike"], "expiration": best["expiration_date"],
                   "dte": best["dte"], "premium": round(best["premium"], 2),
                   "annualized_return": round(best["annualized_return"], 2), "delta": round(best["delta"], 3),
                   "upside_pct": round((best["strike"] - spot) / spot * 100, 2)}
"""

HIGH_IV_RANK = """# High IV rank: implied volatility near the top of its own range, rich premium to sell (scan()).
def scan(data, params):
    if iv_rank is None or iv_rank < params["min_iv_rank"]:
        return None
    trend = SMA(data["close"], timeperiod=params["trend_days"])
    liquid = options[options["quality_flag"].isna() & (options["open_interest"] >= params["min_open_interest"])]
    if len(liquid) == 0:
        return None
    return {"signal": "SELL_PREMIUM",
            "metrics": {"iv_rank": round(iv_rank, 1), "iv30": iv30, "spot": spot, "liquid_contracts": len(liquid),
                        "above_trend": bool(data["close"][-1] > trend[-1])}}
"""

TEMPLATES: tuple[Template, ...] = (
    Template(
        "RSI Oversold",
        "momentum",
        "signal",
        "RSI under its oversold level on enough volume.",
        RSI_OVERSOLD,
        {"rsi_period": _int(14, 2, 100), "oversold_level": _float(30, 1, 99), "min_volume": _int(0, 0, 10**12)},
    ),
    Template(
        "MACD Crossover",
        "trend",
        "signal",
        "MACD line crossing its signal line on the last bar.",
        MACD_CROSSOVER,
        {"fast_period": _int(12, 2, 100), "slow_period": _int(26, 3, 200), "signal_period": _int(9, 2, 100)},
    ),
    Template(
        "EMA Crossover",
        "trend",
        "scan",
        "Fast EMA crossing the slow EMA, reported by scan().",
        EMA_CROSSOVER,
        {"fast_period": _int(9, 2, 100), "slow_period": _int(21, 3, 400)},
    ),
    Template(
        "Bollinger Squeeze",
        "volatility",
        "filter",
        "Bands at their narrowest of the lookback window.",
        BOLLINGER_SQUEEZE,
        {"period": _int(20, 5, 100), "lookback": _int(120, 10, 500), "tolerance_pct": _float(5.0, 0, 100)},
    ),
    Template(
        "Volume Breakout",
        "volume",
        "filter",
        "Close above the recent high on a volume surge.",
        VOLUME_BREAKOUT,
        {"average_days": _int(20, 2, 200), "breakout_days": _int(20, 2, 250), "volume_multiple": _float(2.0, 0.5, 100)},
    ),
    Template(
        "52-Week High",
        "momentum",
        "signal",
        "Close within a few percent of the 52-week high.",
        HIGH_52_WEEK,
        {"within_pct": _float(2.0, 0, 50), "min_sessions": _int(200, 20, 252)},
    ),
    Template(
        "Cash-Secured Puts",
        "options",
        "filter",
        "Best put to sell by monthly return within DTE/delta limits.",
        CASH_SECURED_PUTS,
        {
            "min_dte": _int(20, 0, 365),
            "max_dte": _int(50, 1, 730),
            "max_delta": _float(0.30, 0, 1),
            "min_monthly_return": _float(1.0, 0, 100),
        },
    ),
    Template(
        "Covered Calls",
        "options",
        "signal",
        "Best out-of-the-money call to sell by annualized return.",
        COVERED_CALLS,
        {
            "min_dte": _int(20, 0, 365),
            "max_dte": _int(50, 1, 730),
            "max_delta": _float(0.35, 0, 1),
            "min_annualized_return": _float(10.0, 0, 1000),
        },
    ),
    Template(
        "High IV Rank",
        "options",
        "scan",
        "IV rank high enough to sell premium, with liquid contracts.",
        HIGH_IV_RANK,
        {"min_iv_rank": _float(50.0, 0, 100), "min_open_interest": _int(100, 0, 10**9), "trend_days": _int(50, 5, 250)},
    ),
)


def seed_templates(session: Session) -> int:
    """Add every template missing by name; returns how many were added (0 the second time). Does not commit."""
    existing = set(session.scalars(select(ScannerTemplate.name)))
    added = [
        ScannerTemplate(
            name=t.name, category=t.category, description=t.description, code=t.code, default_parameters=t.parameters
        )
        for t in TEMPLATES
        if t.name not in existing
    ]
    session.add_all(added)
    session.flush()
    return len(added)


def scanner_from_template(session: Session, template_id: int, name: str | None = None) -> Scanner:
    """A new scanner with the template's code and parameters (named after it unless `name` is given)."""
    template = session.get(ScannerTemplate, template_id)
    if template is None:
        raise LookupError(f"no scanner template with id {template_id}")
    base = (name or template.name).strip() or template.name
    prefix = func.lower(func.substr(Scanner.name, 1, len(base)))
    taken = {n.lower() for n in session.scalars(select(Scanner.name).where(prefix == base.lower()))}
    chosen, n = base, 2
    while chosen.lower() in taken:  # names ignore case
        chosen, n = f"{base} ({n})", n + 1
    scanner = Scanner(
        name=chosen,
        description=template.description,
        code=template.code,
        parameters=template.default_parameters,
        category=template.category,
        template_id=template.id,
    )
    session.add(scanner)
    session.flush()
    return scanner
