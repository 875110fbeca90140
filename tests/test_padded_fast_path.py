"""rnnzoo's LSTM/GRU fast path for right-padded masks gives Keras' masked results.

The path is used on torch with a GPU (whose cuDNN kernel takes no mask). Each test switches it off, then on, for the running backend, so the default CI
step compares it with Keras' masked loop under TensorFlow, and the torch CI
step under torch: outputs at every step, the last output, forward, backward
and Bidirectional, rows of every length including none. A mask that is not
right-padded must fall back to Keras' loop.
"""

import keras
import numpy as np
import pytest

from rnnzoo import layers as zoo_layers
from rnnzoo.layers import reverse_within_length


def test_reverse_within_length_leaves_padding_in_place():
    x = np.arange(2 * 5, dtype="float32").reshape(2, 5, 1)
    out = keras.ops.convert_to_numpy(reverse_within_length(x, np.array([3, 0], dtype="int32")))
    assert out[0, :, 0].tolist() == [2, 1, 0, 3, 4]
    assert out[1, :, 0].tolist() == [5, 6, 7, 8, 9]


def use_fast_path(monkeypatch, on: bool) -> None:
    monkeypatch.setattr(zoo_layers.RightPaddedFastPath, "forced", on)


def build(cell, *, bidirectional, return_sequences, go_backwards=False, zero_output_for_mask=False):
    layer_class = {"lstm": zoo_layers.LSTM, "gru": zoo_layers.GRU}[cell]
    rnn = layer_class(6, return_sequences=return_sequences, go_backwards=go_backwards,
                      zero_output_for_mask=zero_output_for_mask)
    inputs = keras.Input((None, 4))
    masked = keras.layers.Masking(0.0)(inputs)
    outputs = (keras.layers.Bidirectional(rnn) if bidirectional else rnn)(masked)
    return keras.Model(inputs, outputs)


def padded_batch(lengths, steps=7, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(lengths), steps, 4)).astype("float32")
    for row, n in enumerate(lengths):
        x[row, n:] = 0.0
    return x


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional,go_backwards", [(False, False), (False, True), (True, False)])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_fast_path_matches_keras_masked_loop(monkeypatch, cell, bidirectional, go_backwards, return_sequences,
                                             zero_output_for_mask):
    keras.utils.set_random_seed(1)
    model = build(cell, bidirectional=bidirectional, return_sequences=return_sequences, go_backwards=go_backwards,
                  zero_output_for_mask=zero_output_for_mask)
    x = padded_batch([7, 3, 1, 0, 5])
    use_fast_path(monkeypatch, False)
    reference = keras.ops.convert_to_numpy(model(x))
    use_fast_path(monkeypatch, True)
    calls = []
    original = zoo_layers.RightPaddedFastPath._unmasked_loop
    monkeypatch.setattr(zoo_layers.RightPaddedFastPath, "_unmasked_loop",
                        lambda self, *args: calls.append(1) or original(self, *args))
    fast = keras.ops.convert_to_numpy(model(x))
    assert calls, "the fast path did not run"
    np.testing.assert_allclose(fast, reference, atol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_fast_path_matches_keras_with_an_initial_state(monkeypatch, cell, go_backwards, return_sequences,
                                                       zero_output_for_mask):
    # Keras holds zeros, never the initial state, as the output of a row before its first real step: rows with
    # no real step, and the padded steps a backward layer meets first. The fast path used to write the state
    # there (issue 16, point 9). The layer is called directly: that is how a user passes a mask with a state.
    keras.utils.set_random_seed(3)
    layer = {"lstm": zoo_layers.LSTM, "gru": zoo_layers.GRU}[cell](
        6, return_sequences=return_sequences, go_backwards=go_backwards, zero_output_for_mask=zero_output_for_mask)
    lengths = [7, 3, 0, 5, 0]
    x = padded_batch(lengths)
    mask = np.arange(7)[None, :] < np.array(lengths)[:, None]
    rng = np.random.default_rng(4)
    states = [rng.normal(size=(len(x), 6)).astype("float32") for _ in range(2 if cell == "lstm" else 1)]
    use_fast_path(monkeypatch, False)
    reference = keras.ops.convert_to_numpy(layer(x, mask=mask, initial_state=states))
    use_fast_path(monkeypatch, True)
    calls = []
    original = zoo_layers.RightPaddedFastPath._unmasked_loop
    monkeypatch.setattr(zoo_layers.RightPaddedFastPath, "_unmasked_loop",
                        lambda self, *args: calls.append(1) or original(self, *args))
    fast = keras.ops.convert_to_numpy(layer(x, mask=mask, initial_state=states))
    assert calls, "the fast path did not run"
    np.testing.assert_allclose(fast, reference, atol=1e-5)


def test_a_mask_with_a_hole_takes_keras_loop(monkeypatch):
    keras.utils.set_random_seed(2)
    model = build("lstm", bidirectional=True, return_sequences=True)
    x = padded_batch([7, 6])
    x[0, 2] = 0.0  # a masked step inside the row: not right-padded
    use_fast_path(monkeypatch, False)
    reference = keras.ops.convert_to_numpy(model(x))
    use_fast_path(monkeypatch, True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), reference, atol=1e-6)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="uses tf.GradientTape")
def test_gradients_match(monkeypatch):
    import tensorflow as tf

    keras.utils.set_random_seed(3)
    model = build("gru", bidirectional=True, return_sequences=False)
    x = padded_batch([7, 2, 4])

    def gradients():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x) ** 2)
        return [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]

    use_fast_path(monkeypatch, False)
    reference = gradients()
    use_fast_path(monkeypatch, True)
    for fast, ref in zip(gradients(), reference):
        np.testing.assert_allclose(fast, ref, atol=1e-5)


@pytest.mark.parametrize("name, overrides", [
    ("sentiment_bilstm", {}),
    ("sentiment_gru", {"pooling": "last"}),
    ("tagger_bigru", {"num_classes": 3, "char_embedding_dim": 0, "tag_feature_dim": 0}),
    ("char_lstm", {}),
])
def test_named_models_give_the_same_outputs_on_either_path(monkeypatch, name, overrides):
    import rnnzoo

    small = {"vocab_size": 30, "embedding_dim": 4, "units": 5, **overrides}
    model = rnnzoo.build(name, compile=False, **small)
    rng = np.random.default_rng(4)
    x = rng.integers(1, 30, size=(4, 9)).astype("int32")
    for row, n in enumerate([9, 4, 1, 6]):
        x[row, n:] = 0
    use_fast_path(monkeypatch, False)
    reference = keras.ops.convert_to_numpy(model(x, training=False))
    use_fast_path(monkeypatch, True)
    calls = []
    original = zoo_layers.RightPaddedFastPath._unmasked_loop
    monkeypatch.setattr(zoo_layers.RightPaddedFastPath, "_unmasked_loop",
                        lambda self, *args: calls.append(1) or original(self, *args))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x, training=False)), reference, atol=1e-5)
    directions = sum(2 if isinstance(layer, keras.layers.Bidirectional) else 1 for layer in model.layers
                     if isinstance(getattr(layer, "forward_layer", layer), zoo_layers.RightPaddedFastPath))
    assert directions and len(calls) == directions, "the right-padded path did not run in every recurrent layer"
