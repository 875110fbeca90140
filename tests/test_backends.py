"""Other Keras backends: building a model needs Keras alone, never TensorFlow.

The accelerator machines have JAX and PyTorch but no TensorFlow, so
`import rnnzoo` and `rnnzoo.build` must not import it; the TF-only parts
(text preprocessing layers, tf.data pipelines, SavedModel export, data
loaders) load it lazily. CI has TensorFlow only: there the first test checks
that no rnnzoo module on the build path imports TensorFlow itself (Keras'
TensorFlow backend of course does); the others run where JAX or torch is
installed and skip elsewhere.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(__file__)


def run_python(code: str, backend: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": HERE}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed")
def test_no_rnnzoo_module_on_the_build_path_imports_tensorflow():
    out = run_python("""
        import builtins, json, sys
        importers = set()
        original = builtins.__import__

        def watch(name, globals=None, *args, **kwargs):
            importer = (globals or {}).get("__name__", "")
            if name.split(".")[0] == "tensorflow" and importer.startswith("rnnzoo"):
                importers.add(importer)
            return original(name, globals, *args, **kwargs)

        builtins.__import__ = watch
        import rnnzoo
        import rnnzoo.cli.doctor
        for name in rnnzoo.list_models():
            rnnzoo.build(name)
        rnnzoo.build("char_lstm", mixed_precision=True)
        print(json.dumps(sorted(importers)))
    """, "tensorflow")
    # rnnzoo.devices lists devices with the active backend's own library (here TensorFlow, else jax or torch);
    # rnnzoo.layers registers its tf.strings text layers under the TensorFlow backend only.
    assert set(out) <= {"rnnzoo.devices", "rnnzoo.layers.text"}


BACKENDS = [pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None,
                                                         reason=f"{name} is not installed"))
            for name in ("jax", "torch")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_named_models_build_fit_and_predict_without_tensorflow(backend):
    out = run_python("""
        import json, sys
        import numpy as np
        import rnnzoo
        from helpers import random_batch, tiny_overrides

        results = {}
        for name in ("sentiment_bilstm", "char_lstm"):
            overrides = tiny_overrides(rnnzoo.load_config(name))
            cfg = rnnzoo.load_config(name, overrides)
            model = rnnzoo.build(name, **overrides)
            x, y = random_batch(cfg)
            loss = model.fit(x, y, batch_size=4, epochs=1, verbose=0).history["loss"][0]
            predictions = model.predict(x, verbose=0)
            results[name] = [float(loss), bool(np.all(np.isfinite(predictions))), list(predictions.shape)]
        print(json.dumps({"results": results, "tensorflow": "tensorflow" in sys.modules}))
    """, backend)
    assert out["tensorflow"] is False
    for name, (loss, finite, shape) in out["results"].items():
        assert finite and loss == loss, name
    assert out["results"]["sentiment_bilstm"][2] == [4, 1]
    assert out["results"]["char_lstm"][2][:2] == [4, 7]


@pytest.mark.parametrize("backend", BACKENDS)
def test_strategies_need_the_tensorflow_backend(backend):
    out = run_python("""
        import json, rnnzoo
        from rnnzoo.training import distribute
        try:
            distribute.make_strategy("mirrored")
        except rnnzoo.ConfigError as err:
            print(json.dumps(str(err)))
    """, backend)
    assert "needs KERAS_BACKEND=tensorflow" in out
