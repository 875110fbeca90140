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
from keras import layers, ops

from rnnzoo.builders.common import HEAD_DROPOUT, INPUTS, ExportGraph, output_head, recurrent_stack, sequence_input
from rnnzoo.config import Config
from rnnzoo.layers import LastRealStep, MaskedPooling1D

POOLING = "pooling"  # a layer name (saved files refer to it: never rename it)
LAST_REAL_STEP = "last_real_step"  # export graphs without Keras masks: the last output, read where the ids end

# Config fields only this I/O configuration reads (rnnzoo.tasks.check_options refuses them elsewhere).
OPTIONS = ("model.pooling",)


def build_many_to_one(cfg: Config, *, graph: ExportGraph | None = None) -> keras.Model:
    """The model of `cfg`; `graph` rebuilds it for an export (see `ExportGraph`), same layer names.

    Without Keras masks (`graph.keras_masks=False`) the pooling and the last
    output read the mask from the ids (right padding) instead.
    """
    m = cfg.model
    inputs, x = sequence_input(m, name=INPUTS, graph=graph)
    pooled = m.pooling != "last"
    explicit_mask = graph is not None and not graph.keras_masks
    x = recurrent_stack(x, m, prefix="", return_sequences=pooled or explicit_mask, bidirectional=m.bidirectional,
                        graph=graph)
    if pooled and explicit_mask:
        x = MaskedPooling1D(m.pooling, name=POOLING)(x, mask=ops.not_equal(inputs, 0))
    elif pooled:
        x = MaskedPooling1D(m.pooling, name=POOLING)(x)
    elif explicit_mask:
        x = LastRealStep(bidirectional=m.bidirectional, name=LAST_REAL_STEP)([x, inputs])
    if m.dropout > 0:
        x = layers.Dropout(m.dropout, name=HEAD_DROPOUT)(x)
    outputs = output_head(x, m, m.num_classes)
    return keras.Model(inputs, outputs, name=cfg.name)
