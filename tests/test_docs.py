"""The worked examples in docs/ are doctests: a formula that changes without its doc fails here."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("name", ["maths.md", "premiums.md", "wheel.md", "lab.md", "track-record.md"])
def test_doc_examples_run(name):
    result = doctest.testfile(str(DOCS / name), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"docs/{name} should hold worked examples"
