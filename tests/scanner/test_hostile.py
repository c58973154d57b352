"""Hostile scanners: each is rejected by validation or stopped at run time with a reason; nothing leaks.

Five groups. REJECTED: code the validator refuses, with a line and column; the worker re-validates and
refuses it again. STOPPED: code that passes validation but breaks a limit at run time (time, memory,
recursion). UNCHECKED: attacks sent with validation switched off (`check=False`), so only the operating-system
layer stands in the way -- namespaces, a filesystem without the app's files, an empty environment, rlimits and
seccomp. DISPATCHED: code that passes validation and builds method names as strings at run time for pandas to
look up (`df.agg("ev" + "al", expr=...)`); NEUTRALISED: pandas/NumPy evaluators and file functions called with
validation switched off. Those two are stopped by the worker's lockdown (box/lockdown.py) with a
PermissionError, and run both in `required` mode and in `degraded` mode (bubblewrap missing, simulated), where
the lockdown is what keeps the host's files out of reach. After every case the same worker still runs a good
scanner, the canary file outside the sandbox is unread and unchanged, nothing new appears beside it, and the
secret in this process's environment never shows up in any output.
"""

from __future__ import annotations

import re

import pytest

from core.scanner.box.validate import validate
from core.scanner.sandbox import Sandbox
from tests.conftest import REPO_ROOT
from tests.scanner.conftest import CANARY_TEXT, PRELUDE, SECRET, TEST_LIMITS, bars, item

pytestmark = pytest.mark.slow  # every test here starts the sandbox

REJECTED = [
    ("subclasses", "x = ().__class__.__base__.__subclasses__()", "dunder attribute"),
    ("mro_walk", "x = close.mro()", ".mro"),
    ("generator_frame", "g = (i for i in [1])\nf = g.gi_frame.f_back.f_globals", ".gi_frame"),
    (
        "traceback_frame",
        "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    f = e.__traceback__.tb_frame",
        "dunder attribute",
    ),
    (
        "with_traceback",
        "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    t = e.with_traceback(None)",
        ".with_traceback",
    ),
    ("coroutine_frame", "def g():\n    yield 1\nf = g().cr_frame", ".cr_frame"),
    ("format_attribute", "x = '{0.__class__.__base__}'.format(close)", "format fields"),
    ("format_index", "x = '{0[0]}'.format(['a'])", "format fields"),
    ("format_on_variable", "t = '{0.real}'\nx = t.format(1)", "only allowed on a string literal"),
    ("format_map", "x = '{a.imag}'.format_map({'a': 1})", "format fields"),
    ("eval_alias", "e = eval\ne('1 + 1')", "'eval' is not allowed"),
    ("exec", "exec('import os')", "'exec' is not allowed"),
    ("compile", "c = compile('1', 'x', 'eval')", "'compile' is not allowed"),
    ("getattr_by_string", "f = getattr(pd, 'read_' + 'csv')", "'getattr' is not allowed"),
    ("builtins_dict", "b = __builtins__['open']", "double-underscore"),
    ("dunder_import", "os = __import__('os')", "double-underscore"),
    ("import_os", "import os\nos.system('id')", "import of 'os'"),
    ("from_subprocess", "from subprocess import run", "import from 'subprocess'"),
    ("import_ctypes", "import ctypes", "import of 'ctypes'"),
    ("import_socket", "import socket\ns = socket.socket()", "import of 'socket'"),
    ("import_numpy_ctypeslib", "import numpy.ctypeslib", "import of 'numpy.ctypeslib'"),
    ("ctypeslib_chain", "lib = np.ctypeslib.ctypes.CDLL(None)", ".ctypeslib"),
    ("pandas_os_chain", "env = pd.io.common.os.environ", ".io"),
    ("read_csv_passwd", "x = pd.read_csv('/etc/passwd')", ".read_csv"),
    ("read_pickle", "x = pd.read_pickle('/tmp/x.pkl')", ".read_pickle"),
    ("np_load_pickle", "x = np.load('/tmp/x.npy', allow_pickle=True)", ".load"),
    ("np_fromfile_environ", "x = np.fromfile('/proc/self/environ', dtype='uint8')", ".fromfile"),
    ("genfromtxt_pid1", "x = np.genfromtxt('/proc/1/environ')", ".genfromtxt"),
    ("from_pandas_reader", "from pandas import read_csv", "'read_csv' from 'pandas'"),
    ("to_csv", "df.to_csv('/tmp/out.csv')", ".to_csv"),
    ("pd_eval", "x = pd.eval('1 + 1')", ".eval"),
    ("df_query", "x = df.query('close > 0')", ".query"),
    ("df_eval", "x = df.eval('close * 2')", ".eval"),
    ("apply_by_name", "x = df.apply('to_pickle', path='/tmp/x')", "'to_pickle'"),
    ("dunder_in_string", "x = close.agg('__class__')", "dunder"),
    ("open_proc_environ", "x = open('/proc/self/environ').read()", ".read"),
    ("class_definition", "class Escape:\n    pass", "class definitions"),
    ("type_builder", "T = type('T', (), {})", "'type' is not allowed"),
    ("globals", "g = globals()", "'globals' is not allowed"),
    ("vars", "v = vars(pd)", "'vars' is not allowed"),
    ("lambda_code", "c = (lambda: 0).__code__", "dunder attribute"),
    ("func_globals", "def f():\n    pass\ng = f.func_globals", ".func_globals"),
    ("async_function", "async def f():\n    pass", "async functions"),
    ("bytes_literal", "b = b'\\x7fELF'", "bytes literals"),
    ("decorator", "def d(f):\n    return f\n\n@d\ndef g():\n    pass", "decorators"),
    ("breakpoint", "breakpoint()", "'breakpoint' is not allowed"),
    ("environ_attribute", "e = math.environ", ".environ"),
    ("set_option", "pd.set_option('display.max_rows', 5)", ".set_option"),
    ("operator_attrgetter", "from operator import attrgetter", "import from 'operator'"),
    ("nesting_bomb", "x = " + "(" * 300 + "1" + ")" * 300, "syntax error"),
    ("huge_source", "x = 1\n" * 60_000, "longer than"),
]

