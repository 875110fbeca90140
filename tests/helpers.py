"""Tiny configs and random batches for any named model, so every test speaks the same shapes."""

from __future__ import annotations

import numpy as np

from rnnzoo.config import Config

TINY = {
    "units": 6,
    "embedding_dim": 5,
    "vocab_size": 40,
}
TINY_BY_IO = {  # fields only these I/O configurations read (others refuse them: rnnzoo.tasks.check_options)
    "one_to_many": {"target_vocab_size": 12, "condition_dim": 8, "image_size": 16},
    "seq2seq": {"target_vocab_size": 12},
}


def tiny_overrides(cfg: Config) -> dict:
    """Small sizes for any config; keeps the head width when it is data-defined but shrinks it when large."""
    overrides = {**TINY, **TINY_BY_IO.get(cfg.io, {})}
    if cfg.model.num_classes > 12:
        overrides["num_classes"] = 12
    return overrides


def right_padded_tokens(rng, batch: int, length: int, vocab: int) -> np.ndarray:
    """Token ids in [1, vocab) with random real lengths, right-padded with 0 (at least one real step)."""
    ids = rng.integers(1, vocab, size=(batch, length)).astype("int32")
    lengths = rng.integers(1, length + 1, size=batch)
    lengths[0] = length  # one full-length row so the batch really has `length` steps
    for row, n in enumerate(lengths):
        ids[row, n:] = 0
    return ids


def random_batch(cfg: Config, *, batch: int = 4, length: int = 7, seed: int = 0):
    """(inputs, targets) with the shapes a model built from `cfg` expects."""
    rng = np.random.default_rng(seed)
    m = cfg.model
    if cfg.io in ("many_to_one", "aligned"):
        if m.input_type == "tokens":
            x = right_padded_tokens(rng, batch, length, m.vocab_size)
        else:
            x = rng.normal(size=(batch, length, m.num_features)).astype("float32")
        shape = (batch,) if cfg.io == "many_to_one" else (batch, length)
        if m.output_activation == "sigmoid":
            y = rng.integers(0, 2, size=shape + (m.num_classes,)).astype("float32")
            if cfg.io == "aligned" and m.num_classes == 1:
                y = y[..., 0]
        elif m.output_activation == "softmax":
            y = rng.integers(0, m.num_classes, size=shape).astype("int32")
        else:
            y = rng.normal(size=shape + (m.num_classes,)).astype("float32")
        if m.char_embedding_dim or m.tag_feature_dim:  # a tagger's extra per-word inputs
            x = {"inputs": x}
            if m.char_embedding_dim:
                x["chars"] = rng.integers(0, m.char_vocab_size, size=(batch, length, 5)).astype("int32")
            if m.tag_feature_dim:
                x["tag_features"] = rng.integers(1, m.tag_feature_vocab_size, size=(batch, length)).astype("int32")
        return x, y
    tokens = right_padded_tokens(rng, batch, length, m.target_vocab_size)
    targets = rng.integers(1, m.target_vocab_size, size=tokens.shape).astype("int32")
    if cfg.io == "one_to_many":
        if m.condition_input == "image":
            condition = rng.integers(0, 256, size=(batch, m.image_size, m.image_size, m.image_channels)).astype("float32")
        else:
            condition = rng.normal(size=(batch, m.condition_dim)).astype("float32")
        return {"condition": condition, "tokens": tokens}, targets
    source = right_padded_tokens(rng, batch, length + 2, m.vocab_size)
    return {"source": source, "target_in": tokens}, targets
