"""One generic builder per I/O configuration, and `build_model` to pick it."""

from __future__ import annotations

import keras

from rnnzoo.builders.aligned import build_aligned
from rnnzoo.builders.common import compile_model, warn_if_not_fused
from rnnzoo.builders.many_to_one import build_many_to_one
from rnnzoo.builders.one_to_many import build_one_to_many
from rnnzoo.builders.seq2seq import build_seq2seq
from rnnzoo.config import Config
from rnnzoo.builders.precision import precision_scope

BUILDERS = {
    "many_to_one": build_many_to_one,
    "aligned": build_aligned,
    "one_to_many": build_one_to_many,
    "seq2seq": build_seq2seq,
}


def build_model(cfg: Config, *, compile: bool = True) -> keras.Model:
    """The Functional model for a validated config (mixed precision if `train.mixed_precision`), compiled unless `compile=False`."""
    warn_if_not_fused(cfg.model, cfg.name)
    with precision_scope(cfg.train.mixed_precision):  # layers take their dtype policy when created
        model = BUILDERS[cfg.io](cfg)
    if compile:
        compile_model(model, cfg)
    return model
