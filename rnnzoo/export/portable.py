"""ONNX and LiteRT exports: the graphs a client runs, and the JSON of preprocessing beside them.

A portable export is a folder: one model file per graph and
`preprocessing.json`. A graph is a forward pass (classifiers, taggers,
tracker, adding) or the models a client's search loop runs (a language
model's step; a seq2seq or captioning encoder and its one-token decoder
step). Tokenization, vocabulary lookups, search and Viterbi stay with the
client: the JSON holds the task's preprocessing state (vocabularies,
lengths, scales) and what decoding needs (special ids, Viterbi potentials,
start logits), and names every file's inputs and outputs.

Each graph is the trained model rebuilt by its builder (`rnnzoo.builders.rebuilt_model`,
weights copied by layer name) as the format needs it
(`rnnzoo.builders.common.ExportGraph`): for ONNX, token LSTM models without
Keras masks, so that each layer becomes one fused ONNX `LSTM` op that is
then given each row's length (`rnnzoo.export.onnx`); for LiteRT, every
recurrent layer unrolled at a fixed length, masks kept
(`rnnzoo.export.litert`). The converters are imported only here, on
request; without them the request is one line naming the extra to install.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
from pathlib import Path
from typing import Any, Callable

from rnnzoo import files
from rnnzoo._version import __version__
from rnnzoo.errors import ConfigError

PORTABLE_FORMATS = ("onnx", "litert")
QUANTIZATIONS = ("int8",)
INSTALL = 'pip install "rnnzoo[export]"'
PREPROCESSING_FILE = "preprocessing.json"
SUFFIXES = {"onnx": ".onnx", "litert": ".tflite"}
# The Python modules each format needs, from the `export` extra.
_REQUIRED = {"onnx": ("tf2onnx", "onnx", "onnxruntime"), "litert": ("ai_edge_litert",)}


@dataclasses.dataclass
class Graph:
    """One file of an export: a Keras model whose outputs are a dict by name.

    `lengths_from` names the ids input whose non-zero entries count each row's
    real steps (right padding), for an ONNX graph built without Keras masks.
    """

    stem: str
    model: Any
    lengths_from: str | None = None


def check_request(format: str, length, quantize) -> None:
    """One-line ConfigErrors for a portable export's arguments, before anything is loaded."""
    if format == "litert" and length is None:
        raise ConfigError("A LiteRT export unrolls the recurrent layers at a fixed length: pass length=N "
                          "(`--length N`, e.g. 200 tokens). Received: length=None")
    if format == "onnx" and length is not None:
        raise ConfigError(f"`length` applies to format='litert' only: an ONNX export reads any length. "
                          f"Received: length={length!r}")
    if length is not None and (isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 10_000):
        raise ConfigError(f"`length` must be an integer from 1 to 10,000. Received: length={length!r}")
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise ConfigError(f"`quantize` must be one of {', '.join(QUANTIZATIONS)} (or None for float32). "
                          f"Received: quantize={quantize!r}")


def require(format: str) -> None:
    """A ConfigError naming the extra to install unless the converter and runtime of `format` import."""
    for module in _REQUIRED[format]:
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise ConfigError(f"The {format} export needs the `export` extra ({error.name or module} is missing): "
                              f"{INSTALL}") from None


def export_portable(task, core, path: str | Path, *, format: str, length: int | None = None,
                    quantize: str | None = None) -> Path:
    """Writes the folder of `format` ("onnx" or "litert") for a trained `core` of `task`, atomically."""
    check_request(format, length, quantize)
    kind = task.cfg.task
    if kind not in KINDS:
        raise ConfigError(f"{format} export covers the task kinds {', '.join(sorted(KINDS))}; "
                          f"model {task.cfg.name!r} is a {kind} model. Received: format={format!r}")
    require(format)
    writer = importlib.import_module(f"rnnzoo.export.{format}")
    graphs, facts = KINDS[kind](task, core, writer.export_graph(task.cfg, length))
    if format == "litert" and length != 1:
        graphs += KIND_EXTRAS.get(kind, lambda *_: [])(task, core, writer.export_graph(task.cfg, 1))
    path = Path(path)
    with files.atomic_directory(path) as temporary:
        described = {}
        for graph in graphs:
            described[graph.stem + SUFFIXES[format]] = writer.write(
                graph, temporary / (graph.stem + SUFFIXES[format]), quantize=quantize)
        sidecar = {"model": task.cfg.name, "task": kind, "format": format, "length": length, "quantize": quantize,
                   "rnnzoo_version": __version__, "files": described, "preprocessing": task.state(), **facts}
        (temporary / PREPROCESSING_FILE).write_text(json.dumps(_json_ready(sidecar), ensure_ascii=False, indent=1),
                                                    encoding="utf-8")
    return path


def _json_ready(value):
    """-inf (an impossible score) as None: JSON has no infinities."""
    if isinstance(value, float) and math.isinf(value):
        return None
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if hasattr(value, "tolist"):
        return _json_ready(value.tolist())
    return value


def named_outputs(model, names: list[str]):
    """`model` with its outputs in a dict by `names` (the file's output names)."""
    import keras

    outputs = model.outputs
    if len(names) != len(outputs):
        raise ValueError(f"{len(outputs)} outputs of {model.name!r}, {len(names)} names: {names}")
    return keras.Model(model.inputs, dict(zip(names, outputs)), name=model.name)