STOPPED = [
    ("infinite_loop", "while True:\n    pass", r"wall-time limit|CPU time limit"),
    ("memory_list", "x = [0] * (10 ** 10)", r"MemoryError"),
    ("memory_numpy", "x = np.ones(10 ** 11)", r"MemoryError"),
    ("memory_string", "s = 'x' * (10 ** 11)", r"MemoryError"),
    ("memory_growth", "x = []\nwhile True:\n    x.append(np.ones(10 ** 7))", r"MemoryError|limit"),
    ("recursion_bomb", "def f(n):\n    return f(n + 1)\n\nf(0)", r"RecursionError"),
    ("open_is_price_series", "x = open('/proc/self/environ')", r"not callable"),
    ("int_to_str_bomb", "x = str(10 ** 100000)", r"ValueError"),
    ("power_tower", "x = 10 ** 10 ** 10", r"wall-time limit|CPU time limit|MemoryError"),
]

# Reaches the os module's globals through the object graph, as an attacker past the validator would.
UNCHECKED = [
    ("fork", "OS['fork']()", r"forbidden system call"),
    ("system", "OS['system']('id')", r"forbidden system call"),
    ("execv", "OS['execv']('/bin/sh', ['sh', '-c', 'id'])", r"forbidden system call|No such file"),
    ("subprocess", "IMP('subprocess').run(['id'])", r"forbidden system call|No such file"),
    ("socket", "IMP('socket').socket()", r"Operation not permitted"),
    (
        "http",
        "IMP('urllib.request', None, None, ['urlopen']).urlopen('http://127.0.0.1:5432/', timeout=1)",
        r"not permitted|refused|URL",
    ),
    ("read_canary", "x = B.open(params['canary']).read()", r"No such file"),
    ("write_canary", "B.open(params['canary'], 'w').write('owned')", r"Permission denied|No such file"),
    ("create_beside_canary", "B.open(params['folder'] + '/dropped.txt', 'w')", r"Permission denied|No such file"),
    ("write_dev_shm", "B.open('/dev/shm/dropped', 'w')", r"Permission denied"),
    ("proc_self_environ", "x = B.open('/proc/self/environ').read()", r"No such file"),
    ("proc_1_environ", "x = B.open('/proc/1/environ').read()", r"No such file"),
    ("repository", "x = OS['listdir'](params['repo'])", r"No such file"),
    ("app_config", "x = B.open(params['repo'] + '/core/config.py').read()", r"No such file"),
    ("etc_passwd", "x = B.open('/etc/passwd').read()", r"No such file"),
    ("kill_sandbox_init", "OS['kill'](1, 9)", r"Operation not permitted"),
    ("kill_worker", "OS['kill'](2, 9)", r"Operation not permitted"),
    ("ptrace", "IMP('ctypes').CDLL(None).ptrace(0, 0, 0, 0)", r"forbidden system call"),
    ("ctypes_system", "IMP('ctypes').CDLL(None).system(b'id')", r"forbidden system call"),
    ("unshare", "IMP('ctypes').CDLL(None).unshare(0x10000000)", r"forbidden system call"),
    ("seccomp_reset", "IMP('ctypes').CDLL(None).prctl(22, 0, 0, 0, 0)\nOS['fork']()", r"forbidden system call"),
    ("raise_rlimit", "r = IMP('resource')\nr.setrlimit(r.RLIMIT_AS, (-1, -1))", r"not allowed to raise"),
    (
        "output_flood",
        "for fd in range(3, 12):\n    try:\n        OS['write'](fd, b'x' * 65536 * 4)\n"
        "    except Exception:\n        pass\nfor i in range(5000):\n    OS['write'](3, b'y' * 65536)",
        r"malformed output|output limit",
    ),
    (
        "nested_json_flood",
        "for fd in range(3, 12):\n    try:\n        OS['write'](fd, b'[' * 20000 + b'\\n')\n"
        "    except Exception:\n        pass",
        r"malformed output",
    ),
    (
        "forged_result",
        'line = b\'{"i": 0, "result": {"signal": "BUY", "metrics": {"x": {"y": 1}}}}\\n\'\n'
        "for fd in range(3, 12):\n    try:\n        OS['write'](fd, line)\n    except Exception:\n"
        "        pass\nOS['_exit'](0)",
        r"malformed result",
    ),
]

