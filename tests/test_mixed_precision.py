"""Mixed precision: the policy per device, float32 heads and losses, numerics close to float32."""

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo.builders import precision

TINY = {"units": 16, "embedding_dim": 8, "vocab_size": 30, "learning_rate": 1e-2}


def learnable_batch(seed=0, batch=32, length=10):
    """Right-padded token ids whose label is whether token 1 occurs: a few steps lower the loss."""
    rng = np.random.default_rng(seed)
    x = rng.integers(2, TINY["vocab_size"], size=(batch, length)).astype("int32")
    y = (rng.random(batch) < 0.5).astype("float32")
    x[y == 1, rng.integers(0, length // 2)] = 1
    for row, n in enumerate(rng.integers(length // 2, length + 1, size=batch)):
        x[row, n:] = 0
    return x, y[:, None]


def losses_after_steps(mixed: bool, steps: int = 8):
    keras.utils.set_random_seed(0)
    model = rnnzoo.build("sentiment_lstm", mixed_precision=mixed, **TINY)
    model.run_eagerly = True
    x, y = learnable_batch()
    return model, [float(model.train_on_batch(x, y, return_dict=True)["loss"]) for _ in range(steps)]


def test_mixed_precision_on_cpu_is_bfloat16_with_float32_head_and_loss():
    model, mixed = losses_after_steps(True)
    assert model.dtype_policy.name == "mixed_bfloat16"
    assert model.get_layer("lstm_1").compute_dtype == "bfloat16"
    assert model.get_layer("lstm_1").cell.kernel.dtype == "float32"  # variables stay float32
    assert model.get_layer("head").compute_dtype == "float32"
    assert model.output.dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"  # the global policy comes back after the build
    _, full = losses_after_steps(False)
    assert full[-1] < full[0] - 0.01  # the task is learnable, so the comparison below means something
    np.testing.assert_allclose(mixed, full, atol=0.02)


def test_float16_policy_scales_the_loss(monkeypatch):
    """What a GPU gets: mixed_float16 with Keras' LossScaleOptimizer, numerics still close to float32."""
    monkeypatch.setattr(precision, "mixed_policy_name", lambda: "mixed_float16")
    model, mixed = losses_after_steps(True, steps=4)
    assert model.get_layer("lstm_1").compute_dtype == "float16"
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    _, full = losses_after_steps(False, steps=4)
    np.testing.assert_allclose(mixed, full, atol=0.02)


def test_mixed_precision_must_be_a_bool():
    with pytest.raises(rnnzoo.ConfigError, match=r"train.mixed_precision` must be of type bool"):
        rnnzoo.load_config("sentiment_lstm", {"mixed_precision": "yes"})


def test_stateful_training_under_mixed_precision(tmp_path):
    corpus = tmp_path / "hello.txt"
    corpus.write_text("hello world\n" * 100, encoding="utf-8")
    run = rnnzoo.train("char_lstm", data_dir=corpus, out_dir=tmp_path / "run", epochs=1, verbose=0,
                       units=8, embedding_dim=4, num_layers=1, seq_length=8, batch_size=4,
                       stateful=True, mixed_precision=True)
    assert run.metrics["dtype_policy"] == "mixed_bfloat16"
    assert run.model.get_layer("lstm_1").compute_dtype == "bfloat16"
    assert run.model.output.dtype == "float32"
    assert np.isfinite(run.history[-1]["loss"]) and np.isfinite(run.metrics["val_nats_per_char_stream"])
    assert keras.config.dtype_policy().name == "float32"
