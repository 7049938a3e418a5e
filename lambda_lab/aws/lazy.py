"""Patches of a moto service applied when that service is first imported, not before.

moto imports a service's modules on its first request (``moto.backend_index``); some are slow
to import (``moto.apigateway`` pulls in an OpenAPI validator: seconds), so a session that
patched every service up front would make every ``mock_aws()`` pay for services it never uses.
:class:`LazyPatches` starts a service's patches at once if the module is already imported, and
otherwise right after the import that first loads it (an import hook), then stops them all
together.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["LazyPatches"]

#: A function that builds a service's patches (``mock.patch.object`` objects, not started).
Factory = Callable[[], Sequence[Any]]


class _Finder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of a watched module so that its patches start
    right after the module has executed."""

    def __init__(self, owner: LazyPatches) -> None:
        self.owner = owner

    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None) -> Any:
        if fullname not in self.owner._pending:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        loader, owner = spec.loader, self.owner

        class _Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> ModuleType | None:
                return loader.create_module(spec)

            def exec_module(self, module: ModuleType) -> None:
                loader.exec_module(module)  # type: ignore[union-attr]
                sys.modules[fullname] = module  # the patches may import their own module
                owner._loaded(fullname)

        spec.loader = _Loader()
        return spec


class LazyPatches:
    """Patches per module, each set started when its module is (or already was) imported."""

    def __init__(self) -> None:
        self._pending: dict[str, list[Factory]] = {}
        self._started: list[Any] = []
        self._lock = threading.RLock()
        self._finder: _Finder | None = None

    def when_imported(self, module: str, factory: Factory) -> None:
        """Start ``factory()``'s patches once ``module`` is imported (now, if it is)."""
        with self._lock:
            if module in sys.modules:
                self._start(factory)
                return
            self._pending.setdefault(module, []).append(factory)
            if self._finder is None:
                self._finder = _Finder(self)
                sys.meta_path.insert(0, self._finder)

    def _loaded(self, module: str) -> None:
        with self._lock:
            for factory in self._pending.pop(module, []):
                self._start(factory)

    def _start(self, factory: Factory) -> None:
        for patch in factory():
            patch.start()
            self._started.append(patch)

    def stop(self) -> None:
        """Stop every started patch and forget the pending ones."""
        with self._lock:
            if self._finder is not None:
                try:
                    sys.meta_path.remove(self._finder)
                except ValueError:
                    pass
                self._finder = None
            self._pending.clear()
            while self._started:
                self._started.pop().stop()