# Strings pandas looks up as method names, built at run time so that validation (which reads constants) passes
# them. `G` names the module globals of pandas.core.series through the expression engine of DataFrame.eval.
LOCKED = r"PermissionError: .*not available to scanners"
G = 'u = "_" + "_"\ng = "close." + u + "class" + u + "." + u + "init" + u + "." + u + "glob" + "als" + u\n'

DISPATCHED = [
    # The reviewer's chain: DataFrame.eval by name, then attribute access to the real builtin open.
    (
        "reviewer_eval_to_open",
        G + 'o = df.agg("ev" + "al", expr=g + ".get(\'" + u + "built" + "ins" + u + "\')'
        '.get(\'open\')")\nsignal = True\nmetrics = {"leak": str(list(o(params["canary"])))}',
        LOCKED,
    ),
    (
        "eval_to_np_fromfile",
        G + 'leak = df.agg("ev" + "al", expr=g + ".get(\'np\').fromfile(\'" + params["canary"] + '
        '"\', dtype=\'uint8\').tobytes().decode()")\nsignal = True\nmetrics = {"leak": leak}',
        LOCKED,
    ),
    (
        "eval_to_read_csv",
        'leak = df.agg("ev" + "al", expr="@p.read_" + "csv(\'" + params["canary"] + "\')",'
        ' local_dict={"p": pd})\nsignal = True\nmetrics = {"leak": str(leak)}',
        LOCKED,
    ),
    ("apply_query", 'x = df.apply("qu" + "ery", expr="close > 0")', LOCKED),
    ("transform_eval", 'x = df.transform("ev" + "al", expr="close * 2")', LOCKED),
    ("pipe_through_agg", 'x = df.pipe(pd.DataFrame.agg, "ev" + "al", expr="close * 2")', LOCKED),
    ("pipe_by_name", 'x = df.pipe(("qu" + "ery", "expr"), "close > 0")', LOCKED),
    ("series_agg_np_load", 'x = close.agg("lo" + "ad", allow_pickle=True)', LOCKED),
    ("series_agg_writer", 'x = close.agg("to_" + "pick" + "le", params["folder"] + "/x.pkl")', LOCKED),
    ("series_agg_list", 'x = close.agg(["mean", "to_" + "csv"])', LOCKED),
    ("series_agg_dunder", 'x = close.agg("_" + "_class_" + "_")', LOCKED),
    ("agg_style_jinja", 's = df.agg("sty" + "le")\nt = s.env.from_string("{{ 7 * 7 }}").render()', LOCKED),
    ("agg_dict_value", 'x = df.agg({"close": "ev" + "al"})', LOCKED),
    ("agg_series_of_names", 'x = df.agg(pd.Series({"close": "qu" + "ery"}))', LOCKED),
    ("agg_generator", 'x = close.agg(n for n in ["ev" + "al"])', LOCKED),
    ("rolling_agg", 'x = close.rolling(5).agg(["mean", "pi" + "pe"])', LOCKED),
    ("ewm_agg", 'x = close.ewm(span=5).agg("ap" + "ply", lambda v: v)', LOCKED),
    ("expanding_agg", 'x = close.expanding().agg("to_" + "json")', LOCKED),
    ("groupby_named_agg", 'x = df.groupby(df.index.month).agg(n=("close", "ev" + "al"))', LOCKED),
    ("groupby_apply", 'x = df.groupby(df.index.month).apply("qu" + "ery", "close > 0")', LOCKED),
    ("resample_agg", 'x = df.resample("W").agg({"close": "ev" + "al"})', LOCKED),
    ("plot_backend_import", 'x = close.plot(backend="anti" + "gravity")', LOCKED),
    ("pandas_test_runs_files", 'x = pd.test(extra_args=[params["repo"] + "/tests/scanner"])', LOCKED),
    ("timezone_file_probe", 'x = pd.Timestamp("2024-01-02", tz="dateutil/" + params["canary"])', LOCKED),
    ("show_versions_writes", 'pd.show_versions(as_json=params["folder"] + "/versions.json")', LOCKED),
]

