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

`seq2seq_inference_models` makes the encoder and one-step decoder models that
greedy and beam search run (`rnnzoo.inference.decoding.Seq2SeqDecoder`) out
of the trained layers, so they share the trained weights.
"""

from __future__ import annotations

import keras
from keras import layers

from rnnzoo.builders.common import (
    HEAD, HEAD_DROPOUT, ExportGraph, InferenceModels, output_head, recurrent_name, recurrent_stack, state_kinds,
    states_per_layer, step_recurrent_stack, token_embedding,
)
from rnnzoo.config import Config, ModelSpec

# Input and layer names (saved files refer to them: never rename one).
SOURCE = "source"
TARGET_IN = "target_in"
ENCODER = "encoder_"                     # prefix of the encoder's recurrent layers: encoder_lstm_1, ...
DECODER = "decoder_"                     # prefix of the decoder's recurrent layers
ENCODER_EMBEDDING = "encoder_embedding"
DECODER_EMBEDDING = "decoder_embedding"
BRIDGE = "bridge_{kind}_{index}"         # kind: h or c
BRIDGE_CONCAT = "bridge_concat_{kind}_{index}"
ATTENTION = "attention"
ATTENTION_KEY_PROJECTION = "attention_key_projection"
ATTENTION_QUERY_PROJECTION = "attention_query_projection"
ATTENTION_CONCAT = "attention_concat"
ATTENTION_COMBINE = "attention_combine"

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
        bridged.append([
            layers.Dense(m.units, activation="tanh", name=BRIDGE.format(kind=kind, index=index))(
                layers.Concatenate(name=BRIDGE_CONCAT.format(kind=kind, index=index))([f, b]))
            for kind, f, b in zip(state_kinds(m), forward, backward)
        ])
    return bridged


def has_key_projection(m: ModelSpec) -> bool:
    """Whether the attention keys are a Dense projection of the encoder outputs (not the outputs themselves)."""
    return m.attention in ("general", "additive") or (m.attention == "dot" and m.bidirectional)


def attend(decoder_outputs, encoder_outputs, m: ModelSpec):
    """Luong-style attention: context from the encoder outputs, combined with the decoder output.

    The attention layer is called with `return_attention_scores=True` (the
    scores are unused here): a Keras attention layer first called without it
    cannot return scores later, and the decoding step model reuses this layer
    to show the attention weights of a decoded example.
    """
    # Layers are created in this order on purpose: it fixes which random initial weights each one draws.
    if m.attention == "dot":
        keys = encoder_outputs
        if m.bidirectional:
            keys = layers.Dense(m.units, use_bias=False, name=ATTENTION_KEY_PROJECTION)(encoder_outputs)
        context, _ = layers.Attention(score_mode="dot", name=ATTENTION)(
            [decoder_outputs, encoder_outputs, keys], return_attention_scores=True)
    elif m.attention == "general":
        keys = layers.Dense(m.units, use_bias=False, name=ATTENTION_KEY_PROJECTION)(encoder_outputs)
        context, _ = layers.Attention(score_mode="dot", name=ATTENTION)(
            [decoder_outputs, encoder_outputs, keys], return_attention_scores=True)
    else:
        query = layers.Dense(m.units, use_bias=False, name=ATTENTION_QUERY_PROJECTION)(decoder_outputs)
        keys = layers.Dense(m.units, use_bias=False, name=ATTENTION_KEY_PROJECTION)(encoder_outputs)
        context, _ = layers.AdditiveAttention(name=ATTENTION)([query, encoder_outputs, keys],
                                                              return_attention_scores=True)
    combined = layers.Concatenate(name=ATTENTION_CONCAT)([decoder_outputs, context])
    return layers.Dense(m.units, activation="tanh", name=ATTENTION_COMBINE)(combined)


def build_seq2seq(cfg: Config, *, graph: ExportGraph | None = None) -> keras.Model:
    """The model of `cfg`; `graph` rebuilds it for an export (`ExportGraph`: `length` is the source's).

    An unrolled rebuild reads one target token (what its decoding step reads).
    """
    m = cfg.model
    source = keras.Input(shape=(graph.length if graph else None,), dtype="int32", name=SOURCE)
    target_in = keras.Input(shape=(1 if graph and graph.unroll else None,), dtype="int32", name=TARGET_IN)
    x = token_embedding(source, m.vocab_size, m, name=ENCODER_EMBEDDING, graph=graph)
    encoder_outputs, encoder_states = recurrent_stack(
        x, m, prefix=ENCODER, return_sequences=True, bidirectional=m.bidirectional, return_state=True, graph=graph)
    y = token_embedding(target_in, m.target_vocab_size, m, name=DECODER_EMBEDDING, graph=graph)
    y = recurrent_stack(y, m, prefix=DECODER, return_sequences=True, bidirectional=False,
                        initial_states=bridge_states(encoder_states, m), graph=graph)
    if m.attention != "none":
        y = attend(y, encoder_outputs, m)
    if m.dropout > 0:
        y = layers.Dropout(m.dropout, name=HEAD_DROPOUT)(y)
    outputs = output_head(y, m, m.target_vocab_size, activation="softmax")
    return keras.Model({SOURCE: source, TARGET_IN: target_in}, outputs, name=cfg.name)


def seq2seq_inference_models(model: keras.Model, cfg: Config, *, graph: ExportGraph | None = None) -> InferenceModels:
    """The encoder and one-step decoder of a trained seq2seq model, made of its layers (shared weights).

    - `encoder`: source ids (batch, time) -> `[values, keys, *decoder states]`
      with attention (the last encoder layer's outputs and the attention keys,
      projected or not), `[*decoder states]` without; the states are each
      decoder layer's initial states in layer order (`states_per_layer` each).
    - `step`: `[token (batch, 1), values, keys, source mask (batch, time) bool,
      *states]` with attention, `[token, *states]` without, ->
      `[probabilities (batch, 1, vocab), *new states]`, then the attention
      scores (batch, 1, time) with attention.

    With `graph` (an export rebuild, `model` built with it), the step is
    unrolled when asked and its source inputs have `graph.length` steps.
    """
    m = cfg.model
    attention = m.attention != "none"
    outputs = []
    if attention:
        values = model.get_layer(recurrent_name(m, m.num_layers, ENCODER)).output[0]
        keys = model.get_layer(ATTENTION_KEY_PROJECTION).output if has_key_projection(m) else values
        outputs += [values, keys]
    for index in range(1, m.num_layers + 1):
        if m.bidirectional:
            outputs += [model.get_layer(BRIDGE.format(kind=kind, index=index)).output
                        for kind in state_kinds(m)]
        else:
            outputs += list(model.get_layer(recurrent_name(m, index, ENCODER)).output[1:])
    encoder = keras.Model(model.get_layer(SOURCE).output, outputs, name="encoder")

    token = keras.Input(shape=(1,), dtype="int32", name="token")
    inputs = [token]
    if attention:
        source_length = graph.length if graph else None
        values = keras.Input(shape=(source_length, encoder.outputs[0].shape[-1]), name="values")
        keys = keras.Input(shape=(source_length, encoder.outputs[1].shape[-1]), name="keys")
        source_mask = keras.Input(shape=(source_length,), dtype="bool", name="source_mask")
        inputs += [values, keys, source_mask]
    y = model.get_layer(DECODER_EMBEDDING)(token)
    states_in, y, states_out = step_recurrent_stack(model, m, y, prefix=DECODER, graph=graph)
    inputs += states_in
    scores = []
    if attention:
        query = model.get_layer(ATTENTION_QUERY_PROJECTION)(y) if m.attention == "additive" else y
        context, attention_scores = model.get_layer(ATTENTION)(
            [query, values, keys], mask=[None, source_mask], return_attention_scores=True)
        y = model.get_layer(ATTENTION_COMBINE)(model.get_layer(ATTENTION_CONCAT)([y, context]))
        scores = [attention_scores]
    probabilities = model.get_layer(HEAD)(y)
    step = keras.Model(inputs, [probabilities, *states_out, *scores], name="decoder_step")
    return InferenceModels(step=step, encoder=encoder)
