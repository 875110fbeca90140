"""One-to-many: a fixed vector conditions a generated sequence (captioning).

The condition `v` is a feature vector, or an image encoded by a small CNN
trained jointly. It enters the decoder

- `every_step`: `v` is concatenated to every input token's embedding, so the
  first layer computes `h_t = tanh(W_xh x_t + W_hh h_{t-1} + W_ih v)`, the
  lecture's captioning form;
- `init_state`: a Dense projection of `v` is every decoder layer's initial state;
- `both`: the two together.

Training uses teacher forcing: `tokens` holds `<start> y_1 ... y_{n-1}` and the
targets are `y_1 ... y_n <end>`, right-padded with 0.

`one_to_many_inference_models` makes the condition encoder and one-step
decoder models that greedy and beam search run
(`rnnzoo.inference.decoding.CaptionDecoder`) out of the trained layers, so
they share the trained weights.
"""

from __future__ import annotations

import keras
from keras import layers

from rnnzoo.builders.common import (
    HEAD, HEAD_DROPOUT, ExportGraph, InferenceModels, output_head, recurrent_stack, state_kinds,
    step_recurrent_stack, token_embedding,
)
from rnnzoo.config import Config, ModelSpec
from rnnzoo.layers import RepeatAlongTime

# Input and layer names (saved files refer to them: never rename one).
CONDITION = "condition"
TOKENS = "tokens"
IMAGE_RESCALE = "image_rescale"
IMAGE_CONV = "image_conv_{index}"
IMAGE_POOL = "image_pool_{index}"
IMAGE_FLATTEN = "image_flatten"
IMAGE_FEATURES = "image_features"        # the vector v of an image
DECODER = "decoder_"                     # prefix of the decoder's recurrent layers: decoder_lstm_1, ...
DECODER_EMBEDDING = "decoder_embedding"
CONDITION_EVERY_STEP = "condition_every_step"
DECODER_INPUTS = "decoder_inputs"
INIT_STATE = "init_{kind}_{index}"       # kind: h or c

# Config fields only this I/O configuration (and seq2seq, for the output vocabulary) reads.
OPTIONS = ("model.target_vocab_size", "model.condition_input", "model.condition_dim", "model.image_size",
           "model.image_channels", "model.conditioning")


def condition_encoder(m: ModelSpec):
    """The condition input and its vector `v`: features as given, or a small CNN over an image."""
    if m.condition_input == "features":
        condition = keras.Input(shape=(m.condition_dim,), dtype="float32", name=CONDITION)
        return condition, condition
    image = keras.Input(shape=(m.image_size, m.image_size, m.image_channels), dtype="float32", name=CONDITION)
    x = layers.Rescaling(1.0 / 255.0, name=IMAGE_RESCALE)(image)
    for index, filters in enumerate((32, 64, 64), start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=IMAGE_CONV.format(index=index))(x)
        x = layers.MaxPooling2D(2, name=IMAGE_POOL.format(index=index))(x)
    # Flatten, not global pooling: a caption says where things are ("left of"), and averaging over
    # positions would throw that away.
    x = layers.Flatten(name=IMAGE_FLATTEN)(x)
    vector = layers.Dense(m.condition_dim, activation="relu", name=IMAGE_FEATURES)(x)
    return image, vector


def initial_states_from(vector, m: ModelSpec):
    """One Dense projection of `v` per decoder state (LSTM: h and c), per layer."""
    states = []
    for index in range(1, m.num_layers + 1):
        states.append([
            layers.Dense(m.units, activation="tanh", name=INIT_STATE.format(kind=kind, index=index))(vector)
            for kind in state_kinds(m)
        ])
    return states


def build_one_to_many(cfg: Config, *, graph: ExportGraph | None = None) -> keras.Model:
    """The model of `cfg`; `graph` rebuilds it for an export (`ExportGraph`); an unrolled one reads one token."""
    m = cfg.model
    condition, vector = condition_encoder(m)
    tokens = keras.Input(shape=(1 if graph and graph.unroll else None,), dtype="int32", name=TOKENS)
    x = token_embedding(tokens, m.target_vocab_size, m, name=DECODER_EMBEDDING, graph=graph)
    if m.conditioning in ("every_step", "both"):
        repeated = RepeatAlongTime(name=CONDITION_EVERY_STEP)([vector, x])
        x = layers.Concatenate(name=DECODER_INPUTS)([x, repeated])
    initial = initial_states_from(vector, m) if m.conditioning in ("init_state", "both") else None
    x = recurrent_stack(x, m, prefix=DECODER, return_sequences=True, bidirectional=False, initial_states=initial,
                        graph=graph)
    if m.dropout > 0:
        x = layers.Dropout(m.dropout, name=HEAD_DROPOUT)(x)
    outputs = output_head(x, m, m.target_vocab_size, activation="softmax")
    return keras.Model({CONDITION: condition, TOKENS: tokens}, outputs, name=cfg.name)


def one_to_many_inference_models(model: keras.Model, cfg: Config, *,
                                 graph: ExportGraph | None = None) -> InferenceModels:
    """The condition encoder and one-step decoder of a trained one-to-many model, made of its layers (shared weights).

    - `encoder`: conditions (images or feature vectors) -> `[v, *initial states]`,
      the condition vector `v` (the CNN's image features, or the vector as
      given) and, with `init_state` conditioning, each decoder layer's initial
      states in layer order (`states_per_layer` each); without it only `[v]`
      and the states start at zeros.
    - `step`: `[token (batch, 1), v, *states] -> [probabilities (batch, 1, vocab), *new states]`;
      with `every_step` conditioning `v` enters again next to the token's
      embedding, exactly as in the trained model (otherwise the step leaves it unused).

    With `graph` (an export rebuild, `model` built with it) the step is unrolled when asked.
    """
    m = cfg.model
    every_step = m.conditioning in ("every_step", "both")
    condition = model.get_layer(CONDITION).output
    vector = condition if m.condition_input == "features" else model.get_layer(IMAGE_FEATURES).output
    initial = []
    if m.conditioning in ("init_state", "both"):
        initial = [model.get_layer(INIT_STATE.format(kind=kind, index=index)).output
                   for index in range(1, m.num_layers + 1) for kind in state_kinds(m)]
    encoder = keras.Model(condition, [vector, *initial], name="condition_encoder")

    token = keras.Input(shape=(1,), dtype="int32", name="token")
    vector_in = keras.Input(shape=(m.condition_dim,), name="vector")
    y = model.get_layer(DECODER_EMBEDDING)(token)
    if every_step:
        repeated = model.get_layer(CONDITION_EVERY_STEP)([vector_in, y])
        y = model.get_layer(DECODER_INPUTS)([y, repeated])
    states_in, y, states_out = step_recurrent_stack(model, m, y, prefix=DECODER, graph=graph)
    probabilities = model.get_layer(HEAD)(y)
    step = keras.Model([token, vector_in, *states_in], [probabilities, *states_out], name="caption_step")
    return InferenceModels(step=step, encoder=encoder)