# The evaluators and file functions themselves, called with validation switched off: replaced in the worker.
NEUTRALISED = [
    ("pd_read_csv", 'x = pd.read_csv(params["canary"])', LOCKED),
    ("pd_io_parsers_read_csv", 'x = pd.io.parsers.read_csv(params["canary"])', LOCKED),
    ("pd_read_pickle", 'x = pd.read_pickle(params["canary"])', LOCKED),
    ("pd_read_fwf", 'x = pd.read_fwf(params["canary"])', LOCKED),
    ("pd_get_handle", 'x = pd.io.common.get_handle(params["canary"], "r")', LOCKED),
    ("pd_eval", 'x = pd.eval("1 + 1")', LOCKED),
    ("df_eval", 'x = df.eval("close * 2")', LOCKED),
    ("df_query", 'x = df.query("close > 0")', LOCKED),
    ("expression_engine", 'x = pd.core.computation.expr.Expr("1 + 1")', LOCKED),
    ("to_csv_path", 'df.to_csv(params["folder"] + "/x.csv")', LOCKED),
    ("to_csv_string", "x = df.to_csv()", LOCKED),
    ("to_pickle", 'close.to_pickle(params["folder"] + "/x.pkl")', LOCKED),
    ("to_json", "x = close.to_json()", LOCKED),
    ("to_string_path", 'df.to_string(params["folder"] + "/x.txt")', LOCKED),
    ("hdf_store", 'x = pd.HDFStore(params["folder"] + "/x.h5")', LOCKED),
    ("style", "x = df.style", LOCKED),
    ("np_load", 'x = np.load(params["canary"])', LOCKED),
    ("np_fromfile", 'x = np.fromfile(params["canary"], dtype="uint8")', LOCKED),
    ("np_loadtxt", 'x = np.loadtxt(params["canary"], dtype=str)', LOCKED),
    ("np_genfromtxt", 'x = np.genfromtxt(params["canary"], dtype=str)', LOCKED),
    ("np_rec_fromfile", 'x = np.rec.fromfile(params["canary"], formats="u1")', LOCKED),
    ("np_memmap", 'x = np.memmap(params["canary"], dtype="uint8", mode="r")', LOCKED),
    ("np_open_memmap", 'x = np.lib.format.open_memmap(params["canary"], mode="r")', LOCKED),
    ("np_datasource", 'x = np.lib.npyio.DataSource(None).open(params["canary"]).read()', LOCKED),
    ("np_save", 'np.save(params["folder"] + "/x.npy", close.values)', LOCKED),
    ("np_savetxt", 'np.savetxt(params["folder"] + "/x.txt", close.values)', LOCKED),
    # ndarray.dump imports its Python half from the scanner's frame: the import guard or the lockdown stops it.
    ("ndarray_dump", 'close.values.dump(params["folder"] + "/x.pkl")', LOCKED + "|ImportError: import of"),
    ("np_ctypeslib", 'x = np.ctypeslib.load_library("libc", "/lib")', LOCKED),
    ("np_ctypeslib_ctypes", "x = np.ctypeslib.ctypes.CDLL(None)", LOCKED),
    ("numpy_test", "x = np.test()", LOCKED),
    # A C method of an immutable type cannot be replaced. Called from scanner code it finds no `open` among the
    # scanner's builtins (SystemError); from anywhere else seccomp refuses opening for writing, RLIMIT_FSIZE is 0.
    (
        "ndarray_tofile",
        'close.values.tofile(params["folder"] + "/x.bin")',
        r"Permission denied|No such file|SystemError",
    ),
]


