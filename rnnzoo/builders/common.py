"""Pieces every builder shares: inputs, recurrent stacks, heads, compile settings.

Masking: token inputs go through `Embedding(mask_zero=True)` and feature
inputs through `Masking(0.0)`; sequences are right-padded with 0. Keras
propagates the mask through every recurrent layer, so padded steps neither
change the state nor reach the loss. Default layer settings keep the fused
cuDNN kernels eligible on a GPU (tanh/sigmoid, no recurrent dropout,
`unroll=False`, `use_bias=True`, GRU `reset_after=True`).
"""

from __future__ import annotations

import logging

import keras
from keras import layers

from rnnzoo import layers as zoo_layers
from rnnzoo.config import Config, ModelSpec, TrainSpec

logger = logging.getLogger("rnnzoo")

# rnnzoo's LSTM/GRU are Keras' with a faster path for right-padded masks on JAX and torch.
CELL_LAYERS = {"rnn": layers.SimpleRNN, "lstm": zoo_layers.LSTM, "gru": zoo_layers.GRU}


def warn_if_not_fused(spec: ModelSpec, model_name: str) -> None:
    """Logs once per build when a setting rules out the fused cuDNN kernel."""
    if spec.recurrent_dropout > 0 and spec.cell in ("lstm", "gru"):
        logger.warning(
            "%s: recurrent_dropout=%s rules out the fused cuDNN %s kernel on GPU; "
            "training there will be several times slower.",
            model_name, spec.recurrent_dropout, spec.cell.upper(),
        )


def sequence_input(spec: ModelSpec, *, name: str, prefix: str = "",
                   batch_size: int | None = None) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """An input of token ids or features, embedded or masked; returns (input, masked sequence).

    `batch_size` fixes the batch dimension (stateful recurrent layers need it).
    """
    if spec.input_type == "tokens":
        inputs = keras.Input(batch_shape=(batch_size, None), dtype="int32", name=name)
        x = layers.Embedding(spec.vocab_size, spec.embedding_dim, mask_zero=True, name=f"{prefix}embedding")(inputs)
    else:
        inputs = keras.Input(batch_shape=(batch_size, None, spec.num_features), dtype="float32", name=name)
        x = layers.Masking(mask_value=0.0, name=f"{prefix}masking")(inputs)
    if spec.embedding_dropout > 0:
        x = layers.SpatialDropout1D(spec.embedding_dropout, name=f"{prefix}embedding_dropout")(x)
    return inputs, x


def token_embedding(tokens, vocab_size: int, spec: ModelSpec, *, name: str):
    """Embeds decoder-side token ids with padding id 0 masked."""
    x = layers.Embedding(vocab_size, spec.embedding_dim, mask_zero=True, name=name)(tokens)
    if spec.embedding_dropout > 0:
        x = layers.SpatialDropout1D(spec.embedding_dropout, name=f"{name}_dropout")(x)
    return x


def recurrent_layer(spec: ModelSpec, name: str, *, return_sequences: bool, return_state: bool = False,
                    bidirectional: bool = False, stateful: bool = False) -> layers.Layer:
    """One SimpleRNN/LSTM/GRU layer, wrapped in Bidirectional when asked, named `name`.

    A `stateful` layer starts each batch from the state the previous batch
    ended in (row i continues row i), until `reset_state()`.
    """
    cell = CELL_LAYERS[spec.cell](
        spec.units,
        return_sequences=return_sequences,
        return_state=return_state,
        recurrent_dropout=spec.recurrent_dropout,
        stateful=stateful,
        name=name,
    )
    if bidirectional:
        return layers.Bidirectional(cell, merge_mode="concat", name=name)
    return cell


def states_per_layer(spec: ModelSpec) -> int:
    """How many state tensors one direction of a layer carries (LSTM: h and c)."""
    return 2 if spec.cell == "lstm" else 1


