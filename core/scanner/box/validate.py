"""Allow-list validation of scanner source: every problem with its line and column, before anything runs.

This is the first layer, not the boundary (the namespace views and the operating-system sandbox are,
docs/sandbox.md): it turns the obvious attacks and mistakes into a clear message at save time instead of an
error at run time. Rules: only allow-listed syntax; imports only of the modules and names box/allowlist.py lists;
no name or attribute starting with an underscore; none of
the builtins that evaluate, import, open or reach objects by name, as a name or as an attribute; none of the
attributes that read or write files, evaluate strings or lead to frames, code objects, modules or the
environment; no string constant, of any length, that names one of those (pandas dispatches `apply("to_csv")` by
name) or holds a dunder; `.format`/`.format_map` only called directly on a literal without attribute or index
fields, never taken as a value (`fmt = str.format`). There are no exemptions by path. The worker re-runs this
check before every execution.
"""

from __future__ import annotations

import ast
import re
import string
from dataclasses import dataclass

from . import allowlist

MAX_SOURCE_CHARS = 100_000
MAX_NODES = 20_000

ALLOWED_MODULES = frozenset(p for p in allowlist.MODULES if "." not in p)
FORMAT_METHODS = ("format", "format_map")

FORBIDDEN_NAMES = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "globals",
        "locals",
        "vars",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "breakpoint",
        "input",
        "help",
        "memoryview",
        "exit",
        "quit",
        "copyright",
        "credits",
        "license",
        "dir",
        "type",
        "object",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "reload",
        "bytearray",
        "ctypes",
        "os",
        "sys",
        "subprocess",
        "builtins",
        "importlib",
    }
)
# `open` is not here: the contract binds it to the open-price Series, which shadows the builtin (also absent).

FORBIDDEN_ATTRIBUTES = frozenset(
    {
        # frames, code objects and other ways back into the interpreter
        "gi_frame",
        "gi_code",
        "gi_yieldfrom",
        "gi_running",
        "cr_frame",
        "cr_code",
        "cr_await",
        "ag_frame",
        "ag_code",
        "ag_await",
        "f_back",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_code",
        "f_trace",
        "f_lasti",
        "tb_frame",
        "tb_next",
        "tb_lasti",
        "co_code",
        "co_consts",
        "co_names",
        "func_globals",
        "func_code",
        "im_func",
        "im_self",
        "mro",
        "with_traceback",
        "attrgetter",
        "methodcaller",
        "itemgetter",
        # modules reached through other modules (pd.io.common.os, np.ctypeslib.ctypes, ...)
        "os",
        "sys",
        "subprocess",
        "io",
        "ctypes",
        "ctypeslib",
        "builtins",
        "importlib",
        "pickle",
        "marshal",
        "shutil",
        "socket",
        "posix",
        "signal",
        "threading",
        "multiprocessing",
        "tempfile",
        "pathlib",
        "glob",
        "inspect",
        "gc",
        "code",
        "codeop",
        "types",
        "weakref",
        "operator",
        "functools",
        "core",
        "compat",
        "util",
        "testing",
        "f2py",
        "distutils",
        "api",
        "plotting",
        "abstract",
        "stream",
        "config",
        "linecache",
        "runpy",
        "zipimport",
        "resource",
        "mmap",
        "platform",
        "warnings",
        # evaluating strings, running programs, the environment
        "eval",
        "exec",
        "query",
        "compile",
        "system",
        "popen",
        "spawn",
        "fork",
        "forkpty",
        "execv",
        "execve",
        "environ",
        "environb",
        "getenv",
        "putenv",
        "unsetenv",
        "set_option",
        "option_context",
        "options",
        "register_dataframe_accessor",
        "register_series_accessor",
        "register_index_accessor",
        # files
        "load",
        "loads",
        "save",
        "savez",
        "savez_compressed",
        "savetxt",
        "loadtxt",
        "genfromtxt",
        "fromfile",
        "tofile",
        "memmap",
        "open_memmap",
        "fromregex",
        "DataSource",
        "HDFStore",
        "ExcelFile",
        "ExcelWriter",
        "dump",
        "dumps",
        "open",
        "read",
        "readline",
        "readlines",
        "write",
        "writelines",
        "to_csv",
        "to_pickle",
        "to_parquet",
        "to_excel",
        "to_hdf",
        "to_feather",
        "to_sql",
        "to_stata",
        "to_orc",
        "to_clipboard",
        "to_json",
        "to_html",
        "to_xml",
        "to_latex",
        "to_markdown",
        "to_gbq",
        "to_string",
        "style",
        # ways back to the builtins module (enum's `bltns`, `f_builtins`) and the reflective builtins themselves
        "bltns",
        *FORBIDDEN_NAMES,
    }
)
FORBIDDEN_ATTRIBUTE_PREFIXES = ("_", "read_", "spawn", "exec")
_INTERNALS = frozenset(
    a
    for a in FORBIDDEN_ATTRIBUTES
    if a[:3] in ("gi_", "cr_", "ag_", "f_b", "f_g", "f_l", "f_c", "f_t", "tb_", "co_", "fun", "im_")
)
# Strings pandas and NumPy may resolve to attributes (`df.apply("to_csv")`, `np.vectorize`-free dispatch):
# a string constant equal to one of these is rejected. Ordinary words ("signal", "options") stay usable.
FORBIDDEN_STRINGS = (
    frozenset(
        {
            "eval",
            "exec",
            "query",
            "compile",
            "system",
            "popen",
            "fork",
            "environ",
            "getenv",
            "putenv",
            "mro",
            "os",
            "sys",
            "subprocess",
            "ctypes",
            "ctypeslib",
            "builtins",
            "importlib",
            "pickle",
            "marshal",
            "socket",
            "shutil",
            "load",
            "loads",
            "save",
            "savez",
            "savez_compressed",
            "savetxt",
            "loadtxt",
            "genfromtxt",
            "fromfile",
            "tofile",
            "memmap",
            "dump",
            "dumps",
            "attrgetter",
            "methodcaller",
        }
    )
    | _INTERNALS
    | frozenset(a for a in FORBIDDEN_ATTRIBUTES if a.startswith("to_"))
)