def _untouched(box: Sandbox, folder, canary, *outputs) -> None:
    assert canary.read_text() == CANARY_TEXT
    assert sorted(p.name for p in folder.iterdir()) == ["canary.txt"]
    for output in outputs:
        assert SECRET not in repr(output) and CANARY_TEXT not in repr(output)
    after = box.run("signal = close[-1] > 0\nmetrics = {'close': close[-1]}", [item()])[0]
    assert after.error is None and after.result["signal"] == "BUY", "the engine must survive"


def test_battery_is_large_enough():
    assert len(REJECTED) + len(STOPPED) + len(UNCHECKED) + len(DISPATCHED) + len(NEUTRALISED) >= 100


@pytest.mark.parametrize(("case", "code", "fragment"), REJECTED, ids=[c[0] for c in REJECTED])
def test_rejected_by_validation_with_line_and_column(hostile, case, code, fragment):
    box, folder, canary = hostile
    issues = validate(code)
    assert issues, f"{case} passed validation"
    assert all(i.line >= 1 and i.column >= 1 for i in issues)
    assert any(fragment in i.message for i in issues), [str(i) for i in issues]
    outcome = box.run(code, [item()])[0]  # the worker validates again before it runs anything
    assert outcome.result is None and outcome.error.startswith("rejected: line ")
    _untouched(box, folder, canary, outcome)


@pytest.mark.parametrize(("case", "code", "reason"), STOPPED, ids=[c[0] for c in STOPPED])
def test_stopped_at_run_time_with_a_reason(hostile, case, code, reason):
    box, folder, canary = hostile
    assert validate(code) == [], f"{case} should pass validation: it is stopped at run time"
    outcome = box.run(code, [item()])[0]
    assert outcome.result is None
    assert re.search(reason, outcome.error or ""), outcome.error
    _untouched(box, folder, canary, outcome)


@pytest.mark.parametrize(("case", "code", "reason"), UNCHECKED, ids=[c[0] for c in UNCHECKED])
def test_os_layer_holds_without_validation(hostile, case, code, reason):
    box, folder, canary = hostile
    params = {"canary": str(canary), "folder": str(folder), "repo": str(REPO_ROOT)}
    assert validate(PRELUDE + code), "these only run with validation switched off"
    outcome = box.run(PRELUDE + code, [item()], params, check=False)[0]
    assert outcome.result is None
    assert re.search(reason, outcome.error or ""), outcome.error
    _untouched(box, folder, canary, outcome)


