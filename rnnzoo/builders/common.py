"""Pieces every builder shares: inputs, recurrent stacks, heads, compile settings.

Masking: token inputs go through `Embedding(mask_zero=True)` and feature
inputs through `Masking(0.0)`; sequences are right-padded with 0. Keras
propagates the mask through every recurrent layer, so padded steps neither
change the state nor reach the loss. Default layer settings keep the fused
cuDNN kernels eligible on a GPU (tanh/sigmoid, no recurrent dropout,
`unroll=False`, `use_bias=True`, GRU `reset_after=True`).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import NamedTuple

import keras
from keras import layers

from rnnzoo import layers as zoo_layers
from rnnzoo.config import Config, ModelSpec, TrainSpec

logger = logging.getLogger("rnnzoo")

# Layer names every builder shares. Saved .keras files and checkpoints refer to layers by these
# names, and inference models find the trained layers by them: never rename one.
INPUTS = "inputs"                        # the sequence input of many-to-one and aligned models
EMBEDDING = "embedding"                  # token ids -> vectors (a `prefix` may come first)
MASKING = "masking"                      # feature inputs: Masking(0.0)
EMBEDDING_DROPOUT = "embedding_dropout"
HEAD = "head"                            # the final Dense layer
HEAD_DROPOUT = "head_dropout"
DECODER_STATE_INPUT = "state_{index}_{k}"  # a decoder step model input: state k of layer `index`

# rnnzoo's LSTM/GRU are Keras' with a faster path for right-padded masks on JAX and torch.
CELL_LAYERS = {"rnn": layers.SimpleRNN, "lstm": zoo_layers.LSTM, "gru": zoo_layers.GRU}


@dataclasses.dataclass(frozen=True)
class ExportGraph:
    """How a model rebuilt for ONNX or LiteRT differs from the trained one (its weights are copied by layer name).

    Every rebuilt LSTM/GRU layer runs TensorFlow's CPU loop (`use_cudnn=False`):
    a converter cannot read a cuDNN op.

    Attributes:
        length: the fixed number of steps of the sequence input (the source of a
            seq2seq encoder); None reads any length.
        unroll: the recurrent layers are unrolled into one chain of ops per
            step (`unroll=True`, which needs `length`): LiteRT's built-in ops
            hold no loop. Padded steps stay masked (a select per step).
        keras_masks: False builds token models without Keras masks: the
            recurrent layers run over every step, and the layers that need
            the mask (pooling, the last real step) read it from the ids. Only
            right for an ONNX graph whose recurrent ops are then given each
            row's length (`sequence_lens`), which skips the padding as the mask did.
    """

    length: int | None = None
    unroll: bool = False
    keras_masks: bool = True


def warn_if_not_fused(spec: ModelSpec, model_name: str) -> None:
    """Logs once per build when a setting rules out the fused cuDNN kernel."""
    if spec.recurrent_dropout > 0 and spec.cell in ("lstm", "gru"):
        logger.warning(
            "%s: recurrent_dropout=%s rules out the fused cuDNN %s kernel on GPU; "
            "training there will be several times slower.",
            model_name, spec.recurrent_dropout, spec.cell.upper(),
        )


def sequence_input(spec: ModelSpec, *, name: str, prefix: str = "", batch_size: int | None = None,
                   graph: ExportGraph | None = None) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """An input of token ids or features, embedded or masked; returns (input, masked sequence).

    `batch_size` fixes the batch dimension (stateful recurrent layers need it);
    `graph` the number of steps and the masks of an export rebuild.
    """
    length = graph.length if graph else None
    if spec.input_type == "tokens":
        inputs = keras.Input(batch_shape=(batch_size, length), dtype="int32", name=name)
        x = layers.Embedding(spec.vocab_size, spec.embedding_dim, mask_zero=graph is None or graph.keras_masks,
                             name=f"{prefix}{EMBEDDING}")(inputs)
    else:
        inputs = keras.Input(batch_shape=(batch_size, length, spec.num_features), dtype="float32", name=name)
        x = layers.Masking(mask_value=0.0, name=f"{prefix}{MASKING}")(inputs)
    if spec.embedding_dropout > 0:
        x = layers.SpatialDropout1D(spec.embedding_dropout, name=f"{prefix}{EMBEDDING_DROPOUT}")(x)
    return inputs, x


def token_embedding(tokens, vocab_size: int, spec: ModelSpec, *, name: str, graph: ExportGraph | None = None):
    """Embeds decoder-side token ids with padding id 0 masked (unless an export rebuild drops Keras masks)."""
    x = layers.Embedding(vocab_size, spec.embedding_dim, mask_zero=graph is None or graph.keras_masks,
                         name=name)(tokens)
    if spec.embedding_dropout > 0:
        x = layers.SpatialDropout1D(spec.embedding_dropout, name=f"{name}_dropout")(x)
    return x


def recurrent_layer(spec: ModelSpec, name: str, *, return_sequences: bool, return_state: bool = False,
                    bidirectional: bool = False, stateful: bool = False,
                    graph: ExportGraph | None = None) -> layers.Layer:
    """One SimpleRNN/LSTM/GRU layer, wrapped in Bidirectional when asked, named `name`.

    A `stateful` layer starts each batch from the state the previous batch
    ended in (row i continues row i), until `reset_state()`. An export
    rebuild (`graph`) unrolls it when asked and never takes the cuDNN kernel.
    """
    options = {}
    if graph is not None:
        options["unroll"] = graph.unroll
        if spec.cell != "rnn":
            options["use_cudnn"] = False
    cell = CELL_LAYERS[spec.cell](
        spec.units,
        return_sequences=return_sequences,
        return_state=return_state,
        recurrent_dropout=spec.recurrent_dropout,
        stateful=stateful,
        name=name,
        **options,
    )
    if bidirectional:
        layer = layers.Bidirectional(cell, merge_mode="concat", name=name)
        if graph is not None and graph.unroll:
            # Keras 3.15's unrolled loop zeroes a backward layer's masked outputs with the mask in input order
            # while the outputs are in processing (reversed) order, so real steps become zeros. Its masked
            # steps come first and hold the zero output before them anyway: no zeroing is needed.
            layer.backward_layer.zero_output_for_mask = False
        return layer
    return cell


def states_per_layer(spec: ModelSpec) -> int:
    """How many state tensors one direction of a layer carries (LSTM: h and c)."""
    return 2 if spec.cell == "lstm" else 1


def state_kinds(spec: ModelSpec) -> tuple[str, ...]:
    """The names of one direction's states, as layer names spell them: ("h", "c") for an LSTM, ("h",) otherwise."""
    return ("h", "c")[: states_per_layer(spec)]