# Statements and expressions a scanner may use; anything else (class, async, match, global-free tricks) is out.
ALLOWED_NODES = frozenset(
    {
        ast.Module,
        ast.Expr,
        ast.Assign,
        ast.AugAssign,
        ast.AnnAssign,
        ast.For,
        ast.While,
        ast.If,
        ast.With,
        ast.withitem,
        ast.Break,
        ast.Continue,
        ast.Pass,
        ast.Return,
        ast.FunctionDef,
        ast.Lambda,
        ast.Try,
        ast.ExceptHandler,
        ast.Raise,
        ast.Assert,
        ast.Delete,
        ast.Import,
        ast.ImportFrom,
        ast.alias,
        ast.Global,
        ast.Nonlocal,
        ast.Yield,
        ast.YieldFrom,
        ast.BoolOp,
        ast.BinOp,
        ast.UnaryOp,
        ast.Compare,
        ast.IfExp,
        ast.Call,
        ast.keyword,
        ast.Attribute,
        ast.Subscript,
        ast.Slice,
        ast.Starred,
        ast.Name,
        ast.Constant,
        ast.List,
        ast.Tuple,
        ast.Set,
        ast.Dict,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.GeneratorExp,
        ast.comprehension,
        ast.JoinedStr,
        ast.FormattedValue,
        ast.NamedExpr,
        ast.arguments,
        ast.arg,
        ast.Load,
        ast.Store,
        ast.Del,
        ast.And,
        ast.Or,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.MatMult,
        ast.Div,
        ast.Mod,
        ast.Pow,
        ast.LShift,
        ast.RShift,
        ast.BitOr,
        ast.BitXor,
        ast.BitAnd,
        ast.FloorDiv,
        ast.Invert,
        ast.Not,
        ast.UAdd,
        ast.USub,
        ast.Eq,
        ast.NotEq,
        ast.Lt,
        ast.LtE,
        ast.Gt,
        ast.GtE,
        ast.Is,
        ast.IsNot,
        ast.In,
        ast.NotIn,
    }
)
NODE_NAMES = {
    ast.ClassDef: "class definitions",
    ast.AsyncFunctionDef: "async functions",
    ast.Await: "await",
    ast.AsyncFor: "async for",
    ast.AsyncWith: "async with",
    ast.Match: "match statements",
}

_DUNDER = re.compile(r"__\w+__")


@dataclass(frozen=True, order=True)
class Issue:
    """One reason the code is rejected; `line` and `column` are 1-based, as editors count."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


def validate(source: str) -> list[Issue]:
    """Every problem with `source`, in line order; an empty list means it may run."""
    if not isinstance(source, str):
        return [Issue(1, 1, "scanner code must be text")]
    if len(source) > MAX_SOURCE_CHARS:
        return [Issue(1, 1, f"scanner code is longer than {MAX_SOURCE_CHARS:,} characters")]
    try:
        tree = ast.parse(source, filename="<scanner>", mode="exec")
    except SyntaxError as exc:
        return [Issue(exc.lineno or 1, exc.offset or 1, f"syntax error: {exc.msg}")]
    except (ValueError, RecursionError, MemoryError) as exc:
        return [Issue(1, 1, f"cannot parse the code: {type(exc).__name__}: {exc}")]
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        return [Issue(1, 1, f"scanner code is too large ({len(nodes):,} syntax nodes; at most {MAX_NODES:,})")]
    checker = _Checker(nodes)
    for node in nodes:
        checker.check(node)
    return sorted(set(checker.issues))


def names_used(source: str) -> frozenset[str]:
    """Every identifier the code reads (for deciding which data a scanner needs); empty when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name)) | frozenset(
        n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
    )


def forbidden_attribute(name: str) -> bool:
    return name in FORBIDDEN_ATTRIBUTES or name.startswith(FORBIDDEN_ATTRIBUTE_PREFIXES)


