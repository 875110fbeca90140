"""Registers rnnzoo's Keras objects when Keras is imported, so that `import rnnzoo` stays cheap.

Keras finds the custom classes of a `.keras` file only in its registry, which
importing `rnnzoo.layers` fills; that import needs Keras (~4 s), too much for
`import rnnzoo`. So `install()` puts a one-shot finder on `sys.meta_path`: when
`import keras` finishes, it imports `rnnzoo.layers` (~30 ms more). Then
`import rnnzoo, keras; keras.saving.load_model("m.keras", safe_mode=True)`
works in a fresh process, in either import order. Keras has no plug-in hook of
its own (no entry points; only its own packages are imported by module name).
"""

from __future__ import annotations

import importlib
import sys


def register_layers() -> None:
    importlib.import_module("rnnzoo.layers")  # the import registers every custom Keras object


class _RegisterAfterKeras:
    """Wraps the loader of the top-level `keras` module: run it, then register rnnzoo's objects."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        for finder in sys.meta_path:
            spec = finder.find_spec(fullname, path, target) if finder is not self and hasattr(finder, "find_spec") \
                else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _ThenRegister(spec.loader)
        return spec


class _ThenRegister:
    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):  # everything but exec_module is the original loader's
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        module.__loader__ = module.__spec__.loader = self.loader  # leave no trace in the keras module
        # One shot, removed only now: a bare `importlib.util.find_spec("keras")` imports nothing.
        sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _RegisterAfterKeras)]
        register_layers()


def install() -> None:
    """Registers now if Keras is loaded already, else as soon as it is imported."""
    if "keras" in sys.modules:
        register_layers()
    elif not any(isinstance(finder, _RegisterAfterKeras) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterKeras())
