"""Many-to-one: a sequence in, one output out (sentiment, the adding problem).

    inputs -> Embedding/Masking -> [recurrent layer] x num_layers -> pooling -> head

With `pooling="last"` the head reads the final state `h_T` (`y = f(W_hy h_T)`);
for right-padded input Keras' masked RNNs return the state at the last real
step, and a Bidirectional layer concatenates the forward state at the last
real step with the backward state at step 0. `max`/`mean` pool over the real
steps only.
"""

from __future__ import annotations

import keras
from keras import layers

from rnnzoo.builders.common import HEAD_DROPOUT, INPUTS, output_head, recurrent_stack, sequence_input
from rnnzoo.config import Config
from rnnzoo.layers import MaskedPooling1D

POOLING = "pooling"  # a layer name (saved files refer to it: never rename it)

# Config fields only this I/O configuration reads (rnnzoo.tasks.check_options refuses them elsewhere).
OPTIONS = ("model.pooling",)


def build_many_to_one(cfg: Config) -> keras.Model:
    m = cfg.model
    inputs, x = sequence_input(m, name=INPUTS)
    pooled = m.pooling != "last"
    x = recurrent_stack(x, m, prefix="", return_sequences=pooled, bidirectional=m.bidirectional)
    if pooled:
        x = MaskedPooling1D(m.pooling, name=POOLING)(x)
    if m.dropout > 0:
        x = layers.Dropout(m.dropout, name=HEAD_DROPOUT)(x)
    outputs = output_head(x, m, m.num_classes)
    return keras.Model(inputs, outputs, name=cfg.name)
