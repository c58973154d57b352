"""How counts and long texts read to a person: one place, so "1 symbols" and a summary cut mid-word cannot return.

`plural(1, "symbol")` is "1 symbol", `plural(3, "symbol")` "3 symbols", `plural(2, "match", "matches")`
"2 matches". `shorten` cuts a long text at a word boundary and marks the cut with an ellipsis.
"""

from __future__ import annotations


def plural(count: int, noun: str, plural_noun: str | None = None, *, thousands: bool = True) -> str:
    """`count` and `noun`, the noun in the plural unless the count is exactly one (0 symbols, 1 symbol)."""
    shown = f"{count:,}" if thousands else str(count)
    return f"{shown} {noun if count == 1 else plural_noun or noun + 's'}"


def shorten(text: str, limit: int) -> str:
    """`text` whole when it fits in `limit` characters; otherwise cut at the last word boundary before the limit,
    with " …" saying that more was there (a word longer than the limit is cut inside it)."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 2, 1)]
    whole_words = text[len(head)].isspace()  # the cut falls between words already
    cut = head if whole_words or " " not in head.strip() else head.rsplit(None, 1)[0]
    return cut.rstrip(" ,;:") + " …"


# ---- codes shown to people -------------------------------------------------------------------------------------
# Why a quote row was kept out of rankings (core.pricing.quality.REASONS), in words.
REASON_WORDS: dict[str, str] = {
    "non_finite": "a price or IV is not a number",
    "strike_not_positive": "strike is zero or below",
    "expired": "expired",
    "no_underlying_price": "no stock price",
    "bid_not_positive": "no bid",
    "ask_below_bid": "ask below bid",
    "iv_out_of_bounds": "IV above 500 %",
}
# What a queued item or run ended as (core.jobs.queue), in words.
STATUS_WORDS: dict[str, str] = {
    "queued": "queued",
    "running": "running",
    "synced": "done",
    "no_options": "no options",
    "failed": "failed",
    "cancelled": "cancelled",
    "completed": "completed",
}


def reason_words(code: str) -> str:
    """A quality reason code as words (`bid_not_positive` -> "no bid"); an unknown code loses its underscores."""
    return REASON_WORDS.get(code, code.replace("_", " "))


def describe_counts(counts: dict[str, int] | None) -> str:
    """Reason counts as words, largest first: "no bid: 1,204, ask below bid: 3"."""
    if not counts:
        return ""
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{reason_words(reason)}: {n:,}" for reason, n in ordered)


def scope_words(scope: str | None) -> str:
    """A queue scope as words: `sync:all` -> "all symbols", `sync:symbols:f107…` -> "chosen symbols",
    `scan:5:watchlist:3:as-of:2023-10-27` -> "scanner 5 on watchlist 3, as of 2023-10-27"."""
    if not scope:
        return ""
    parts = scope.split(":")
    kind, rest = parts[0], parts[1:]
    if kind == "sync":
        if rest == ["all"]:
            return "all symbols"
        if rest[:1] == ["watchlist"]:
            return f"watchlist {':'.join(rest[1:])}"
        if rest[:1] == ["symbols"]:
            return "chosen symbols"
    if kind == "scan" and len(rest) >= 3:
        as_of = f", as of {rest[4]}" if rest[3:4] == ["as-of"] and len(rest) > 4 else ""
        target = f"watchlist {rest[2]}" if rest[1] == "watchlist" else "chosen symbols"
        return f"scanner {rest[0]} on {target}{as_of}"
    if kind == "accounts_sync":
        if rest == ["all"]:
            return "all accounts"
        ids = ":".join(rest)
        return "chosen accounts" if ids.startswith("sha1") else f"accounts {ids.replace(',', ', ')}"
    return scope