def module_allowed(path: str) -> bool:
    """Whether `import path` is allowed: the module has a view (box/allowlist.py)."""
    return allowlist.importable(path)


class _Checker:
    def __init__(self, nodes: list[ast.AST]) -> None:
        self.issues: list[Issue] = []
        # `.format` is fine only as the function of a call (on a literal, checked in _Call), never as a value.
        self.format_calls = {
            id(n.func)
            for n in nodes
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in FORMAT_METHODS
        }

    def fail(self, node: ast.AST, message: str) -> None:
        self.issues.append(Issue(getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1, message))

    def check(self, node: ast.AST) -> None:
        kind = type(node)
        if kind not in ALLOWED_NODES:
            what = NODE_NAMES.get(kind, f"'{kind.__name__}' syntax")
            self.fail(node, f"{what} not allowed in a scanner")
            return
        method = getattr(self, f"_{kind.__name__}", None)
        if method is not None:
            method(node)

    def _Name(self, node: ast.Name) -> None:
        if node.id.startswith("__"):
            self.fail(node, f"name '{node.id}' is not allowed (double-underscore names reach interpreter internals)")
        elif node.id in FORBIDDEN_NAMES:
            self.fail(node, f"'{node.id}' is not allowed in a scanner")

    def _Attribute(self, node: ast.Attribute) -> None:
        # Point at the attribute's name, not at the start of the expression it hangs off.
        at = ast.Name(lineno=node.end_lineno, col_offset=max((node.end_col_offset or 0) - len(node.attr), 0))
        if node.attr.startswith("__"):
            self.fail(at, f"dunder attribute '.{node.attr}' is not allowed")
        elif node.attr.startswith("_"):
            self.fail(at, f"private attribute '.{node.attr}' is not allowed")
        elif forbidden_attribute(node.attr):
            self.fail(
                at,
                f"attribute '.{node.attr}' is not allowed (files, code evaluation, modules or interpreter internals)",
            )
        elif node.attr in FORMAT_METHODS and id(node) not in self.format_calls:
            self.fail(at, f"'.{node.attr}' is only allowed called directly on a string literal (use an f-string)")

    def _FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name.startswith("__") or node.name in FORBIDDEN_NAMES:
            self.fail(node, f"function name '{node.name}' is not allowed")
        if node.decorator_list:
            self.fail(node.decorator_list[0], "decorators are not allowed in a scanner")

    def _arg(self, node: ast.arg) -> None:
        if node.arg.startswith("__"):
            self.fail(node, f"argument name '{node.arg}' is not allowed")

    def _keyword(self, node: ast.keyword) -> None:
        if node.arg is not None and node.arg.startswith("__"):
            self.fail(node, f"keyword '{node.arg}' is not allowed")

    def _Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not module_allowed(alias.name):
                self.fail(node, f"import of '{alias.name}' is not allowed (only {_allowed_list()})")
            self._alias_name(node, alias)

    def _ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not module_allowed(module):
            self.fail(node, f"import from '{'.' * node.level}{module}' is not allowed (only {_allowed_list()})")
            return
        for alias in node.names:
            if alias.name == "*":
                self.fail(node, "'import *' is not allowed: name what you use")
            elif not allowlist.exposes(module, alias.name) and not module_allowed(f"{module}.{alias.name}"):
                self.fail(node, f"'{alias.name}' from '{module}' is not allowed")
            elif alias.name in FORBIDDEN_NAMES:
                self.fail(node, f"'{alias.name}' is not allowed in a scanner")
            self._alias_name(node, alias)

    def _alias_name(self, node: ast.AST, alias: ast.alias) -> None:
        if alias.asname and (alias.asname.startswith("__") or alias.asname in FORBIDDEN_NAMES):
            self.fail(node, f"'as {alias.asname}' is not allowed")

    def _Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bytes):
            self.fail(node, "bytes literals are not allowed in a scanner")
        elif isinstance(node.value, str):  # every constant, whatever its length
            text = node.value.strip()
            if _DUNDER.search(text):
                self.fail(node, "strings holding dunder names are not allowed")
            elif text in FORBIDDEN_STRINGS or text in FORBIDDEN_NAMES or text.startswith(("read_", "__")):
                self.fail(node, f"the string '{text}' names something a scanner may not use")

    def _Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("format", "format_map"):
            receiver = func.value
            if not (isinstance(receiver, ast.Constant) and isinstance(receiver.value, str)):
                self.fail(node, f"'.{func.attr}()' is only allowed on a string literal (use an f-string)")
            elif not _plain_format(receiver.value):
                self.fail(node, "format fields with attribute or index access ('{0.x}', '{0[x]}') are not allowed")


def _plain_format(template: str) -> bool:
    try:
        fields = [f for _, f, spec, _ in string.Formatter().parse(template) if f is not None]
        specs = [spec for _, f, spec, _ in string.Formatter().parse(template) if spec]
    except ValueError:
        return False
    return not any("." in f or "[" in f for f in fields) and not any("{" in s for s in specs)


def _allowed_list() -> str:
    return ", ".join(sorted(ALLOWED_MODULES))
