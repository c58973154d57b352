"""Hostile scanners: each is rejected by validation or stopped at run time with a reason; nothing leaks.

Three groups. REJECTED: code the validator refuses, with a line and column; the worker re-validates and
refuses it again. STOPPED: code that passes validation but breaks a limit at run time (time, memory,
recursion). UNCHECKED: attacks sent with validation switched off (`check=False`), so only the operating-system
layer stands in the way -- namespaces, a filesystem without the app's files, an empty environment, rlimits and
seccomp. After every case the same worker still runs a good scanner, the canary file outside the sandbox is
unread and unchanged, nothing new appears beside it, and the secret in this process's environment never
shows up in any output.
"""

from __future__ import annotations

import os
import re

import pytest

from core.scanner.box.validate import validate
from core.scanner.sandbox import Sandbox
from tests.conftest import REPO_ROOT
from tests.scanner.conftest import TEST_LIMITS, item

SECRET = "wh-secret-7d1f0c9a"
CANARY_TEXT = "canary-content-do-not-read-51c2"

REJECTED = [
    ("subclasses", "x = ().__class__.__base__.__subclasses__()", "dunder attribute"),
    ("mro_walk", "x = close.mro()", ".mro"),
    ("generator_frame", "g = (i for i in [1])\nf = g.gi_frame.f_back.f_globals", ".gi_frame"),
    ("traceback_frame", "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    f = e.__traceback__.tb_frame",
     "dunder attribute"),
    ("with_traceback", "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    t = e.with_traceback(None)",
     ".with_traceback"),
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
PRELUDE = ("OS = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
           ".__init__.__globals__\nB = OS['sys'].modules['builtins']\nIMP = B.__import__\n")

UNCHECKED = [
    ("fork", "OS['fork']()", r"forbidden system call"),
    ("system", "OS['system']('id')", r"forbidden system call"),
    ("execv", "OS['execv']('/bin/sh', ['sh', '-c', 'id'])", r"forbidden system call|No such file"),
    ("subprocess", "IMP('subprocess').run(['id'])", r"forbidden system call|No such file"),
    ("socket", "IMP('socket').socket()", r"Operation not permitted"),
    ("http", "IMP('urllib.request', None, None, ['urlopen']).urlopen('http://127.0.0.1:5432/', timeout=1)",
     r"not permitted|refused|URL"),
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
    ("output_flood", "for fd in range(3, 12):\n    try:\n        OS['write'](fd, b'x' * 65536 * 4)\n"
                     "    except Exception:\n        pass\nfor i in range(5000):\n    OS['write'](3, b'y' * 65536)",
     r"malformed output|output limit"),
    ("nested_json_flood", "for fd in range(3, 12):\n    try:\n        OS['write'](fd, b'[' * 20000 + b'\\n')\n"
                          "    except Exception:\n        pass", r"malformed output"),
    ("forged_result", "line = b'{\"i\": 0, \"result\": {\"signal\": \"BUY\", \"metrics\": {\"x\": {\"y\": 1}}}}\\n'\n"
                      "for fd in range(3, 12):\n    try:\n        OS['write'](fd, line)\n    except Exception:\n"
                      "        pass\nOS['_exit'](0)", r"malformed result"),
]


@pytest.fixture(scope="module")
def hostile(sandbox_required, tmp_path_factory):
    """A worker started while this process holds a secret in its environment, and a canary beside it."""
    folder = tmp_path_factory.mktemp("outside")
    canary = folder / "canary.txt"
    canary.write_text(CANARY_TEXT)
    os.environ["WHEELHOUSE_TEST_SECRET"] = SECRET
    try:
        with Sandbox("required", limits=TEST_LIMITS, max_children=2) as box:
            yield box, folder, canary
    finally:
        os.environ.pop("WHEELHOUSE_TEST_SECRET", None)


def _untouched(box: Sandbox, folder, canary, *outputs) -> None:
    assert canary.read_text() == CANARY_TEXT
    assert sorted(p.name for p in folder.iterdir()) == ["canary.txt"]
    for output in outputs:
        assert SECRET not in repr(output) and CANARY_TEXT not in repr(output)
    after = box.run("signal = close[-1] > 0\nmetrics = {'close': close[-1]}", [item()])[0]
    assert after.error is None and after.result["signal"] == "BUY", "the engine must survive"


def test_battery_is_large_enough():
    assert len(REJECTED) + len(STOPPED) + len(UNCHECKED) >= 30


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
    code = PRELUDE + ("signal = True\nmetrics = {'env': str(dict(OS['environ'])), 'root': str(OS['listdir']('/')),"
                      " 'uid': OS['getuid'](), 'proc': OS['path'].exists('/proc/self')}")
    outcome = box.run(code, [item()], check=False)[0]
    metrics = outcome.result["metrics"]
    assert "WHEELHOUSE_TEST_SECRET" not in metrics["env"] and "DATABASE_URL" not in metrics["env"]
    assert metrics["uid"] == 65534 and metrics["proc"] is False
    assert "work" not in metrics["root"] and "tmp" not in metrics["root"] and "etc" not in metrics["root"]
    assert box.facts["environment"] == sorted(["HOME", "LANG", "MKL_NUM_THREADS", "OMP_NUM_THREADS",
                                               "OPENBLAS_NUM_THREADS", "PATH", "PWD"])
    _untouched(box, folder, canary, outcome)


def test_huge_outputs_are_bounded(hostile):
    box, folder, canary = hostile
    code = ("for i in range(100000):\n    AddColumn('c' + str(i), 'x' * 100000)\n"
            "Filter = True\nfor i in range(10000):\n    print('y' * 1000)")
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
