"""The namespace cannot be walked: nothing a validated scanner can reach is a module, a reflective builtin, a file
object, a frame or a file reader/writer; the module views are read-only and expose only their allow-list.

The walk (tests/scanner/namespace_walk.py) runs in a process of its own with the worker's lockdown installed;
the control run walks the namespace as it was before the views, and must find what the views removed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from core.scanner.box import allowlist
from core.scanner.box.namespace import VIEWS, SymbolData, build
from core.scanner.box.validate import validate
from core.scanner.box.views import ModuleView, view_names
from tests.conftest import REPO_ROOT
from tests.scanner.conftest import bars, item

pytestmark = pytest.mark.slow  # every test here starts the sandbox


def _walk(*flags: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "tests.scanner.namespace_walk", *flags],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_nothing_forbidden_is_reachable_from_the_namespace():
    walked = _walk()
    assert walked["found"] == []
    # A real walk: tens of thousands of objects, thousands of calls (frames, Series, arrays, windows, groupbys).
    assert walked["visited"] > 10_000 and walked["calls"] > 5_000


def test_the_walk_finds_what_real_modules_expose():
    """The control: the same walk over the real pd/np/math reaches modules, np.info, as_strided, the builtins."""
    found = {f["what"] for f in _walk("--real-modules")["found"]}
    assert {"np.info", "np.lib.stride_tricks.as_strided", "module numpy.random", "module numpy.lib"} <= found
    assert any(w.startswith("module pandas.") for w in found)


@pytest.mark.parametrize("path", sorted(VIEWS))
def test_views_are_read_only_and_hold_no_module(path):
    view = VIEWS[path]
    table = view_names(view)
    assert all(isinstance(v, ModuleView) or type(v).__name__ != "module" for v in table.values())
    assert set(table) <= set(allowlist.MODULES[path]) | (
        {n for n in table if n.isupper()} if path == "talib" else set()
    )
    name = next(iter(table))
    with pytest.raises(AttributeError, match="read-only"):
        setattr(view, name, 1)
    with pytest.raises(AttributeError, match="read-only"):
        delattr(view, name)
    for dunder in ("__dict__", "__name__", "__spec__", "__loader__", "__builtins__", "__file__"):
        with pytest.raises(AttributeError):
            getattr(view, dunder)


def test_withheld_names_say_so():
    with pytest.raises(PermissionError, match="numpy.info is not available to scanners"):
        VIEWS["numpy"].info  # noqa: B018
    with pytest.raises(PermissionError, match="as_strided is not available"):
        VIEWS["numpy.lib.stride_tricks"].as_strided  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'meen'"):
        VIEWS["numpy"].meen  # noqa: B018


def test_the_namespace_hands_out_views():
    names, _ = build(SymbolData("X", bars(30)), {}, [])
    assert names["np"] is names["numpy"] is VIEWS["numpy"] and names["pd"] is VIEWS["pandas"]
    assert names["math"] is VIEWS["math"] and names["talib"] is VIEWS["talib"]


# The reported walks and their relatives: each fails, in both modes, validated or not.
WALKS = [
    ("assign_to_module", "np.lib.stride_tricks.p = pd\nx = np.lib.stride_tricks.p.io", r"read-only"),
    ("delete_from_module", "del np.mean", r"read-only"),
    ("random_to_builtins", "x = np.random.bit_generator", r"numpy.random is not available"),
    ("np_info_imports", 'np.info("x", toplevel="sub" + "process")', r"numpy.info is not available"),
    ("as_strided", "x = np.lib.stride_tricks.as_strided(close.values, (10**6,), (8,))", r"as_strided is not"),
    ("pandas_io", "x = pd.io.common", r"pandas.io is not available"),
    ("import_submodule", "import numpy.random", r"import of 'numpy.random' is not allowed"),
    ("from_import_withheld", "from numpy import ctypeslib", r"'ctypeslib' from 'numpy' is not allowed"),
    ("from_import_fallback", "from numpy import no_such_name", r"'no_such_name' from 'numpy' is not allowed"),
    ("talib_module", "x = talib.abstract", r"talib.abstract is not available"),
    ("datetime_module_sys", "import datetime as d\nx = d.sys", r"datetime.sys is not available"),
    ("statistics_random", "import statistics\nx = statistics.random", r"statistics.random is not available"),
    ("math_is_a_view", "x = math.__dict__", r"dunder"),
]


@pytest.mark.parametrize(("case", "code", "reason"), WALKS, ids=[w[0] for w in WALKS])
def test_module_walks_fail_in_both_modes(either_mode, case, code, reason):
    box, _, _ = either_mode
    for check in (True, False):
        issues = validate(code)
        outcome = box.run(code, [item()], check=check)[0]
        if check and issues:
            assert outcome.error.startswith("rejected: ")
            continue
        assert outcome.result is None and outcome.error is not None
        if check or "dunder" not in reason:
            assert re.search(reason, outcome.error), outcome.error


def test_allow_listed_names_work_in_the_sandbox(either_mode):
    box, _, _ = either_mode
    code = """
import numpy.lib.stride_tricks as st
from numpy.lib.stride_tricks import sliding_window_view
import statistics
from datetime import timedelta
w = st.sliding_window_view(close.values, 5)
signal = True
metrics = {"w": w.mean(axis=1)[-1], "same": sliding_window_view is st.sliding_window_view,
           "norm": np.linalg.norm(close.values[-3:]), "bday": str(df.index[-1] + pd.offsets.BDay(1)),
           "stdev": statistics.stdev(close[-10:]), "sqrt": math.sqrt(4), "days": timedelta(days=2).days}
"""
    assert validate(code) == []
    outcome = box.run(code, [item()])[0]
    assert outcome.error is None, outcome.error
    metrics = outcome.result["metrics"]
    assert metrics["same"] is True and metrics["sqrt"] == 2 and metrics["days"] == 2 and metrics["norm"] > 0
