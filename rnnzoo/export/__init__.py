"""Export of a trained run's serving model (raw inputs in): a SavedModel folder or a `.keras` file.

Each format is one function that writes atomically: a reader sees the old
export or the new one, never half of either. `Run.export` builds the serving
model (the task's preprocessing in front of the trained core) and calls `export_model`.
A task whose answer comes from a loop (a seq2seq search, a language model's
generation) hands over a description instead (`rnnzoo.tasks.serving`), and a
module here writes its graph (`seq2seq`, `char_lm`). A `.keras` file holds no
loop: it gets the forward model where there is one, else a clear refusal.
"""

from __future__ import annotations

from pathlib import Path

from rnnzoo import files
from rnnzoo.errors import ConfigError
from rnnzoo.tasks.serving import (
    CaptionServing, CharLanguageModelServing, ClassifierServing, Seq2SeqServing, TaggerServing, TrackerServing,
)

EXPORT_FORMATS = ("savedmodel", "keras")


def check_format(format: str) -> None:
    """A ConfigError naming the formats unless `format` is one of them."""
    if format not in EXPORT_FORMATS:
        raise ConfigError(f"`format` must be one of {', '.join(EXPORT_FORMATS)}. Received: format={format!r}")


def _graph_writer(serving):
    """The function that writes the SavedModel of a task's serving description; None for a Keras model."""
    if isinstance(serving, Seq2SeqServing):
        from rnnzoo.export.seq2seq import write_seq2seq

        return write_seq2seq
    if isinstance(serving, CharLanguageModelServing):
        from rnnzoo.export.char_lm import write_char_lm

        return write_char_lm
    if isinstance(serving, TaggerServing):
        from rnnzoo.export.tagging import write_tagger

        return write_tagger
    if isinstance(serving, ClassifierServing):
        from rnnzoo.export.classifier import write_classifier

        return write_classifier
    if isinstance(serving, CaptionServing):
        from rnnzoo.export.captioning import write_captioner

        return write_captioner
    if isinstance(serving, TrackerServing):
        from rnnzoo.export.tracking import write_tracker

        return write_tracker
    return None


def export_savedmodel(serving, path: str | Path) -> Path:
    """A TensorFlow SavedModel folder at `path` (replacing an old one whole)."""
    path = Path(path)
    writer = _graph_writer(serving)
    with files.atomic_directory(path) as temporary:
        if writer is not None:
            writer(serving, temporary)
        else:
            serving.export(str(temporary), format="tf_saved_model", verbose=False)
    return path


def export_keras(serving, path: str | Path) -> Path:
    """A `.keras` file at `path`; the preprocessing layers are inside it."""
    path = Path(path)
    if isinstance(serving, (Seq2SeqServing, TaggerServing, CaptionServing)):
        raise ConfigError(f"A keras export holds one forward model; {serving.name!r} decodes with a loop (search "
                          "or Viterbi), which only a SavedModel carries: use format='savedmodel'. "
                          "Received: format='keras'")
    if isinstance(serving, CharLanguageModelServing):
        serving = serving.next_character  # generation is a loop: the .keras file predicts the next character
    if isinstance(serving, ClassifierServing):
        serving = serving.raw_text
    if isinstance(serving, TrackerServing):
        raise ConfigError(f"A keras export holds the model alone; {serving.name!r} computes its input features "
                          "from raw detections, which only a SavedModel carries: use format='savedmodel'. "
                          "Received: format='keras'")
    if path.suffix != ".keras":
        raise ConfigError(f"A keras export needs a path ending in .keras. Received: path={str(path)!r}")
    with files.atomic_path(path) as temporary:
        serving.save(temporary)
    return path


_WRITERS = {"savedmodel": export_savedmodel, "keras": export_keras}


def export_model(serving, path: str | Path, format: str = "savedmodel") -> Path:
    """Writes `serving` (a Keras model that takes raw inputs) to `path` in `format`; returns the path."""
    check_format(format)
    return _WRITERS[format](serving, path)
