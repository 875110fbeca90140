"""Many-to-many, aligned: one output per input step (char LM, tagging, tracking).

    inputs -> Embedding/Masking -> [recurrent layer, return_sequences] x num_layers -> head at every step

The mask travels to the output, so padded steps are left out of the loss and
the metrics. A causal model (a language model) must stay unidirectional; a
tagger may be bidirectional.

A tagger over words may read two more inputs per word, concatenated with the
word embedding before the recurrent stack (what the CoNLL-2000 systems used):
- `chars` (batch, words, characters), with `char_embedding_dim > 0`: a
  character CNN of each word, max-pooled over its characters, so unknown
  words still get a feature from their spelling (suffixes, capitals, digits);
- `tag_features` (batch, words), with `tag_feature_dim > 0`: a given tag
  column (the part of speech when chunking), embedded.
The model then takes a dict `{"inputs": word ids, "chars": ..., "tag_features": ...}`.
With `crf = true` the head gives per-word tag scores and a CRF layer holds
learned tag-to-tag transitions (`rnnzoo.layers.crf`); `crf_layer` finds it.

A language model (unidirectional, over tokens) also has a step model
(`aligned_inference_models`): the same stack with its states as inputs and
outputs, so sampling carries the state from one call to the next.
"""

from __future__ import annotations

import keras
from keras import layers

from rnnzoo.builders.common import (
    HEAD_DROPOUT, INPUTS, ExportGraph, InferenceModels, copy_weights_by_name, output_head, recurrent_stack,
    sequence_input, states_per_layer,
)
from rnnzoo.config import Config, ModelSpec
from rnnzoo.errors import RnnzooError
from rnnzoo.layers.crf import CRF
from rnnzoo.layers import ConcatenateFeatures, MaskedMaxOverCharacters, ZeroPaddingCharacters

# Config fields only this I/O configuration reads (rnnzoo.tasks.check_options refuses them elsewhere).
OPTIONS = ("model.char_embedding_dim", "model.char_units", "model.char_vocab_size", "model.tag_feature_dim",
           "model.tag_feature_vocab_size", "model.crf")

CHAR_KERNEL = 3  # characters each CNN filter sees (suffixes such as -ed, -ly, -ing)

# Input and layer names (saved files refer to them: never rename one).
CHARS = "chars"
TAG_FEATURES = "tag_features"
CHAR_EMBEDDING = "char_embedding"
CHAR_PADDING = "char_padding"
CHAR_CNN = "char_cnn"
CHAR_MAX = "char_max"
TAG_FEATURE_EMBEDDING = "tag_feature_embedding"
WORD_FEATURES = "word_features"
WORD_FEATURES_DROPOUT = "word_features_dropout"
CRF_LAYER = "crf"
STATE_INPUT = "{cell}_{index}_state_{k}"  # a step model input: state k of layer `index`


def word_features(spec: ModelSpec, length: int | None = None) -> tuple[dict[str, keras.KerasTensor], list[keras.KerasTensor]]:
    """The extra per-word inputs of a tagger and their features, (batch, words, width) each; `length` fixes words."""
    inputs, features = {}, []
    if spec.char_embedding_dim > 0:
        chars = keras.Input(shape=(length, None), dtype="int32", name=CHARS)
        x = layers.Embedding(spec.char_vocab_size, spec.char_embedding_dim, name=CHAR_EMBEDDING)(chars)
        x = ZeroPaddingCharacters(name=CHAR_PADDING)([x, chars])
        # A (1, k) Conv2D is a Conv1D over the characters of each word, words kept apart.
        x = layers.Conv2D(spec.char_units, (1, CHAR_KERNEL), padding="same", activation="tanh", name=CHAR_CNN)(x)
        features.append(MaskedMaxOverCharacters(name=CHAR_MAX)([x, chars]))
        inputs[CHARS] = chars
    if spec.tag_feature_dim > 0:
        tags = keras.Input(shape=(length,), dtype="int32", name=TAG_FEATURES)
        features.append(layers.Embedding(spec.tag_feature_vocab_size, spec.tag_feature_dim,
                                         name=TAG_FEATURE_EMBEDDING)(tags))
        inputs[TAG_FEATURES] = tags
    return inputs, features


