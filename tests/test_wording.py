"""Counts read right, long texts are cut at a word, and every code the quality rules and the queue produce
reaches people as words."""

from __future__ import annotations

import pytest

from core.accounts.queueing import account_sync_scope
from core.db.models import FINAL_RUN_STATUSES
from core.jobs.fires import scan_scope
from core.jobs.queue import FINAL_ITEM_STATUSES
from core.pricing.quality import REASONS
from core.sync.requests import sync_scope
from core.wording import REASON_WORDS, STATUS_WORDS, describe_counts, plural, reason_words, scope_words, shorten


def test_plural():
    assert [plural(n, "symbol") for n in (0, 1, 2, 1500)] == ["0 symbols", "1 symbol", "2 symbols", "1,500 symbols"]
    assert plural(1, "match", "matches") == "1 match" and plural(3, "match", "matches") == "3 matches"


def test_shorten_cuts_at_a_word_with_an_ellipsis():
    text = "AAPL: no daily bars for this symbol; MSFT: provider timed out"
    assert shorten(text, 200) == text
    cut = shorten(text, 30)
    assert cut == "AAPL: no daily bars for this …" and len(cut) <= 30
    assert shorten("x" * 50, 10) == "xxxxxxxx …"  # one long word is cut inside it


def test_every_quality_reason_and_queue_status_has_words():
    assert set(REASONS) == set(REASON_WORDS)
    assert all("_" not in reason_words(code) for code in REASONS)
    assert reason_words("bid_not_positive") == "no bid"
    assert {"queued", "running", *FINAL_ITEM_STATUSES, *FINAL_RUN_STATUSES} <= set(STATUS_WORDS)
    assert describe_counts({"ask_below_bid": 3, "bid_not_positive": 1204}) == "no bid: 1,204, ask below bid: 3"


@pytest.mark.parametrize(
    ("scope", "words"),
    [
        (sync_scope(all_symbols=True), "all symbols"),
        (sync_scope(watchlist="Wheel TV"), "watchlist Wheel TV"),
        (sync_scope(symbols=["AAPL", "MSFT"]), "chosen symbols"),
        (scan_scope(5, 3), "scanner 5 on watchlist 3"),
        (scan_scope(5, 3) + ":as-of:2023-10-27", "scanner 5 on watchlist 3, as of 2023-10-27"),
        ("scan:5:symbols:0123456789abcdef", "scanner 5 on chosen symbols"),
        (account_sync_scope(None), "all accounts"),
        (account_sync_scope([3, 1]), "accounts 1, 3"),
        (account_sync_scope(list(range(100))), "chosen accounts"),
    ],
)
def test_every_queue_scope_reads_as_words(scope, words):
    assert scope_words(scope) == words
