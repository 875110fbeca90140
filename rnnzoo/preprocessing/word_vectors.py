"""Word vectors from co-occurrence counts: positive PMI, then a truncated SVD (Levy, Goldberg & Dagan, 2015).

A model's embedding can start from these instead of random numbers: words
that occur in the same contexts of the training text start close together,
so a word seen in a handful of labelled examples begins near the words it
behaves like. Counting and factorising take seconds with numpy; nothing is
downloaded and only the training split's text is read.

Recipe (the paper's recommended settings): counts within a symmetric window,
weighted 1/distance; context counts smoothed with exponent 0.75 before PMI;
negative PMI clipped to 0; vectors = U * sqrt(S) of the top singular values.
"""

from __future__ import annotations

import numpy as np

CONTEXT_SMOOTHING = 0.75
# Cells per bincount: float64 sums of one block of rows at a time keep the transient memory near 200 MB
# (the block size changes no count: each cell sums its weights in the same order).
BLOCK_CELLS = 25_000_000


def cooccurrence(sequences, vocab_size: int, *, window: int = 5, num_contexts: int = 10_000) -> np.ndarray:
    """(vocab_size, num_contexts) float32 counts of word i near context word j, each pair weighted 1/distance.

    `sequences` are lists or arrays of ids; ids 0 (padding) and 1 (unknown)
    count as neither word nor context. Contexts are the ids below
    `num_contexts` (vocabularies list words most frequent first).
    """
    if window < 1:
        raise ValueError(f"`window` must be at least 1. Received: window={window}")
    num_contexts = min(num_contexts, vocab_size)
    # One long stream, each sequence followed by `window` padding ids, so no window spans two sequences.
    parts = []
    for ids in sequences:
        parts.append(np.asarray(ids, dtype=np.int64))
        parts.append(np.zeros(window, dtype=np.int64))
    stream = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    indices, weights = [], []
    for distance in range(1, window + 1):
        left, right = stream[:-distance], stream[distance:]
        for word, context in ((left, right), (right, left)):
            keep = (word > 1) & (context > 1) & (context < num_contexts) & (word < vocab_size)
            indices.append(word[keep] * num_contexts + context[keep])
            weights.append(np.full(indices[-1].size, 1.0 / distance))
    index, weight = np.concatenate(indices), np.concatenate(weights)
    del indices, weights
    counts = np.empty(vocab_size * num_contexts, dtype=np.float32)
    for start in range(0, counts.size, BLOCK_CELLS):
        stop = min(start + BLOCK_CELLS, counts.size)
        block = (index >= start) & (index < stop)
        counts[start:stop] = np.bincount(index[block] - start, weights=weight[block], minlength=stop - start)
    return counts.reshape(vocab_size, num_contexts)


def ppmi(counts: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Positive pointwise mutual information of a count matrix, context distribution smoothed (float32).

    `out=counts` (a float32 matrix) computes it in place: the same numbers without a second words x
    contexts matrix, which is most of the memory of `ppmi_svd_embeddings`.
    """
    total = counts.sum()
    if total <= 0:
        return np.zeros_like(counts, dtype=np.float32)
    word = counts.sum(axis=1, keepdims=True, dtype=np.float64)
    context = counts.sum(axis=0, keepdims=True, dtype=np.float64) ** CONTEXT_SMOOTHING
    context = context / context.sum()
    # log p(w,c) / (p(w) p(c)) = log count(w,c) - log count(w) - log p(c); in place, one float32 pass per
    # term, as the matrix is large (words x contexts).
    seen = counts > 0
    if out is None:
        out = np.zeros(counts.shape, dtype=np.float32)
    elif out is not counts or out.dtype != np.float32:
        raise ValueError("`out` must be None or the float32 `counts` matrix itself")
    pmi = out  # where a count is 0 (not seen), an in-place `out` already holds 0
    np.log(counts, out=pmi, where=seen)
    with np.errstate(divide="ignore"):
        pmi -= np.log(np.where(word > 0, word, 1.0)).astype(np.float32)
        pmi -= np.log(np.where(context > 0, context, 1.0)).astype(np.float32)
    pmi[np.logical_not(seen, out=seen)] = 0.0
    return np.maximum(pmi, 0.0, out=pmi)


def truncated_svd_vectors(matrix: np.ndarray, dim: int, *, seed: int = 0, power_iterations: int = 2) -> np.ndarray:
    """Rows of U * sqrt(S) for the `dim` largest singular values (randomised SVD, Halko et al. 2011)."""
    rows, cols = matrix.shape
    rank = min(dim, rows, cols)
    rng = np.random.default_rng(seed)
    probe = rng.standard_normal((cols, min(rank + 16, cols))).astype(np.float32)
    basis, _ = np.linalg.qr(matrix @ probe)
    for _ in range(power_iterations):
        basis, _ = np.linalg.qr(matrix.T @ basis)
        basis, _ = np.linalg.qr(matrix @ basis)
    u_small, singular, _ = np.linalg.svd(basis.T @ matrix, full_matrices=False)
    vectors = (basis @ u_small[:, :rank]) * np.sqrt(singular[:rank])
    # A singular vector's sign is arbitrary; fix it so the same counts give the same vectors.
    vectors *= np.where(vectors.sum(axis=0) < 0, -1.0, 1.0)
    out = np.zeros((rows, dim), dtype=np.float32)
    out[:, :rank] = vectors
    return out


def ppmi_svd_embeddings(sequences, vocab_size: int, dim: int, *, window: int = 5, num_contexts: int = 10_000,
                        max_words: int = 50_000, scale: float = 0.05, seed: int = 0) -> np.ndarray:
    """A (vocab_size, dim) embedding matrix: PPMI-SVD vectors scaled to standard deviation `scale`.

    Vectors are counted for the `max_words` most frequent ids (the count
    matrix, turned into PPMI in place, takes max_words x num_contexts x 4 bytes, 2 GB at the defaults).
    Rows of the other ids and of ids that never occur with a context
    (padding, the unknown id, words too rare) are small random numbers, as
    Keras' default initialiser would give them.
    """
    counted = min(vocab_size, max_words)
    counts = cooccurrence(sequences, counted, window=window, num_contexts=num_contexts)
    # From the counts, not the vectors: rounding in the SVD leaves rows of unseen words near, not at, zero.
    seen = np.zeros(vocab_size, dtype=bool)
    seen[:counted] = counts.sum(axis=1) > 0
    matrix = ppmi(counts, out=counts)  # in place: one words x contexts matrix at a time
    del counts
    vectors = np.zeros((vocab_size, dim), dtype=np.float32)
    vectors[:counted] = truncated_svd_vectors(matrix, dim, seed=seed)
    del matrix
    if seen.any():
        vectors[seen] *= scale / max(float(vectors[seen].std()), 1e-12)
    rng = np.random.default_rng(seed)
    vectors[~seen] = rng.uniform(-scale, scale, size=(int((~seen).sum()), dim))
    return vectors.astype(np.float32)
