"""PPMI-SVD word vectors (rnnzoo.preprocessing.word_vectors) and `model.embedding_init`, against hand-computed cases."""

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo import ConfigError
from rnnzoo.tasks.tagging import word_key
from rnnzoo.preprocessing.word_vectors import cooccurrence, ppmi, ppmi_svd_embeddings, truncated_svd_vectors
from test_tagging import TINY
from test_tagging import data_dir as tagging_data_dir

data_dir = tagging_data_dir  # the tiny CoNLL-2000 folder fixture, shared


def test_cooccurrence_weights_by_distance_and_skips_padding_unknown_and_sequence_ends():
    counts = cooccurrence([[2, 3, 1, 4], [5, 4, 2]], vocab_size=6, window=2, num_contexts=5)
    expected = np.zeros((6, 5), dtype=np.float32)
    # First sequence: the unknown id 1 sits between 3 and 4. Second: 5 is a word but no context (>= num_contexts).
    # The first sequence's 4 and the second's 5 are adjacent in no sequence, so they never pair.
    for word, context, weight in [(2, 3, 1.0), (3, 2, 1.0), (3, 4, 0.5), (4, 3, 0.5),
                                  (5, 4, 1.0), (4, 2, 1.0), (2, 4, 1.0), (5, 2, 0.5)]:
        expected[word, context] = weight
    np.testing.assert_array_equal(counts, expected)
    with pytest.raises(ValueError, match="`window` must be at least 1"):
        cooccurrence([[2, 3]], vocab_size=4, window=0)


def test_counting_in_blocks_of_rows_gives_the_same_counts(monkeypatch):
    from rnnzoo.preprocessing import word_vectors

    rng = np.random.default_rng(2)
    sequences = [rng.integers(0, 40, size=rng.integers(1, 30)) for _ in range(50)]
    whole = cooccurrence(sequences, vocab_size=40, window=3, num_contexts=15)
    monkeypatch.setattr(word_vectors, "BLOCK_CELLS", 7)  # blocks that cut rows in the middle
    np.testing.assert_array_equal(cooccurrence(sequences, vocab_size=40, window=3, num_contexts=15), whole)
    assert whole.sum() > 0


def test_only_the_most_frequent_max_words_are_counted():
    rng = np.random.default_rng(3)
    sequences = [rng.integers(2, 30, size=20) for _ in range(200)]
    vectors = ppmi_svd_embeddings(sequences, vocab_size=30, dim=4, max_words=20, scale=0.05)
    capped = ppmi_svd_embeddings(sequences, vocab_size=20, dim=4, scale=0.05)
    np.testing.assert_allclose(vectors[2:20], capped[2:20], rtol=1e-5)  # the same counts for ids below the cap
    assert vectors.shape == (30, 4) and np.abs(vectors[20:]).max() <= 0.05  # random rows above it


def test_ppmi_matches_the_formula_with_smoothed_contexts():
    counts = np.random.default_rng(1).poisson(0.7, size=(40, 25)).astype(np.float32)
    total, word = counts.sum(), counts.sum(axis=1, keepdims=True)
    context = counts.sum(axis=0, keepdims=True) ** 0.75
    with np.errstate(divide="ignore"):
        expected = np.log(counts / total) - np.log(word / total) - np.log(context / context.sum())
    expected = np.where(np.isfinite(expected) & (expected > 0), expected, 0.0)
    np.testing.assert_allclose(ppmi(counts), expected, atol=1e-5)
    assert not ppmi(np.zeros((3, 2), dtype=np.float32)).any()


def test_truncated_svd_vectors_carry_the_top_singular_values():
    rng = np.random.default_rng(0)
    matrix = (rng.standard_normal((60, 4)) @ rng.standard_normal((4, 30))).astype(np.float32)  # rank 4
    singular = np.linalg.svd(matrix, compute_uv=False)
    vectors = truncated_svd_vectors(matrix, 6)
    assert vectors.shape == (60, 6)
    # Rows of U sqrt(S): column k has squared norm s_k; columns past the rank are zero.
    np.testing.assert_allclose(np.sum(vectors ** 2, axis=0)[:4], singular[:4], rtol=1e-3)
    np.testing.assert_allclose(vectors[:, 4:], 0.0, atol=1e-3)


