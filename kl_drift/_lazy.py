"""pandas imported on first use, and the accessors registered whenever pandas arrives.

`kl-drift compare` on Parquet files never builds a DataFrame: Arrow batches are counted
and the counts scored. Importing pandas costs about half a second of CPU, more than the
whole comparison of a million rows, so modules on that path refer to pandas through
`pandas` below, which imports the real module at its first attribute lookup.

`import kl_drift` registers the ``.kl_drift`` accessors. When pandas is already loaded
they are registered at once; otherwise `when_imported` registers them right after pandas
finishes importing, so ``df.kl_drift`` works whichever of the two a program imports first.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["LazyModule", "pandas", "when_imported"]


class LazyModule:
    """A module imported at the first attribute looked up on this object.

    Each attribute, once looked up, is kept on the object, so later lookups cost what a
    module attribute costs.

    Examples
    --------
    >>> json = LazyModule("json")
    >>> json.dumps([1])
    '[1]'
    """

    def __init__(self, name: str) -> None:
        self._module_name = name

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(importlib.import_module(self._module_name), attribute)
        setattr(self, attribute, value)
        return value

    def __repr__(self) -> str:
        return f"<LazyModule {self._module_name!r}>"


pandas: Any = LazyModule("pandas")


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader the other finders return for one module name."""

    def __init__(self, name: str, callback: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.callback = callback
        self.lock = threading.Lock()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        with self.lock:
            if self not in sys.meta_path:
                return None
            sys.meta_path.remove(self)
        spec = None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module
        callback = self.callback

        def exec_module(module: ModuleType) -> None:
            run(module)
            callback(module)

        # Only this spec's own loader object is changed (FileFinder makes one per spec).
        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def when_imported(name: str, callback: Callable[[ModuleType], None]) -> None:
    """Call `callback(module)` once the top-level module `name` is imported: now if it is
    loaded already, else right after its import finishes."""
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    sys.meta_path.insert(0, _AfterImport(name, callback))