def test_environment_and_filesystem_seen_from_inside(hostile):
    """What a scanner past the validator can see: a minimal environment and filesystem, no secret, no app."""
    box, folder, canary = hostile
    code = PRELUDE + (
        "signal = True\nmetrics = {'env': str(dict(OS['environ'])), 'root': str(OS['listdir']('/')),"
        " 'uid': OS['getuid'](), 'proc': OS['path'].exists('/proc/self')}"
    )
    outcome = box.run(code, [item()], check=False)[0]
    metrics = outcome.result["metrics"]
    assert "WHEELHOUSE_TEST_SECRET" not in metrics["env"] and "DATABASE_URL" not in metrics["env"]
    assert metrics["uid"] == 65534 and metrics["proc"] is False
    assert "work" not in metrics["root"] and "tmp" not in metrics["root"] and "etc" not in metrics["root"]
    assert box.facts["environment"] == sorted(
        ["HOME", "LANG", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PATH", "PWD"]
    )
    _untouched(box, folder, canary, outcome)


def test_huge_outputs_are_bounded(hostile):
    box, folder, canary = hostile
    code = (
        # far past every bound (50 columns, 200 characters, the output cap), yet cheap enough to finish well
        # inside the CPU limit on a loaded machine: the test is about the bounds, not the time limit
        "for i in range(2000):\n    AddColumn('c' + str(i), 'x' * 20000)\n"
        "Filter = True\nfor i in range(5000):\n    print('y' * 1000)"
    )
    outcome = box.run(code, [item()])[0]
    assert outcome.result["signal"] == "EXPLORE"
    assert len(outcome.result["metrics"]) <= 50
    assert all(len(v) <= 200 for v in outcome.result["metrics"].values())
    _untouched(box, folder, canary, outcome)


def test_a_scanner_that_keeps_breaking_limits_is_stopped_whole(hostile):
    box, folder, canary = hostile
    symbols = [item(f"S{i}", seed=i) for i in range(6)]
    outcomes = box.run("while True:\n    pass", symbols, batch_size=2)
    assert all(o.result is None for o in outcomes)
    stopped = [o for o in outcomes if o.error.startswith("stopped: ")]
    assert len(stopped) == TEST_LIMITS.max_kills
    assert all(o.error.startswith("not run: the scanner was stopped") for o in outcomes if o not in stopped)
    _untouched(box, folder, canary, *outcomes)


def _params(folder, canary) -> dict:
    return {"canary": str(canary), "folder": str(folder), "repo": str(REPO_ROOT)}


@pytest.mark.parametrize(("case", "code", "reason"), DISPATCHED, ids=[c[0] for c in DISPATCHED])
def test_string_dispatch_stopped_in_both_modes(either_mode, case, code, reason):
    box, folder, canary = either_mode
    assert validate(code) == [], f"{case} passes validation: the worker's lockdown has to stop it"
    outcome = box.run(code, [item()], _params(folder, canary))[0]
    assert outcome.result is None
    assert re.search(reason, outcome.error or ""), outcome.error
    _untouched(box, folder, canary, outcome)


@pytest.mark.parametrize(("case", "code", "reason"), NEUTRALISED, ids=[c[0] for c in NEUTRALISED])
def test_evaluators_and_file_functions_neutralised_in_both_modes(either_mode, case, code, reason):
    box, folder, canary = either_mode
    outcome = box.run(code, [item()], _params(folder, canary), check=False)[0]
    assert outcome.result is None
    assert re.search(reason, outcome.error or ""), outcome.error
    _untouched(box, folder, canary, outcome)


def test_reviewer_exploit_does_not_leak_in_degraded_mode(hostile_degraded):
    """The reported bypass, end to end, where nothing but the worker's own defences stand in the way."""
    box, folder, canary = hostile_degraded
    code = DISPATCHED[0][1]
    assert validate(code) == []
    for check in (True, False):  # the lockdown does not depend on validation
        outcome = box.run(code, [item()], _params(folder, canary), check=check)[0]
        assert outcome.result is None
        assert "PermissionError: DataFrame.agg('eval') is not available to scanners" in outcome.error
        _untouched(box, folder, canary, outcome)


def test_lockdown_is_in_place_in_both_modes(either_mode):
    box, _, _ = either_mode
    assert box.facts["lockdown"] >= 100  # what the worker replaced before its warm-up and first fork


def test_allowed_string_dispatch_still_works(either_mode):
    box, folder, canary = either_mode
    code = """
weekly = df.resample("W").agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
stats = df.agg(["sum", "mean"])
monthly = df.groupby(df.index.month).agg(top=("close", "max"), low=pd.NamedAgg("low", "min"))
signal = True
metrics = {"weeks": len(weekly), "mean": stats["close"]["mean"], "roll": close.rolling(5).agg("mean")[-1],
           "ewm": close.ewm(span=5).agg(["mean", "std"])["mean"][-1], "cum": close.transform("cumsum")[-1],
           "pipe": close.pipe(lambda s, n: s.shift(n), 1)[-1], "apply": df.apply(np.max)["high"],
           "months": len(monthly), "text": len(str(df.tail(3)))}
"""
    assert validate(code) == []
    outcome = box.run(code, [item()])[0]
    assert outcome.error is None, outcome.error
    metrics = outcome.result["metrics"]
    block = bars()
    assert metrics["mean"] == pytest.approx(block[4].mean()) and metrics["cum"] == pytest.approx(block[4].sum())
    assert metrics["roll"] == pytest.approx(block[4, -5:].mean()) and metrics["pipe"] == pytest.approx(block[4, -2])
    assert metrics["apply"] == pytest.approx(block[2].max()) and metrics["weeks"] >= 40 and metrics["months"] >= 10
    assert metrics["ewm"] > 0 and metrics["text"] > 0
    _untouched(box, folder, canary, outcome)