def recurrent_name(spec: ModelSpec, index: int, prefix: str = "") -> str:
    """The name of recurrent layer `index` (from 1) of a stack: `{prefix}{cell}_{index}`, e.g. `decoder_gru_1`."""
    return f"{prefix}{spec.cell}_{index}"


def recurrent_stack(x, spec: ModelSpec, *, prefix: str, return_sequences: bool, bidirectional: bool,
                    initial_states=None, return_state: bool = False, stateful: bool = False,
                    graph: ExportGraph | None = None, mask=None):
    """`num_layers` stacked recurrent layers named `{prefix}{cell}_{i}`.

    Dropout (if any) sits between layers. With `return_state`, returns
    `(outputs, [states of layer 1, states of layer 2, ...])`, each a list of
    tensors (Bidirectional: forward states then backward states). `mask`, if
    given, is passed to every layer: Keras 3.15 drops the embedding's mask of
    a layer called with `initial_state`, which then runs over padded steps too.
    """
    all_states = []
    for index in range(1, spec.num_layers + 1):
        last = index == spec.num_layers
        layer = recurrent_layer(
            spec, recurrent_name(spec, index, prefix),
            return_sequences=True if not last else return_sequences,
            return_state=return_state, bidirectional=bidirectional, stateful=stateful, graph=graph,
        )
        init = initial_states[index - 1] if initial_states is not None else None
        options = {"mask": mask} if mask is not None else {}
        result = layer(x, initial_state=init, **options) if init is not None else layer(x, **options)
        if return_state:
            x, states = result[0], list(result[1:])
            all_states.append(states)
        else:
            x = result
        if spec.dropout > 0 and not last:
            x = layers.Dropout(spec.dropout, name=f"{prefix}dropout_{index}")(x)
    return (x, all_states) if return_state else x


def step_recurrent_stack(model: keras.Model, spec: ModelSpec, y, *, prefix: str,
                         graph: ExportGraph | None = None) -> tuple[list, object, list]:
    """One step of a trained unidirectional stack (`{prefix}{cell}_{i}`), as new Keras graph pieces.

    Returns `(state inputs, output, new states)`: each trained layer's cell is
    wrapped in a new RNN layer that also returns its states, so the step model
    shares the trained weights (no copy: training the model changes the step).
    An export rebuild (`graph`) unrolls the step when asked.
    """
    state_inputs, states_out = [], []
    for index in range(1, spec.num_layers + 1):
        trained = model.get_layer(recurrent_name(spec, index, prefix))
        states_in = [keras.Input(shape=(spec.units,), name=DECODER_STATE_INPUT.format(index=index, k=k))
                     for k in range(states_per_layer(spec))]
        state_inputs += states_in
        result = layers.RNN(trained.cell, return_sequences=True, return_state=True, unroll=bool(graph and graph.unroll),
                            name=f"step_{trained.name}")(y, initial_state=states_in)
        y, states = result[0], list(result[1:])
        states_out += states
    return state_inputs, y, states_out


class InferenceModels(NamedTuple):
    """The Keras models that decoding or sampling runs, made from a trained model's layers.

    `encoder` maps the model's condition (a source, an image) to the first
    search state, `None` where the state starts at zeros (a language model);
    `step` advances the search state by one token. Each builder module
    documents the inputs and outputs of its own pair.
    """

    step: keras.Model
    encoder: keras.Model | None = None


def head_layer(model: keras.Model) -> layers.Layer:
    """The final Dense layer of any model the builders made."""
    return model.get_layer(HEAD)


def set_named_weights(model: keras.Model, weights: dict[str, list]) -> None:
    """Sets the weights of layers by name, e.g. `{EMBEDDING: [vectors]}` for starting word vectors."""
    for name, values in weights.items():
        model.get_layer(name).set_weights(values)


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


def output_head(x, spec: ModelSpec, width: int, *, activation: str | None = None, name: str = HEAD):
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

        loss = CRFLoss()
        loss.bind(model)  # finds the model's CRF layer by its type
    model.compile(optimizer=make_optimizer(cfg.train, total_steps), loss=loss, metrics=metrics)
    return model
