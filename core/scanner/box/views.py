"""Read-only views of the modules a scanner sees: only the attributes box/allowlist.py names, nothing to assign.

A view is not a module and holds no reference a scanner can follow back to one: attribute access looks the name
up in the view's own fixed table (allow-listed functions, classes, constants and the views of allowed
submodules) and refuses everything else, dunders included (but `__class__`, for isinstance) -- so no
`__dict__`, no `__name__` for the import machinery to fall back on `sys.modules` with. A name the real module
has but the view withholds raises PermissionError ("numpy.info is not available to scanners"); a name neither
has raises AttributeError.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

from . import allowlist


class ModuleView:
    """A module as a scanner sees it (`np`, `pd`, `math`, ...): a fixed table of allowed names, read-only."""

    __slots__ = ("_view_path", "_view_names", "_view_withheld")

    def __init__(self, path: str, names: dict[str, Any], withheld: Iterable[str] = ()) -> None:
        object.__setattr__(self, "_view_path", path)
        object.__setattr__(self, "_view_names", MappingProxyType(dict(names)))
        object.__setattr__(self, "_view_withheld", frozenset(withheld))

    def __getattribute__(self, name: str) -> Any:
        names = object.__getattribute__(self, "_view_names")
        if name in names:
            return names[name]
        if name == "__class__":  # isinstance() and ABCs ask; the class leads nowhere a dunder-free scanner can go
            return ModuleView
        path = object.__getattribute__(self, "_view_path")
        if name in object.__getattribute__(self, "_view_withheld"):
            raise PermissionError(f"{path}.{name} is not available to scanners (docs/scanners.md lists what is)")
        raise AttributeError(f"module '{path}' has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"'{object.__getattribute__(self, '_view_path')}' is read-only in a scanner")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"'{object.__getattribute__(self, '_view_path')}' is read-only in a scanner")

    def __repr__(self) -> str:
        return f"<module '{object.__getattribute__(self, '_view_path')}' (scanner view)>"

    def __dir__(self) -> list[str]:
        return sorted(object.__getattribute__(self, "_view_names"))

    def __reduce__(self):
        raise TypeError("module views cannot be copied or pickled")


def view_names(view: ModuleView) -> dict[str, Any]:
    """The table behind a view (for tests and documentation; scanners cannot reach this function)."""
    return dict(object.__getattribute__(view, "_view_names"))


def build(talib_functions: Any) -> dict[str, ModuleView]:
    """A view for every path in allowlist.MODULES; `talib_functions` is box.series.TALIB (the wrapped functions)."""
    views: dict[str, ModuleView] = {}
    for path in sorted(allowlist.MODULES, key=lambda p: -p.count(".")):  # submodules first: parents hold them
        if path == "talib":
            names = {n: getattr(talib_functions, n) for n in vars(talib_functions)}
            views[path] = ModuleView(path, _checked(path, names), withheld=("abstract", "stream", "func"))
            continue
        real = importlib.import_module(allowlist.REAL_MODULE.get(path, path))
        names = {}
        for name in allowlist.MODULES[path]:
            child = f"{path}.{name}"
            if child in allowlist.MODULES:
                names[name] = views[child]
            elif name in vars(real) or hasattr(real, name):
                names[name] = getattr(real, name)
        withheld = {n for n in dir(real) if not n.startswith("_") and n not in names}
        views[path] = ModuleView(path, _checked(path, names), withheld)
    return views


def _checked(path: str, names: dict[str, Any]) -> dict[str, Any]:
    """Refuse to build a view that would hand out a real module (an allow-list mistake, or a library change)."""
    for name, value in names.items():
        if isinstance(value, types.ModuleType):
            raise RuntimeError(f"the view of {path} would expose the module {name}: list it as a module of its own")
    return names
