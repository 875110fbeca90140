"""Every named model builds, trains one step and predicts, on tiny shapes.

Parametrised over `list_models()`: a model is tested the moment its TOML
file exists.
"""

import numpy as np
import pytest

import rnnzoo
from helpers import random_batch, tiny_overrides


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_named_model_builds_trains_and_predicts(name):
    cfg = rnnzoo.load_config(name)
    overrides = tiny_overrides(cfg)
    cfg = rnnzoo.load_config(name, overrides)
    model = rnnzoo.build(name, **overrides)
    model.run_eagerly = True  # ~3x faster than tracing a graph for a tiny model
    x, y = random_batch(cfg)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert set(history.history) == {"loss", "accuracy" if cfg.model.output_activation != "linear" or cfg.io in ("one_to_many", "seq2seq") else "mae"}
    predictions = model.predict(x, verbose=0)
    assert np.all(np.isfinite(predictions))
    batch = 4
    if cfg.io == "many_to_one":
        assert predictions.shape == (batch, cfg.model.num_classes)
    elif cfg.io == "aligned":
        assert predictions.shape == (batch, 7, cfg.model.num_classes)
    else:
        assert predictions.shape == (batch, 7, cfg.model.target_vocab_size)
        np.testing.assert_allclose(predictions.sum(-1), 1.0, rtol=1e-4)


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_named_model_config_is_complete(name):
    cfg = rnnzoo.get_config(name)
    assert cfg["name"] == name
    assert cfg["description"], f"{name} needs a description"
    assert cfg["task"], f"{name} needs a task"
    assert cfg["io"] in ("many_to_one", "aligned", "one_to_many", "seq2seq")


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_recurrent_layers_and_head_have_stable_names(name):
    """Step models find trained weights by layer name, never by index."""
    cfg = rnnzoo.load_config(name)
    model = rnnzoo.build(name, compile=False, **tiny_overrides(cfg))
    names = {layer.name for layer in model.layers}
    m = cfg.model
    prefixes = ("encoder_", "decoder_") if cfg.io == "seq2seq" else ("decoder_",) if cfg.io == "one_to_many" else ("",)
    for prefix in prefixes:
        for index in range(1, m.num_layers + 1):
            assert f"{prefix}{m.cell}_{index}" in names
    assert "head" in names
    assert len(names) == len(model.layers)