def build_aligned(cfg: Config, *, batch_size: int | None = None, stateful: bool = False,
                  graph: ExportGraph | None = None) -> keras.Model:
    """The aligned model; `stateful=True` with a fixed `batch_size` is the truncated-BPTT training variant.

    Every variant names its layers alike, so weights move between them by
    name (`copy_weights_by_name`); `graph` is an export rebuild (`ExportGraph`).
    """
    m = cfg.model
    inputs, x = sequence_input(m, name=INPUTS, batch_size=batch_size, graph=graph)
    extra_inputs, extra_features = word_features(m, graph.length if graph else None)
    if extra_features:
        x = ConcatenateFeatures(name=WORD_FEATURES)([x, *extra_features])  # keeps the word mask
        if m.dropout > 0:
            x = layers.Dropout(m.dropout, name=WORD_FEATURES_DROPOUT)(x)
    x = recurrent_stack(x, m, prefix="", return_sequences=True, bidirectional=m.bidirectional, stateful=stateful,
                        graph=graph)
    if m.dropout > 0:
        x = layers.Dropout(m.dropout, name=HEAD_DROPOUT)(x)
    if m.crf:  # per-word scores, and the CRF layer's tag transitions on top (see rnnzoo.layers.crf)
        outputs = CRF(m.num_classes, name=CRF_LAYER)(output_head(x, m, m.num_classes, activation="linear"))
    else:
        outputs = output_head(x, m, m.num_classes)
    model_inputs = {INPUTS: inputs, **extra_inputs} if extra_inputs else inputs
    return keras.Model(model_inputs, outputs, name=cfg.name)


def crf_layer(model: keras.Model) -> CRF | None:
    """A tagger's CRF layer (its tag transitions), or None for a softmax head."""
    found = [layer for layer in model.layers if layer.name == CRF_LAYER]
    return found[0] if found else None


def aligned_inference_models(trained: keras.Model, cfg: Config, *, graph: ExportGraph | None = None) -> InferenceModels:
    """The step model of a trained language model: `[ids (batch, t), *states] -> [logits (batch, t, vocab), *states]`.

    It is built with the same pieces as the trained model, so its layers carry
    the same names, and its weights are copied from the trained model by name
    (a copy: later training of `trained` does not reach it). It reads any
    number of tokens per call (a whole prompt, or one token) from the states
    given, `states_per_layer` tensors (batch, units) per layer in layer order,
    and returns the states after the last token. Dropout is left out. An
    export rebuild (`graph`) reads `graph.length` tokens per call.

    Raises:
        RnnzooError: the model is bidirectional or reads features, so it has no next-token step.
    """
    m = cfg.model
    if cfg.io != "aligned" or m.bidirectional or m.input_type != "tokens":
        raise RnnzooError(f"Sampling needs a unidirectional aligned model over tokens. Received: {cfg.name!r} "
                          f"(io={cfg.io!r}, bidirectional={m.bidirectional}, input_type={m.input_type!r})")
    ids, x = sequence_input(m, name=INPUTS, graph=graph)
    state_inputs = [[keras.Input(shape=(m.units,), name=STATE_INPUT.format(cell=m.cell, index=index, k=k))
                     for k in range(states_per_layer(m))]
                    for index in range(1, m.num_layers + 1)]
    # An export rebuild reads right-padded batches of prompts: the mask must reach the layers (see recurrent_stack).
    mask = keras.ops.not_equal(ids, 0) if graph is not None and graph.keras_masks else None
    x, states = recurrent_stack(x, m, prefix="", return_sequences=True, bidirectional=False,
                                initial_states=state_inputs, return_state=True, graph=graph, mask=mask)
    logits = output_head(x, m, m.num_classes)
    flat_inputs = [s for layer in state_inputs for s in layer]
    flat_states = [s for layer in states for s in layer]
    step = keras.Model([ids, *flat_inputs], [logits, *flat_states], name=f"{cfg.name}_step")
    copy_weights_by_name(trained, step)
    return InferenceModels(step=step)
