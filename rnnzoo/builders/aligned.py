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
learned tag-to-tag transitions (`rnnzoo.layers.crf`).
"""

from __future__ import annotations

import keras
from keras import layers

from rnnzoo.builders.common import output_head, recurrent_stack, sequence_input
from rnnzoo.config import Config, ModelSpec
from rnnzoo.layers.crf import CRF
from rnnzoo.layers import ConcatenateFeatures, MaskedMaxOverCharacters, ZeroPaddingCharacters

# Config fields only this I/O configuration reads (rnnzoo.tasks.check_options refuses them elsewhere).
OPTIONS = ("model.char_embedding_dim", "model.char_units", "model.char_vocab_size", "model.tag_feature_dim",
           "model.tag_feature_vocab_size", "model.crf")

CHAR_KERNEL = 3  # characters each CNN filter sees (suffixes such as -ed, -ly, -ing)


def word_features(spec: ModelSpec) -> tuple[dict[str, keras.KerasTensor], list[keras.KerasTensor]]:
    """The extra per-word inputs of a tagger and their features, (batch, words, width) each."""
    inputs, features = {}, []
    if spec.char_embedding_dim > 0:
        chars = keras.Input(shape=(None, None), dtype="int32", name="chars")
        x = layers.Embedding(spec.char_vocab_size, spec.char_embedding_dim, name="char_embedding")(chars)
        x = ZeroPaddingCharacters(name="char_padding")([x, chars])
        # A (1, k) Conv2D is a Conv1D over the characters of each word, words kept apart.
        x = layers.Conv2D(spec.char_units, (1, CHAR_KERNEL), padding="same", activation="tanh", name="char_cnn")(x)
        features.append(MaskedMaxOverCharacters(name="char_max")([x, chars]))
        inputs["chars"] = chars
    if spec.tag_feature_dim > 0:
        tags = keras.Input(shape=(None,), dtype="int32", name="tag_features")
        features.append(layers.Embedding(spec.tag_feature_vocab_size, spec.tag_feature_dim,
                                         name="tag_feature_embedding")(tags))
        inputs["tag_features"] = tags
    return inputs, features


def build_aligned(cfg: Config, *, batch_size: int | None = None, stateful: bool = False) -> keras.Model:
    """The aligned model; `stateful=True` with a fixed `batch_size` is the truncated-BPTT training variant.

    Both variants name their layers alike, so weights move between them by
    name (`copy_weights_by_name`).
    """
    m = cfg.model
    inputs, x = sequence_input(m, name="inputs", batch_size=batch_size)
    extra_inputs, extra_features = word_features(m)
    if extra_features:
        x = ConcatenateFeatures(name="word_features")([x, *extra_features])  # keeps the word mask
        if m.dropout > 0:
            x = layers.Dropout(m.dropout, name="word_features_dropout")(x)
    x = recurrent_stack(x, m, prefix="", return_sequences=True, bidirectional=m.bidirectional, stateful=stateful)
    if m.dropout > 0:
        x = layers.Dropout(m.dropout, name="head_dropout")(x)
    if m.crf:  # per-word scores, and the CRF layer's tag transitions on top (see rnnzoo.layers.crf)
        outputs = CRF(m.num_classes, name="crf")(output_head(x, m, m.num_classes, activation="linear"))
    else:
        outputs = output_head(x, m, m.num_classes)
    model_inputs = {"inputs": inputs, **extra_inputs} if extra_inputs else inputs
    return keras.Model(model_inputs, outputs, name=cfg.name)
