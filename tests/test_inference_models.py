"""Every named model that decodes step by step gets its inference models from its builder, and they compute
exactly what the trained model computes: teacher-forced steps equal the full forward pass.

Parametrised over `list_models()`: a new named model is covered the moment its TOML file exists.
"""

import numpy as np
import pytest

import rnnzoo
from helpers import random_batch, tiny_overrides
from rnnzoo import RnnzooError
from rnnzoo.builders import inference_models
from rnnzoo.inference.decoding import CaptionDecoder, Seq2SeqDecoder
from rnnzoo.inference.sampling import StepModel


def full_prefix(tokens: np.ndarray) -> np.ndarray:
    """Token ids with padding replaced by a real id, so every step is fed a token."""
    return np.where(tokens > 0, tokens, 4).astype("int32")


def stepped_language_model(models, ids: np.ndarray) -> np.ndarray:
    step = StepModel(models.step)
    states, outputs = step.zero_states(len(ids)), []
    for t in range(ids.shape[1]):
        logits, states = step(ids[:, t:t + 1], states)
        outputs.append(logits[:, 0])
    return np.stack(outputs, axis=1)


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_inference_models_step_by_step_equal_the_trained_model(name):
    cfg = rnnzoo.load_config(name)
    overrides = tiny_overrides(cfg)
    cfg = rnnzoo.load_config(name, overrides)
    model = rnnzoo.build(name, compile=False, **overrides)
    m = cfg.model
    if cfg.io == "many_to_one" or (cfg.io == "aligned" and (m.bidirectional or m.input_type != "tokens")):
        with pytest.raises(RnnzooError, match="Received:"):
            inference_models(model, cfg)
        return
    models = inference_models(model, cfg)
    x, _ = random_batch(cfg, batch=3, length=5)
    if cfg.io == "seq2seq":
        x["target_in"] = full_prefix(x["target_in"])
        decoder = Seq2SeqDecoder(models.encoder, models.step, attention=m.attention != "none")
        stepped = decoder.teacher_forced_probabilities(x["source"], x["target_in"])
    elif cfg.io == "one_to_many":
        x["tokens"] = full_prefix(x["tokens"])
        stepped = CaptionDecoder(models.encoder, models.step).teacher_forced_probabilities(x["condition"], x["tokens"])
    else:  # a language model
        x = full_prefix(x)
        assert models.encoder is None
        stepped = stepped_language_model(models, x)
    np.testing.assert_allclose(stepped, np.asarray(model(x, training=False)), rtol=1e-4, atol=1e-5)
