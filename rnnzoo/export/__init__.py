"""Export of a trained run's serving model (raw inputs in): a SavedModel folder or a `.keras` file; ONNX and LiteRT.

Each format is one function that writes atomically: a reader sees the old
export or the new one, never half of either. `Run.export` asks the task for
its serving model and calls `export_model`. A task hands over a Keras model
that takes raw inputs (the adding models), or a description
(`rnnzoo.tasks.serving`) whose graph a module here writes: `seq2seq`,
`captioning` (search in the graph), `char_lm` (generation), `tagging`
(Viterbi), `classifier` (label strings), `tracking` (input features), on the
searches of `graph_search` and the text ops of `text_graph`. A `.keras` file
holds one Keras model: the description's forward model where it has one,
else a clear refusal. ONNX and LiteRT folders (`portable`) hold the forward
or encoder and step graphs and the preprocessing as JSON, for a client that
runs its own search loop; their converters are imported only on request.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from rnnzoo import files
from rnnzoo.errors import ConfigError
from rnnzoo.export.portable import PORTABLE_FORMATS, check_request, export_portable, require
from rnnzoo.tasks.serving import GraphServing

EXPORT_FORMATS = ("savedmodel", "keras", *PORTABLE_FORMATS)


def check_format(format: str, *, length=None, quantize=None) -> None:
    """A ConfigError naming the formats unless `format` is one of them and `length`/`quantize` fit it."""
    if format not in EXPORT_FORMATS:
        raise ConfigError(f"`format` must be one of {', '.join(EXPORT_FORMATS)}. Received: format={format!r}")
    if format in PORTABLE_FORMATS:
        check_request(format, length, quantize)
    elif length is not None or quantize is not None:
        raise ConfigError(f"`length` and `quantize` apply to format='onnx' or 'litert' only. "
                          f"Received: format={format!r}, length={length!r}, quantize={quantize!r}")


def export_savedmodel(serving, path: str | Path) -> Path:
    """A TensorFlow SavedModel folder at `path` (replacing an old one whole)."""
    path = Path(path)
    with files.atomic_directory(path) as temporary:
        if isinstance(serving, GraphServing):
            module, function = serving.writer.split(":")  # imported here: importing rnnzoo.export loads no Keras
            getattr(importlib.import_module(f"rnnzoo.export.{module}"), function)(serving, temporary)
        else:
            serving.export(str(temporary), format="tf_saved_model", verbose=False)
    return path


def export_keras(serving, path: str | Path) -> Path:
    """A `.keras` file at `path`; the preprocessing layers are inside it."""
    path = Path(path)
    if isinstance(serving, GraphServing):
        if serving.keras_model() is None:
            raise ConfigError(f"A .keras file holds one Keras model; {serving.name!r} serves through {serving.loop}, "
                              "which only a SavedModel carries: use format='savedmodel'. Received: format='keras'")
        serving = serving.keras_model()
    if path.suffix != ".keras":
        raise ConfigError(f"A keras export needs a path ending in .keras. Received: path={str(path)!r}")
    with files.atomic_path(path) as temporary:
        serving.save(temporary)
    return path


_WRITERS = {"savedmodel": export_savedmodel, "keras": export_keras}

__all__ = ["EXPORT_FORMATS", "PORTABLE_FORMATS", "check_format", "export_keras", "export_model", "export_portable",
           "export_savedmodel", "require"]


def export_model(serving, path: str | Path, format: str = "savedmodel") -> Path:
    """Writes `serving` (a Keras model that takes raw inputs, or a description) to `path` in "savedmodel" or "keras"."""
    check_format(format)
    if format not in _WRITERS:
        raise ConfigError(f"{format} exports are written from a task and its trained model: use Run.export. "
                          f"Received: format={format!r}")
    return _WRITERS[format](serving, path)
