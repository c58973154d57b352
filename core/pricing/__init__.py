"""Option pricing for Wheelhouse: pure, vectorised NumPy functions, arrays in and arrays out, no I/O.

- `bsm`: Black-Scholes-Merton prices and greeks (theta per calendar day, vega and rho per 1 point).
- `iv`: implied volatility from a price (bracketed Newton-Halley), NaN or a named error where none fits.
- `metrics`: the premium numbers of DESIGN section 4 (mid, returns, breakeven, cushion, prob_otm, ...).
- `quality`: the row quality rules and their reason codes.
- `normal`: the standard normal CDF and density (Cody's rational approximations; NumPy has no erfc).

Units and definitions: docs/maths.md.
"""

from core.pricing.bsm import Greeks, InvalidOptionType, greeks, is_call_mask, price
from core.pricing.iv import (
    VOL_LOWER,
    VOL_UPPER,
    ImpliedVolError,
    PriceAboveMaximum,
    PriceBelowIntrinsic,
    VolatilityOutOfBounds,
    implied_vol,
    implied_vol_scalar,
)
from core.pricing.metrics import (
    CONTRACT_MULTIPLIER,
    PremiumMetrics,
    annualized_return,
    breakeven,
    capital,
    cushion_pct,
    dte,
    extrinsic,
    flat_annualized_return,
    flat_return,
    if_called_return,
    intrinsic,
    is_placeholder_iv,
    mid,
    monthly_return,
    pct_otm,
    premium,
    premium_metrics,
    prob_otm,
    spread_pct,
)
from core.pricing.normal import norm_cdf, norm_pdf
from core.pricing.quality import IV_MAX, REASONS, count_reasons, quality_reasons

__all__ = [
    "CONTRACT_MULTIPLIER",
    "IV_MAX",
    "REASONS",
    "VOL_LOWER",
    "VOL_UPPER",
    "Greeks",
    "ImpliedVolError",
    "InvalidOptionType",
    "PremiumMetrics",
    "PriceAboveMaximum",
    "PriceBelowIntrinsic",
    "VolatilityOutOfBounds",
    "annualized_return",
    "breakeven",
    "capital",
    "count_reasons",
    "cushion_pct",
    "dte",
    "extrinsic",
    "flat_annualized_return",
    "flat_return",
    "greeks",
    "implied_vol",
    "if_called_return",
    "implied_vol_scalar",
    "intrinsic",
    "is_call_mask",
    "is_placeholder_iv",
    "mid",
    "monthly_return",
    "norm_cdf",
    "norm_pdf",
    "pct_otm",
    "premium",
    "premium_metrics",
    "price",
    "prob_otm",
    "quality_reasons",
    "spread_pct",
]
