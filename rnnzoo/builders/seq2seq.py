"""Seq2seq: an encoder reads the source, a decoder writes a target of another length.

    source -> Embedding -> encoder stack (optionally bidirectional) -> final states
    target_in -> Embedding -> decoder stack, layer i starting from encoder layer i's
                 final state -> [attention over encoder outputs] -> head

Training uses teacher forcing: `target_in` is `<start> y_1 ... y_{n-1}`, the
targets `y_1 ... y_n <end>`. A bidirectional encoder's forward and backward
final states are concatenated and projected by a Dense `bridge` to the
decoder's width. Attention (Luong-style, after the decoder RNN): `dot` and
`general` use `keras.layers.Attention`, `additive` (Bahdanau's score) uses
`keras.layers.AdditiveAttention`; the context is combined with the decoder
output by a tanh Dense layer before the head. Masks on both sides keep
padding out of the states, the attention and the loss.
"""

from __future__ import annotations

import keras
from keras import layers

from rnnzoo.builders.common import output_head, recurrent_stack, states_per_layer, token_embedding
from rnnzoo.config import Config, ModelSpec

# Config fields only this I/O configuration (and one_to_many, for the output vocabulary) reads.
OPTIONS = ("model.target_vocab_size", "model.attention")


def bridge_states(encoder_states, m: ModelSpec):
    """Decoder initial states from encoder final states (one list per layer)."""
    if not m.bidirectional:
        return encoder_states
    per_direction = states_per_layer(m)
    bridged = []
    for index, states in enumerate(encoder_states, start=1):
        forward, backward = states[:per_direction], states[per_direction:]
        names = ("h", "c")[:per_direction]
        bridged.append([
            layers.Dense(m.units, activation="tanh", name=f"bridge_{kind}_{index}")(
                layers.Concatenate(name=f"bridge_concat_{kind}_{index}")([f, b]))
            for kind, f, b in zip(names, forward, backward)
        ])
    return bridged


def attend(decoder_outputs, encoder_outputs, m: ModelSpec):
    """Luong-style attention: context from the encoder outputs, combined with the decoder output.

    The attention layer is called with `return_attention_scores=True` (the
    scores are unused here): a Keras attention layer first called without it
    cannot return scores later, and the decoding step model reuses this layer
    to show the attention weights of a decoded example.
    """
    if m.attention == "dot":
        keys = encoder_outputs
        if m.bidirectional:
            keys = layers.Dense(m.units, use_bias=False, name="attention_key_projection")(encoder_outputs)
        context, _ = layers.Attention(score_mode="dot", name="attention")(
            [decoder_outputs, encoder_outputs, keys], return_attention_scores=True)
    elif m.attention == "general":
        keys = layers.Dense(m.units, use_bias=False, name="attention_key_projection")(encoder_outputs)
        context, _ = layers.Attention(score_mode="dot", name="attention")(
            [decoder_outputs, encoder_outputs, keys], return_attention_scores=True)
    else:
        query = layers.Dense(m.units, use_bias=False, name="attention_query_projection")(decoder_outputs)
        keys = layers.Dense(m.units, use_bias=False, name="attention_key_projection")(encoder_outputs)
        context, _ = layers.AdditiveAttention(name="attention")([query, encoder_outputs, keys], return_attention_scores=True)
    combined = layers.Concatenate(name="attention_concat")([decoder_outputs, context])
    return layers.Dense(m.units, activation="tanh", name="attention_combine")(combined)


def build_seq2seq(cfg: Config) -> keras.Model:
    m = cfg.model
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    target_in = keras.Input(shape=(None,), dtype="int32", name="target_in")
    x = token_embedding(source, m.vocab_size, m, name="encoder_embedding")
    encoder_outputs, encoder_states = recurrent_stack(
        x, m, prefix="encoder_", return_sequences=True, bidirectional=m.bidirectional, return_state=True)
    y = token_embedding(target_in, m.target_vocab_size, m, name="decoder_embedding")
    y = recurrent_stack(y, m, prefix="decoder_", return_sequences=True, bidirectional=False,
                        initial_states=bridge_states(encoder_states, m))
    if m.attention != "none":
        y = attend(y, encoder_outputs, m)
    if m.dropout > 0:
        y = layers.Dropout(m.dropout, name="head_dropout")(y)
    outputs = output_head(y, m, m.target_vocab_size, activation="softmax")
    return keras.Model({"source": source, "target_in": target_in}, outputs, name=cfg.name)
