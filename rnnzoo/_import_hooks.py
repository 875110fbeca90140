"""Code that runs around the first import of a top-level module, without importing it now.

Python has no post-import hook; this is the standard substitute: a one-shot
finder at the front of `sys.meta_path` that finds the module's real spec and
wraps its loader's `exec_module`. Used to register rnnzoo's Keras objects once
Keras is imported (`rnnzoo._registration`) and to keep TensorFlow's C++
start-up log lines off the command line (`rnnzoo.cli.quiet`).
"""

from __future__ import annotations

import sys
from typing import Callable


def around_import(name: str, wrapper: Callable[[Callable[[], None]], None]) -> None:
    """On the first `import name` (a top-level module not imported yet), calls `wrapper(run)`; `run()` executes it."""
    sys.meta_path.insert(0, _Finder(name, wrapper))


class _Finder:
    def __init__(self, name: str, wrapper: Callable[[Callable[[], None]], None]):
        self.name, self.wrapper = name, wrapper

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            spec = finder.find_spec(fullname, path, target) if finder is not self and hasattr(finder, "find_spec") \
                else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _Loader(spec.loader, self)
        return spec


class _Loader:
    def __init__(self, loader, finder: _Finder):
        self.loader, self.finder = loader, finder

    def __getattr__(self, name):  # everything but exec_module is the original loader's
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # One shot, removed only now: a bare `importlib.util.find_spec(name)` executes nothing.
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        module.__loader__ = module.__spec__.loader = self.loader  # leave no trace in the module
        self.finder.wrapper(lambda: self.loader.exec_module(module))
