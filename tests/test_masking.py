"""Right padding never changes an answer: padded and unpadded sequences give the same outputs."""

import itertools

import keras
import numpy as np
import pytest

import rnnzoo

CASES = list(itertools.product(("rnn", "lstm", "gru"), (False, True), (1, 2)))
SMALL = {"units": 5, "vocab_size": 30, "embedding_dim": 4}


def _padded_pair(length=5, padded_to=9, seed=1):
    rng = np.random.default_rng(seed)
    sequence = rng.integers(1, 30, size=(1, length)).astype("int32")
    padded = np.zeros((2, padded_to), dtype="int32")
    padded[0, :length] = sequence[0]
    padded[1] = rng.integers(1, 30, size=padded_to)  # a longer neighbour in the same batch
    return sequence, padded


@pytest.mark.parametrize("cell, bidirectional, num_layers", CASES)
def test_many_to_one_padding_is_invisible(cell, bidirectional, num_layers):
    model = rnnzoo.build("sentiment_lstm", compile=False, cell=cell, bidirectional=bidirectional,
                         num_layers=num_layers, **SMALL)
    sequence, padded = _padded_pair()
    alone = keras.ops.convert_to_numpy(model(sequence, training=False))
    in_batch = keras.ops.convert_to_numpy(model(padded, training=False))
    np.testing.assert_allclose(in_batch[0], alone[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell, bidirectional, num_layers", CASES)
def test_aligned_padding_is_invisible_at_real_steps(cell, bidirectional, num_layers):
    model = rnnzoo.build("tagger_bigru", compile=False, cell=cell, bidirectional=bidirectional,
                         num_layers=num_layers, num_classes=3, dropout=0.0, char_embedding_dim=0, tag_feature_dim=0,
                         **SMALL)
    sequence, padded = _padded_pair()
    alone = keras.ops.convert_to_numpy(model(sequence, training=False))
    in_batch = keras.ops.convert_to_numpy(model(padded, training=False))
    np.testing.assert_allclose(in_batch[0, :5], alone[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pooling", ["max", "mean", "max_mean"])
def test_pooled_many_to_one_padding_is_invisible(pooling):
    model = rnnzoo.build("sentiment_bilstm", compile=False, pooling=pooling, **SMALL)
    sequence, padded = _padded_pair()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(padded))[0],
                               keras.ops.convert_to_numpy(model(sequence))[0], rtol=1e-5, atol=1e-6)


def test_feature_inputs_are_masked_by_zero_vectors():
    model = rnnzoo.build("sentiment_gru", compile=False, input_type="features", num_features=3, units=4)
    rng = np.random.default_rng(0)
    sequence = rng.normal(size=(1, 4, 3)).astype("float32")
    padded = np.concatenate([sequence, np.zeros((1, 6, 3), "float32")], axis=1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(padded)), keras.ops.convert_to_numpy(model(sequence)),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("attention", ["none", "dot", "general", "additive"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_seq2seq_source_and_target_padding_is_invisible(attention, bidirectional):
    model = rnnzoo.build("translate_gru", compile=False, attention=attention, bidirectional=bidirectional,
                         units=6, vocab_size=30, target_vocab_size=20, embedding_dim=4, dropout=0.0)
    source, source_padded = _padded_pair(length=5, padded_to=8, seed=2)
    target, target_padded = _padded_pair(length=4, padded_to=6, seed=3)
    target, target_padded = target % 20 + (target % 20 == 0), target_padded % 20 + (target_padded % 20 == 0) * (target_padded > 0)
    target_padded[0, 4:] = 0
    alone = keras.ops.convert_to_numpy(model({"source": source, "target_in": target}))
    in_batch = keras.ops.convert_to_numpy(model({"source": source_padded, "target_in": target_padded}))
    np.testing.assert_allclose(in_batch[0, :4], alone[0], rtol=1e-5, atol=1e-6)


def test_every_step_masked_gives_finite_output():
    model = rnnzoo.build("sentiment_bilstm", compile=False, pooling="max_mean", **SMALL)
    out = keras.ops.convert_to_numpy(model(np.zeros((2, 6), dtype="int32")))
    assert np.all(np.isfinite(out))
