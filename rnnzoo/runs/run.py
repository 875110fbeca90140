"""A run folder as an object: its config, model, history and metrics, and what it can do.

    run = rnnzoo.load_run("runs/imdb")
    run.predict(["A moving, beautifully acted film."])
    run.export("exported/imdb")                   # SavedModel that serves raw strings
    run.export("imdb.keras", format="keras")     # .keras file with the preprocessing inside
    run.export("imdb-onnx", format="onnx")        # model.onnx and preprocessing.json
    run.export("imdb-litert", format="litert", length=200, quantize="int8")  # model.tflite, built-in ops only
    rnnzoo.load_run("runs/shakespeare").generate("ROMEO:", length=500, temperature=0.8, seed=7)
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path
from typing import Any

from rnnzoo import export
from rnnzoo.config import Config
from rnnzoo.errors import ConfigError, RnnzooError, RunFolderError
from rnnzoo.runs.folder import TASK_STATE_FILE, RunFolder
from rnnzoo.tasks.base import DECODE, EXPORT, GENERATE, Prepared


class Run:
    """A finished (or interrupted) run folder: its config, metrics, history, model and task, read through `RunFolder`."""

    def __init__(self, run_dir):
        self.dir = Path(run_dir)
        if not self.dir.is_dir():
            raise RunFolderError(f"Run folder not found: {self.dir}")
        self.folder = RunFolder(self.dir)

    def __repr__(self) -> str:
        return f"Run({str(self.dir)!r})"

    @functools.cached_property
    def config(self) -> Config:
        return self.folder.read_config()

    @functools.cached_property
    def metrics(self) -> dict[str, Any]:
        return self.folder.read_metrics()

    @functools.cached_property
    def history(self) -> list[dict[str, Any]]:
        return self.folder.read_history(required=True)

    @functools.cached_property
    def model(self):
        """The trained core model (token ids in), loaded with `safe_mode=True`."""
        return self.folder.load_model()

    @functools.cached_property
    def task(self):
        """The task value built from the run's config and saved state (vocabularies, scales)."""
        self.folder.require(TASK_STATE_FILE)
        return self.folder.read_task(self.config)

    @property
    def capabilities(self) -> frozenset[str]:
        """What this run can do: "predict", and "decode", "generate" or "export" as its task declares."""
        from rnnzoo.tasks import task_class

        return task_class(self.config).capabilities

    def predict(self, inputs) -> list[dict[str, Any]]:
        """One result per raw input, in order (for sentiment: label, probability, probabilities)."""
        return self.task.predict(self.model, inputs)

    def decode(self, inputs, beam_width: int = 1, **options: Any) -> list[dict[str, Any]]:
        """Seq2seq and captioning: one decoded result per input, in order (`output` text, `tokens`, `score`, `ended`).

        Inputs are source texts (seq2seq) or images (captioning: file paths or
        (height, width, channels) arrays). `beam_width=1` is greedy search;
        options: `max_length`, `length_penalty`, and for seq2seq
        `return_attention` (attention weights, output steps x source tokens).
        """
        if DECODE not in self.capabilities:
            raise RnnzooError(f"{self.dir}: decode needs a seq2seq model or a captioner; this run is {self.config.io!r} "
                              f"(task {self.config.task!r}). Use predict.")
        return self.task.decode(self.model, inputs, beam_width=beam_width, **options)

    def generate(self, prompt: str = "", length: int = 200, temperature: float = 1.0, top_k: int = 0,
                 seed: int | None = None, *, num_samples: int | None = None) -> str | list[str]:
        """Text a language model writes after `prompt`, one token per recurrent step (O(length)).

        Args:
            prompt: primes the state (any length; characters never seen in training
                map to the out-of-vocabulary id). Empty: start from the model's start
                state, the first character drawn from the training text's frequencies.
            length: tokens to generate, 1 to `rnnzoo.inference.sampling.MAX_LENGTH`.
            temperature: 0 is greedy; higher is more varied.
            top_k: sample among the k most likely tokens only; 0 keeps every token.
            seed: makes the output reproducible; None draws a fresh one.
            num_samples: None returns one string; an integer returns that many
                independent samples as a list, generated together.

        Returns:
            The generated continuation (the prompt not repeated), or a list of them.
        """
        if GENERATE not in self.capabilities:
            raise ConfigError(f"{self.config.name!r} (task {self.config.task!r}) is not a language model; "
                              "generate needs one such as char_lstm.")
        texts = self.task.generate(self.model, prompt, length=length, temperature=temperature, top_k=top_k,
                                   seed=seed, num_samples=1 if num_samples is None else num_samples)
        return texts[0] if num_samples is None else texts

    def evaluate(self, *, data_dir=None, download: bool | None = None) -> dict[str, Any]:
        """Loss and metrics on the test split, and the task's summary figures (BLEU, exact match) as in metrics.json.

        `data_dir` defaults to where the run was trained from, as its metrics.json records it; that
        path comes from the run folder, so the line on stderr says which one is read.
        """
        if data_dir is None:
            data_dir = self.folder.data_dir()
            if data_dir is not None:
                print(f"rnnzoo: reading the test split from {data_dir} (where {self.dir} was trained from; "
                      "--data-dir chooses another)", file=sys.stderr)
        test = self.task.test_split(data_dir=data_dir, download=download)
        with warnings.catch_warnings():  # Keras warns at the end of every tf.data split of unknown length
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            results: dict[str, Any] = {k: float(v) for k, v in
                                       self.model.evaluate(test, return_dict=True, verbose=0).items()}
        evaluation = self.task.test_evaluation(data_dir=data_dir, download=download)
        if evaluation:  # what metrics.json holds beyond the loss: BLEU, exact match of decoded outputs
            results.update(self.task.summary_metrics(self.model, Prepared.for_evaluation(evaluation)))
        return results

    def export(self, path=None, *, format: str = "savedmodel", length: int | None = None,
               quantize: str | None = None) -> Path:
        """Writes an export of the run, atomically; returns its path (default: inside the run folder).

        "savedmodel" and "keras" take raw inputs. "onnx" and "litert" write a
        folder of graphs (forward, or encoder and decoding step) and
        `preprocessing.json` for a client that tokenizes and searches itself
        (docs/export.md); "litert" unrolls the recurrent layers at `length`
        steps, and `quantize="int8"` stores int8 weights (dynamic range).
        """
        export.check_format(format, length=length, quantize=quantize)
        if format in export.PORTABLE_FORMATS:
            export.require(format)  # before the model loads: a missing extra is one line at once
        if EXPORT not in self.capabilities:
            raise RnnzooError(self.task.export_refusal)
        path = path if path is not None else self.folder.export_path(format)
        if format in export.PORTABLE_FORMATS:
            return export.export_portable(self.task, self.model, path, format=format, length=length, quantize=quantize)
        serving = self.task.serving_model(self.model)
        return export.export_model(serving, path, format)


def load_run(run_dir) -> Run:
    """The run folder written by `rnnzoo.train` or `rnnzoo train`."""
    return Run(run_dir)