def recurrent_stack(x, spec: ModelSpec, *, prefix: str, return_sequences: bool, bidirectional: bool,
                    initial_states=None, return_state: bool = False, stateful: bool = False):
    """`num_layers` stacked recurrent layers named `{prefix}{cell}_{i}`.

    Dropout (if any) sits between layers. With `return_state`, returns
    `(outputs, [states of layer 1, states of layer 2, ...])`, each a list of
    tensors (Bidirectional: forward states then backward states).
    """
    all_states = []
    for index in range(1, spec.num_layers + 1):
        last = index == spec.num_layers
        layer = recurrent_layer(
            spec, f"{prefix}{spec.cell}_{index}",
            return_sequences=True if not last else return_sequences,
            return_state=return_state, bidirectional=bidirectional, stateful=stateful,
        )
        init = initial_states[index - 1] if initial_states is not None else None
        result = layer(x, initial_state=init) if init is not None else layer(x)
        if return_state:
            x, states = result[0], list(result[1:])
            all_states.append(states)
        else:
            x = result
        if spec.dropout > 0 and not last:
            x = layers.Dropout(spec.dropout, name=f"{prefix}dropout_{index}")(x)
    return (x, all_states) if return_state else x


def copy_weights_by_name(source: keras.Model, target: keras.Model) -> None:
    """Copies every weighted layer of `target` from the layer of the same name in `source`.

    Step models and stateful training models are built from the same builder
    code as the trained model, so their layers carry the same names; a layer
    missing from `source` or of another shape is an error, never a silent skip.
    """
    for layer in target.layers:
        if not layer.weights:
            continue
        try:
            origin = source.get_layer(layer.name)
        except ValueError:
            raise ValueError(f"Layer {layer.name!r} of {target.name!r} has no namesake in {source.name!r}") from None
        layer.set_weights(origin.get_weights())


def output_head(x, spec: ModelSpec, width: int, *, activation: str | None = None, name: str = "head"):
    """The final Dense layer, kept in float32 so losses stay stable under mixed precision."""
    activation = activation or spec.output_activation
    if spec.logits or activation == "linear":
        activation = None
    return layers.Dense(width, activation=activation, dtype="float32", name=name)(x)


def default_loss_and_metrics(cfg: Config):
    """The loss and metrics a Keras user expects for the head of this config."""
    m = cfg.model
    activation = "softmax" if cfg.io in ("one_to_many", "seq2seq") else m.output_activation
    if activation == "sigmoid":
        return (keras.losses.BinaryCrossentropy(from_logits=m.logits),
                [keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0 if m.logits else 0.5)])
    if activation == "softmax":
        return (keras.losses.SparseCategoricalCrossentropy(from_logits=m.logits),
                [keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return keras.losses.MeanSquaredError(), [keras.metrics.MeanAbsoluteError(name="mae")]


def make_optimizer(train: TrainSpec, total_steps: int | None = None) -> keras.optimizers.Optimizer:
    """The configured optimizer, with gradient clipping and an optional cosine schedule."""
    learning_rate = train.learning_rate
    if train.lr_schedule == "cosine" and total_steps:
        learning_rate = keras.optimizers.schedules.CosineDecay(train.learning_rate, decay_steps=total_steps, alpha=0.05)
    kwargs = {"learning_rate": learning_rate}
    if train.clipnorm > 0:
        kwargs["clipnorm"] = train.clipnorm
    if train.weight_decay > 0:
        kwargs["weight_decay"] = train.weight_decay
    if train.ema_momentum > 0:
        kwargs.update(use_ema=True, ema_momentum=train.ema_momentum)
    classes = {
        "adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW, "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD, "nadam": keras.optimizers.Nadam,
    }
    return classes[train.optimizer](**kwargs)


def compile_model(model: keras.Model, cfg: Config, *, total_steps: int | None = None) -> keras.Model:
    """Compiles with the config's optimizer and the head's default loss and metrics."""
    loss, metrics = default_loss_and_metrics(cfg)
    if cfg.model.crf:
        from rnnzoo.layers.crf import CRFLoss

        loss = CRFLoss(model.get_layer("crf"))
    model.compile(optimizer=make_optimizer(cfg.train, total_steps), loss=loss, metrics=metrics)
    return model
