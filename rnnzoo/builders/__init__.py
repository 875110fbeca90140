"""One generic builder per I/O configuration, and `build_model` to pick it.

Each builder module also makes the inference models of a trained model
(`inference_models`): the Keras models that greedy and beam search or
sampling run, made of the trained layers, found by the layer names that
module defines once.
"""

from __future__ import annotations

import keras

from rnnzoo.builders.aligned import aligned_inference_models, build_aligned
from rnnzoo.builders.common import ExportGraph, InferenceModels, compile_model, copy_weights_by_name, warn_if_not_fused
from rnnzoo.builders.many_to_one import build_many_to_one
from rnnzoo.builders.memory import check_memory
from rnnzoo.builders.one_to_many import build_one_to_many, one_to_many_inference_models
from rnnzoo.builders.seq2seq import build_seq2seq, seq2seq_inference_models
from rnnzoo.config import Config
from rnnzoo.builders.precision import precision_scope
from rnnzoo.errors import RnnzooError

BUILDERS = {
    "many_to_one": build_many_to_one,
    "aligned": build_aligned,
    "one_to_many": build_one_to_many,
    "seq2seq": build_seq2seq,
}

# A many-to-one model answers in one forward pass: it has no step model.
INFERENCE_BUILDERS = {
    "aligned": aligned_inference_models,  # language models only (unidirectional, over tokens)
    "one_to_many": one_to_many_inference_models,
    "seq2seq": seq2seq_inference_models,
}


def build_model(cfg: Config, *, compile: bool = True) -> keras.Model:
    """The Functional model for a validated config (mixed precision if `train.mixed_precision`), compiled unless `compile=False`."""
    check_memory(cfg)  # before Keras allocates anything: units=1e9 is one line, not an OOM deep inside
    warn_if_not_fused(cfg.model, cfg.name)
    with precision_scope(cfg.train.mixed_precision):  # layers take their dtype policy when created
        model = BUILDERS[cfg.io](cfg)
    if compile:
        compile_model(model, cfg)
    return model


def inference_models(model: keras.Model, cfg: Config, graph: ExportGraph | None = None) -> InferenceModels:
    """The encoder and step models of a trained model (see each builder module for their inputs and outputs).

    `graph`: `model` is an export rebuild (`rebuilt_model`) and the step models are built the same way.

    Raises:
        RnnzooError: the configuration decodes nothing step by step (a
            many-to-one model, a bidirectional or feature-input aligned model).
    """
    if cfg.io not in INFERENCE_BUILDERS:
        raise RnnzooError(f"A {cfg.io} model has no step model; it answers in one forward pass. "
                          f"Received: {cfg.name!r} (io={cfg.io!r})")
    return INFERENCE_BUILDERS[cfg.io](model, cfg, graph=graph)


def rebuilt_model(trained: keras.Model, cfg: Config, graph: ExportGraph) -> keras.Model:
    """The trained model built again for an ONNX or LiteRT export (`ExportGraph`), its weights copied by layer name.

    float32 whatever the training precision; no dropout runs at inference.
    """
    model = BUILDERS[cfg.io](cfg, graph=graph)
    copy_weights_by_name(trained, model)
    return model


def rebuilt_inference_models(trained: keras.Model, cfg: Config, graph: ExportGraph) -> InferenceModels:
    """The encoder and step models of `rebuilt_model(trained, cfg, graph)`: what a client's search loop runs."""
    return inference_models(rebuilt_model(trained, cfg, graph), cfg, graph)
