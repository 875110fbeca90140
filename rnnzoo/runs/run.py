"""A run folder as an object: its config, model, history and metrics, and what it can do.

    run = rnnzoo.load_run("runs/imdb")
    run.predict(["A moving, beautifully acted film."])
    run.export("exported/imdb")                   # SavedModel that serves raw strings
    run.export("imdb.keras", format="keras")     # .keras file with the preprocessing inside
    rnnzoo.load_run("runs/shakespeare").generate("ROMEO:", length=500, temperature=0.8, seed=7)
"""

from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path
from typing import Any

from rnnzoo import files
from rnnzoo.config import Config, from_dict
from rnnzoo.errors import ConfigError, RnnzooError, RunFolderError

EXPORT_FORMATS = ("savedmodel", "keras")


class Run:
    def __init__(self, run_dir):
        self.dir = Path(run_dir)
        if not self.dir.is_dir():
            raise RunFolderError(f"Run folder not found: {self.dir}")

    def __repr__(self) -> str:
        return f"Run({str(self.dir)!r})"

    def _file(self, name: str) -> Path:
        path = self.dir / name
        if not path.exists():
            raise RunFolderError(
                f"{self.dir}: missing {name}; the run is incomplete (train again with --out {self.dir} to resume)")
        return path

    def _json(self, name: str) -> Any:
        path = self._file(name)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise RunFolderError(f"{path}: not readable JSON ({err})") from None

    @functools.cached_property
    def config(self) -> Config:
        raw = self._json("config.json")
        try:
            return from_dict(raw)
        except ConfigError as err:
            raise RunFolderError(f"{self.dir / 'config.json'}: {err}") from None

    @functools.cached_property
    def metrics(self) -> dict[str, Any]:
        return self._json("metrics.json")

    @functools.cached_property
    def history(self) -> list[dict[str, Any]]:
        from rnnzoo.runs.folder import read_history

        return read_history(self._file("history.csv"))

    @functools.cached_property
    def model(self):
        """The trained core model (token ids in), loaded with `safe_mode=True`."""
        import keras

        from rnnzoo.layers import bind_crf_loss  # importing rnnzoo.layers registers every custom object

        path = self._file("model.keras")
        try:
            model = keras.saving.load_model(path, safe_mode=True)
            bind_crf_loss(model)
            return model
        except (ValueError, OSError, TypeError, KeyError, zipfile.BadZipFile) as err:
            if "arbitrary code execution" in str(err):  # Keras' safe_mode refusal (Lambda layers, pickled code)
                raise RunFolderError(
                    f"{path}: refused: it holds Python code (a Lambda layer or a serialized function), and rnnzoo "
                    "loads models with safe_mode=True, so it never runs code from a model file") from None
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise RunFolderError(f"{path}: cannot be loaded ({reason})") from None

    @functools.cached_property
    def task(self):
        from rnnzoo.tasks import task_class

        self._file("preprocessing.json")
        return task_class(self.config).restore(self.config, self.dir)

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
        from rnnzoo.tasks import task_class

        if not hasattr(task_class(self.config), "decode"):
            raise RnnzooError(f"{self.dir}: decode needs a seq2seq model or a captioner; this run is {self.config.io!r} "
                              f"(task {self.config.task!r}). Use predict.")
        return self.task.decode(self.model, inputs, beam_width=beam_width, **options)

    def generate(self, prompt: str = "", length: int = 200, temperature: float = 1.0, top_k: int = 0,
                 seed: int | None = None, *, num_samples: int | None = None):
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
        generate = getattr(self.task, "generate", None)
        if generate is None:
            raise ConfigError(f"{self.config.name!r} (task {self.config.task!r}) is not a language model; "
                              "generate needs one such as char_lstm.")
        texts = generate(self.model, prompt, length=length, temperature=temperature, top_k=top_k, seed=seed,
                         num_samples=1 if num_samples is None else num_samples)
        return texts[0] if num_samples is None else texts

    def evaluate(self, *, data_dir=None, download: bool | None = None) -> dict[str, float]:
        """Loss and metrics on the test split; `data_dir` defaults to where the run was trained from."""
        if data_dir is None:
            data_dir = self.metrics.get("data_source")
            if data_dir in ("tensorflow_datasets", "tensorflow_datasets (downloaded)"):
                data_dir = None
        test = self.task.test_split(data_dir=data_dir, download=download)
        return {k: float(v) for k, v in self.model.evaluate(test, return_dict=True, verbose=0).items()}

    def export(self, path=None, *, format: str = "savedmodel") -> Path:
        """Writes a model that takes raw inputs: a SavedModel folder or a `.keras` file, atomically."""
        if format not in EXPORT_FORMATS:
            raise ConfigError(f"`format` must be one of {', '.join(EXPORT_FORMATS)}. Received: format={format!r}")
        serving = self.task.serving_model(self.model)
        if format == "savedmodel":
            path = Path(path) if path is not None else self.dir / "savedmodel"
            with files.atomic_directory(path) as temporary:
                serving.export(str(temporary), format="tf_saved_model", verbose=False)
        else:
            path = Path(path) if path is not None else self.dir / "model_raw_input.keras"
            if path.suffix != ".keras":
                raise ConfigError(f"A keras export needs a path ending in .keras. Received: path={str(path)!r}")
            with files.atomic_path(path) as temporary:
                serving.save(temporary)
        return path


def load_run(run_dir) -> Run:
    """The run folder written by `rnnzoo.train` or `rnnzoo train`."""
    return Run(run_dir)
