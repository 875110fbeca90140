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
"""

from __future__ import annotations

import keras
from keras import layers

from rnnzoo.builders.common import output_head, recurrent_stack, states_per_layer, token_embedding
from rnnzoo.config import Config, ModelSpec
from rnnzoo.layers import RepeatAlongTime

# Config fields only this I/O configuration (and seq2seq, for the output vocabulary) reads.
OPTIONS = ("model.target_vocab_size", "model.condition_input", "model.condition_dim", "model.image_size",
           "model.image_channels", "model.conditioning")


def condition_encoder(m: ModelSpec):
    """The condition input and its vector `v`: features as given, or a small CNN over an image."""
    if m.condition_input == "features":
        condition = keras.Input(shape=(m.condition_dim,), dtype="float32", name="condition")
        return condition, condition
    image = keras.Input(shape=(m.image_size, m.image_size, m.image_channels), dtype="float32", name="condition")
    x = layers.Rescaling(1.0 / 255.0, name="image_rescale")(image)
    for index, filters in enumerate((32, 64, 64), start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"image_conv_{index}")(x)
        x = layers.MaxPooling2D(2, name=f"image_pool_{index}")(x)
    # Flatten, not global pooling: a caption says where things are ("left of"), and averaging over
    # positions would throw that away.
    x = layers.Flatten(name="image_flatten")(x)
    vector = layers.Dense(m.condition_dim, activation="relu", name="image_features")(x)
    return image, vector


def initial_states_from(vector, m: ModelSpec):
    """One Dense projection of `v` per decoder state (LSTM: h and c), per layer."""
    states = []
    for index in range(1, m.num_layers + 1):
        names = ("h", "c")[: states_per_layer(m)]
        states.append([
            layers.Dense(m.units, activation="tanh", name=f"init_{kind}_{index}")(vector) for kind in names
        ])
    return states


def build_one_to_many(cfg: Config) -> keras.Model:
    m = cfg.model
    condition, vector = condition_encoder(m)
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = token_embedding(tokens, m.target_vocab_size, m, name="decoder_embedding")
    if m.conditioning in ("every_step", "both"):
        repeated = RepeatAlongTime(name="condition_every_step")([vector, x])
        x = layers.Concatenate(name="decoder_inputs")([x, repeated])
    initial = initial_states_from(vector, m) if m.conditioning in ("init_state", "both") else None
    x = recurrent_stack(x, m, prefix="decoder_", return_sequences=True, bidirectional=False, initial_states=initial)
    if m.dropout > 0:
        x = layers.Dropout(m.dropout, name="head_dropout")(x)
    outputs = output_head(x, m, m.target_vocab_size, activation="softmax")
    return keras.Model({"condition": condition, "tokens": tokens}, outputs, name=cfg.name)