def test_words_used_alike_get_close_vectors():
    rng = np.random.default_rng(0)
    # Words 2 and 3 appear only between 10..19 and 20..29; words 4 and 5 only between 30..39 and 40..49.
    sequences = [[rng.integers(10, 20), int(rng.choice([2, 3])), rng.integers(20, 30)] for _ in range(300)]
    sequences += [[rng.integers(30, 40), int(rng.choice([4, 5])), rng.integers(40, 50)] for _ in range(300)]
    # Four kinds of word (the two pairs and their left and right neighbours): four dimensions hold them.
    vectors = ppmi_svd_embeddings(sequences, vocab_size=50, dim=4, window=1, scale=0.05)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert unit[2] @ unit[3] > 0.9 and unit[4] @ unit[5] > 0.9
    assert abs(unit[2] @ unit[4]) < 0.3
    seen = np.isin(np.arange(50), [2, 3, 4, 5, *range(10, 50)])
    assert vectors[seen].std() == pytest.approx(0.05, rel=1e-3)
    # Padding, unknown and ids that never occur: small random numbers, as Keras would start them.
    assert 0 < np.abs(vectors[~seen]).max() <= 0.05


def test_training_starts_the_embedding_at_the_vectors(data_dir, tmp_path):
    class FirstWeights(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.embedding = self.model.get_layer("embedding").get_weights()[0]

    first = FirstWeights()
    run = rnnzoo.train("tagger_bigru", data_dir=data_dir, out_dir=tmp_path / "run", epochs=1, verbose=0,
                       target="chunk", embedding_init="ppmi_svd", callbacks=[first], **TINY)
    words = run.task.words
    from rnnzoo.datasets.conll2000 import load_sentences

    train, _ = load_sentences("train", data_dir=data_dir, seed=run.config.train.seed, validation_fraction=0.0)
    expected = ppmi_svd_embeddings([words.encode([word_key(w) for w in s.words]) for s in train], len(words),
                                   run.config.model.embedding_dim, seed=run.config.train.seed)
    np.testing.assert_array_equal(first.embedding, expected)
    assert run.metrics["embedding_init_seconds"] >= 0


def test_embedding_init_on_a_task_without_word_ids_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match=r"embedding_init='ppmi_svd' needs word ids .* task 'adding'"):
        rnnzoo.train("adding_lstm", out_dir=tmp_path / "run", embedding_init="ppmi_svd", verbose=0)
    with pytest.raises(ConfigError, match=r"`model.embedding_init` must be one of 'random', 'ppmi_svd'"):
        rnnzoo.load_config("sentiment_bilstm", {"embedding_init": "glove"})


@pytest.mark.parametrize("sequences", [[], [[]], [[0, 1, 1]]], ids=["no-sequences", "empty", "padding-and-unknown"])
def test_text_without_countable_words_gives_random_rows_and_no_nan(sequences):
    vectors = ppmi_svd_embeddings(sequences, vocab_size=10, dim=4)
    assert vectors.shape == (10, 4) and np.isfinite(vectors).all() and 0 < np.abs(vectors).max() <= 0.05


# numpy alone: the module is loaded from its file, so importing TensorFlow sets no earlier peak. VmHWM, not
# ru_maxrss: a child started by a large process inherits the parent's ru_maxrss across exec.
PEAK_SCRIPT = """
import importlib.util, sys, numpy as np
spec = importlib.util.spec_from_file_location("word_vectors", sys.argv[1])
word_vectors = importlib.util.module_from_spec(spec)
spec.loader.exec_module(word_vectors)
def peak_bytes():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
rng = np.random.default_rng(0)
sequences = [rng.integers(2, 10_000, size=200) for _ in range(2_000)]
before = peak_bytes()
word_vectors.ppmi_svd_embeddings(sequences, 10_000, 16, num_contexts=5_000)
print(peak_bytes() - before)
"""


def test_ppmi_svd_holds_about_one_count_matrix_at_a_time():
    """The demo peaked at 3.75 GB, most of it here: counts and PPMI were two matrices, bincount a third (issue 17)."""
    import subprocess
    import sys

    from rnnzoo.preprocessing import word_vectors

    result = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, word_vectors.__file__], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    matrix_bytes = 10_000 * 5_000 * 4
    growth = int(result.stdout.split()[-1])
    assert matrix_bytes < growth < 2.5 * matrix_bytes, f"peak grew by {growth / matrix_bytes:.2f} count matrices"


def test_ppmi_in_place_gives_the_same_numbers():
    rng = np.random.default_rng(3)
    counts = rng.poisson(0.7, size=(30, 12)).astype(np.float32)
    expected = ppmi(counts)
    assert ppmi(counts, out=counts) is counts
    np.testing.assert_array_equal(counts, expected)
    with pytest.raises(ValueError, match="`out` must be None or the float32 `counts` matrix itself"):
        ppmi(counts, out=np.zeros_like(counts))
