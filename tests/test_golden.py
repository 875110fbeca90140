"""Golden values: rnnzoo's recurrent stacks compute the textbook equations.

A numpy implementation of each cell's equations (the RNN lecture's
`h_t = tanh(W_xh x_t + W_hh h_{t-1} + b)`, the LSTM and GRU gates in Keras'
weight layout) is run on the same weights and compared with the model,
including masked steps, which must carry the state unchanged.
"""

import keras
import numpy as np
import pytest

import rnnzoo


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference_sequence(cell, weights, xs, mask, units):
    """Outputs at every step of one numpy cell; masked steps repeat the previous output."""
    h = np.zeros(units)
    c = np.zeros(units)
    outputs = []
    for x, keep in zip(xs, mask):
        if keep:
            if cell == "rnn":
                kernel, recurrent, bias = weights
                h = np.tanh(x @ kernel + h @ recurrent + bias)
            elif cell == "lstm":
                kernel, recurrent, bias = weights
                z = x @ kernel + h @ recurrent + bias
                i, f, g, o = np.split(z, 4)
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                h = sigmoid(o) * np.tanh(c)
            else:  # GRU with reset_after=True, Keras' default and cuDNN's form
                kernel, recurrent, bias = weights
                xz, xr, xh = np.split(x @ kernel + bias[0], 3)
                hz, hr, hh = np.split(h @ recurrent + bias[1], 3)
                z, r = sigmoid(xz + hz), sigmoid(xr + hr)
                h = z * h + (1 - z) * np.tanh(xh + r * hh)
        outputs.append(h.copy())
    return np.array(outputs)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_recurrent_layer_matches_the_equations_with_masking(cell):
    units, features = 3, 2
    model = rnnzoo.build("tagger_bigru", compile=False, cell=cell, units=units, num_layers=1, bidirectional=False,
                         input_type="features", num_features=features, num_classes=1,
                         output_activation="linear", dropout=0.0, char_embedding_dim=0, tag_feature_dim=0)
    rng = np.random.default_rng(42)
    layer = model.get_layer(f"{cell}_1")
    weights = [rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    head = model.get_layer("head")
    head.set_weights([np.eye(units)[:, :1], np.zeros(1)])  # the head reads h_t's first unit
    xs = rng.normal(size=(6, features))
    xs[4:] = 0.0  # two padded steps at the end
    got = keras.ops.convert_to_numpy(model(xs[None].astype("float32")))[0, :, 0]
    expected = reference_sequence(cell, weights, xs, [True] * 4 + [False] * 2, units)[:, 0]
    np.testing.assert_allclose(got[:4], expected[:4], rtol=1e-5, atol=1e-6)


def test_simple_rnn_hand_computed_values():
    """units=1, W_xh=0.5, W_hh=1.0, b=0, input 1, 2: h_1 = tanh(0.5), h_2 = tanh(0.5 * 2 + 1.0 * h_1)."""
    model = rnnzoo.build("tagger_bigru", compile=False, cell="rnn", units=1, num_layers=1, bidirectional=False,
                         input_type="features", num_features=1, num_classes=1, output_activation="linear",
                         dropout=0.0, char_embedding_dim=0, tag_feature_dim=0)
    model.get_layer("rnn_1").set_weights([np.array([[0.5]]), np.array([[1.0]]), np.array([0.0])])
    model.get_layer("head").set_weights([np.array([[1.0]]), np.array([0.0])])
    got = keras.ops.convert_to_numpy(model(np.array([[[1.0], [2.0]]], dtype="float32")))[0, :, 0]
    np.testing.assert_allclose(got, [0.46211716, 0.89806306], rtol=1e-6)
