"""Registers rnnzoo's Keras objects when Keras is imported, so that `import rnnzoo` stays cheap.

Keras finds the custom classes of a `.keras` file only in its registry, which
importing `rnnzoo.layers` fills; that import needs Keras (~4 s), too much for
`import rnnzoo`. So `install()` waits for `import keras` to finish
(`rnnzoo._import_hooks`) and then imports `rnnzoo.layers` (~30 ms more). Then
`import rnnzoo, keras; keras.saving.load_model("m.keras", safe_mode=True)`
works in a fresh process, in either import order. Keras has no plug-in hook of
its own (no entry points; only its own packages are imported by module name).
"""

from __future__ import annotations

import importlib
import sys

from rnnzoo._import_hooks import around_import


def register_layers() -> None:
    importlib.import_module("rnnzoo.layers")  # the import registers every custom Keras object


def _then_register(run_keras) -> None:
    run_keras()
    register_layers()


def install() -> None:
    """Registers now if Keras is loaded already, else as soon as it is imported."""
    if "keras" in sys.modules:
        register_layers()
    else:
        around_import("keras", _then_register)