def _state_names(step, first: list[str], last: list[str] = ()) -> list[str]:
    """The names of a step model's state inputs: its last inputs, one per output between `first` and `last`."""
    count = len(step.outputs) - len(first) - len(last)
    return [tensor.name for tensor in step.inputs[len(step.inputs) - count:]]


def _step_output_names(step, first: list[str], last: list[str] = ()) -> list[str]:
    """A step model's outputs: `first`, then each state input's next value (`next_` + its name), then `last`."""
    return [*first, *(f"next_{name}" for name in _state_names(step, first, last)), *last]


# ---- one function per task kind: (graphs, facts for the JSON) ------------------------------------------

def _forward(output: str) -> Callable:
    def graphs(task, core, graph):
        from rnnzoo.builders import rebuilt_model

        model = rebuilt_model(core, task.cfg, graph)
        lengths_from = model.inputs[0].name if not graph.keras_masks else None
        return [Graph("model", named_outputs(model, [output]), lengths_from)], {}
    return graphs


def _classifier(task, core, graph):
    from rnnzoo.preprocessing.vocabulary import PUNCTUATION

    graphs, _ = _forward("scores")(task, core, graph)
    sigmoid = task.cfg.model.num_classes == 1
    return graphs, {"scores": "P(labels[1]) per row, shape (batch, 1)" if sigmoid else "P(label) per row and label",
                    # rnnzoo.layers.text.standardize_text: lower-case, then each pattern becomes a space; split on
                    # white space; vocabulary index = id (0 padding, 1 unknown); keep max_length tokens (truncate).
                    "standardize": {"lower": True, "to_space": [r"<br\s*/?>", PUNCTUATION]}}


def _tagger(task, core, graph):
    graphs, _ = _forward("emissions")(task, core, graph)
    serving = task.serving_model(core)
    return graphs, {"emissions": "softmax probabilities (their logs are Viterbi's scores)" if serving.softmax
                    else "CRF emission scores", "max_word_chars": serving.max_word_chars,
                    "viterbi": {"transitions": serving.transitions, "start": serving.start, "end": serving.end}}


def _tracker(task, core, graph):
    graphs, _ = _forward("scaled_offsets")(task, core, graph)
    return graphs, {"scaled_offsets": "(true position - last detection) / preprocessing.scale at each step"}


def _language_model(task, core, graph):
    from rnnzoo.builders import rebuilt_inference_models

    step = rebuilt_inference_models(core, task.cfg, graph).step
    lengths_from = step.inputs[0].name if not graph.keras_masks else None
    stem = "prompt" if graph.unroll and graph.length != 1 else "step"
    graphs = [Graph(stem, named_outputs(step, _step_output_names(step, ["logits"])), lengths_from)]
    return graphs, {"start_logits": task.vocabulary.start_logits(),
                    "logits": "next-character logits at each step; read them at each row's last real step"}


def _language_model_step(task, core, graph):
    """LiteRT: the one-character step beside the prompt model (an unrolled graph reads a fixed length)."""
    return _language_model(task, core, graph)[0]


def _decoder(task, core, graph, encoder_outputs: Callable):
    from rnnzoo.builders import rebuilt_inference_models

    models = rebuilt_inference_models(core, task.cfg, graph)
    step_extra = ["attention"] if task.cfg.io == "seq2seq" and task.cfg.model.attention != "none" else []
    states = _state_names(models.step, ["probabilities"], step_extra)
    step = named_outputs(models.step, _step_output_names(models.step, ["probabilities"], step_extra))
    encoder = named_outputs(models.encoder, encoder_outputs(states))
    # A seq2seq encoder reads padded source ids; a captioning encoder reads an image (no recurrent layer).
    lengths_from = models.encoder.inputs[0].name if not graph.keras_masks and task.cfg.io == "seq2seq" else None
    return [Graph("encoder", encoder, lengths_from), Graph("decoder_step", step)]


def _seq2seq(task, core, graph):
    from rnnzoo.preprocessing.vocabulary import END, PAD, START, UNKNOWN

    def encoder_outputs(states):  # named as the step inputs they feed
        return (["values", "keys"] if task.cfg.model.attention != "none" else []) + states

    serving = task.serving_model(core)
    return _decoder(task, core, graph, encoder_outputs), {
        "special_ids": {"pad": PAD, "unknown": UNKNOWN, "start": START, "end": END},
        "max_output_length": serving.max_output_length}


def _captioning(task, core, graph):
    from rnnzoo.preprocessing.vocabulary import END, PAD, START, UNKNOWN

    def encoder_outputs(states):  # named as the step inputs they feed
        # Without init_state conditioning the encoder gives the vector only, and the states start at zeros.
        return ["vector", *states] if task.cfg.model.conditioning in ("init_state", "both") else ["vector"]

    serving = task.serving_model(core)
    return _decoder(task, core, graph, encoder_outputs), {
        "special_ids": {"pad": PAD, "unknown": UNKNOWN, "start": START, "end": END},
        "image_size": serving.image_size, "image_channels": serving.image_channels,
        "max_output_length": serving.max_output_length}


KINDS: dict[str, Callable] = {
    "text_classification": _classifier,
    "tagging": _tagger,
    "tracking": _tracker,
    "adding": _forward("sum"),
    "language_model": _language_model,
    "seq2seq": _seq2seq,
    "captioning": _captioning,
}
# LiteRT graphs at length 1 beside those at the requested length.
KIND_EXTRAS: dict[str, Callable] = {"language_model": _language_model_step}
