"""Many-to-many, aligned: one output per input step (char LM, tagging, tracking).

    inputs -> Embedding/Masking -> [recurrent layer, return_sequences] x num_layers -> head at every step

The mask travels to the output, so padded steps are left out of the loss and
the metrics. A causal model (a language model) must stay unidirectional; a
tagger may be bidirectional.
"""

from __future__ import annotations

import keras
from keras import layers

from rnnzoo.builders.common import output_head, recurrent_stack, sequence_input
from rnnzoo.config import Config


def build_aligned(cfg: Config, *, batch_size: int | None = None, stateful: bool = False) -> keras.Model:
    """The aligned model; `stateful=True` with a fixed `batch_size` is the truncated-BPTT training variant.

    Both variants name their layers alike, so weights move between them by
    name (`copy_weights_by_name`).
    """
    m = cfg.model
    inputs, x = sequence_input(m, name="inputs", batch_size=batch_size)
    x = recurrent_stack(x, m, prefix="", return_sequences=True, bidirectional=m.bidirectional, stateful=stateful)
    if m.dropout > 0:
        x = layers.Dropout(m.dropout, name="head_dropout")(x)
    outputs = output_head(x, m, m.num_classes)
    return keras.Model(inputs, outputs, name=cfg.name)
