"""What a training recipe needs from a task: data in, preprocessing state out, raw inputs served.

A task turns a config's data section into batched `tf.data` pipelines,
saves the preprocessing it adapted (vocabularies) into the run folder,
restores it later, and wraps a trained core model so it takes raw inputs
(text) for prediction and export.
"""

from __future__ import annotations

import abc
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any, Callable

from rnnzoo.config import Config
from rnnzoo.errors import DataError


@dataclasses.dataclass
class Prepared:
    """Batched splits and what the data decided."""

    train: Any
    validation: Any | None
    test: Any | None
    num_train: int
    overrides: dict[str, Any]  # config fields the data defines, e.g. the real vocabulary size
    info: dict[str, Any]       # facts recorded in metrics.json: source, sizes, padding
    test_sample: Any | None = None  # a fixed random sample of test, for frequent evaluations
    # How often each class of the head occurs among the training targets; when given,
    # training starts the head's bias at the log of these frequencies (training.start_head_at_prior).
    target_counts: Any | None = None
    # Computes starting weights for named layers (e.g. {"embedding": [vectors]}), set after the model is
    # built; called only when a run starts fresh (a resumed run loads its checkpoint's weights instead).
    initial_weights: Callable[[], dict[str, list]] | None = None


class Task(abc.ABC):
    """A task recipe; subclasses implement every abstract method."""

    state_file = "preprocessing.json"
    # Whether prepare() honours `model.embedding_init` (it needs the task's word ids).
    supports_embedding_init = False

    def __init__(self, cfg: Config):
        from rnnzoo.preprocessing.batching import DataEpoch

        self.cfg = cfg
        # Training pipelines read the epoch from here, so a resumed run sees the same data order.
        self.data_epoch = DataEpoch()

    @abc.abstractmethod
    def prepare(self, *, data_dir=None, download: bool | None = None) -> Prepared:
        """Loads the splits, adapts preprocessing on train only, returns batched pipelines."""

    def embedding_start(self, word_ids, vocab_size: int, info: dict[str, Any]) -> Callable[[], dict[str, list]] | None:
        """`Prepared.initial_weights` for `model.embedding_init` from the training split's word-id sequences.

        `word_ids` is iterated once, and only when the vectors are asked for. Records the
        seconds they took in `info` (benchmarks count them as training time).
        """
        if self.cfg.model.embedding_init == "random":
            return None
        from rnnzoo.builders.common import EMBEDDING
        from rnnzoo.preprocessing.word_vectors import ppmi_svd_embeddings

        def vectors() -> dict[str, list]:
            started = time.perf_counter()
            print(f"rnnzoo: counting word co-occurrences for PPMI-SVD embeddings ({vocab_size:,} words)",
                  file=sys.stderr)
            matrix = ppmi_svd_embeddings(word_ids, vocab_size, self.cfg.model.embedding_dim, seed=self.cfg.train.seed)
            info["embedding_init_seconds"] = time.perf_counter() - started
            print(f"rnnzoo: PPMI-SVD embeddings in {info['embedding_init_seconds']:.1f} s", file=sys.stderr)
            return {EMBEDDING: [matrix]}

        return vectors

    def training_model(self, cfg: Config):
        """The uncompiled model `fit` trains; a task may train a variant (e.g. stateful) of the named model."""
        from rnnzoo.builders import build_model

        return build_model(cfg, compile=False)

    def fit_callbacks(self) -> list:
        """Extra Keras callbacks the task's training needs (e.g. state resets)."""
        return []

    def trained_model(self, model, cfg: Config):
        """The model to save and serve, from the one `fit` trained (the same one unless the task trains a variant)."""
        return model

    def summary_metrics(self, model, prepared: Prepared) -> dict[str, Any]:
        """Task-specific figures for metrics.json, computed once after training (e.g. BLEU of decoded outputs)."""
        return {}

    @abc.abstractmethod
    def save(self, run_dir: Path) -> None:
        """Writes the adapted preprocessing state (vocabularies) into the run folder, atomically."""

    @classmethod
    @abc.abstractmethod
    def restore(cls, cfg: Config, run_dir: Path) -> "Task":
        """The task with the preprocessing state read back from a run folder."""

    @abc.abstractmethod
    def test_split(self, *, data_dir=None, download: bool | None = None):
        """The batched test split, for `rnnzoo evaluate`."""

    @abc.abstractmethod
    def serving_model(self, core):
        """A Functional model that takes raw inputs and runs the trained core."""

    @abc.abstractmethod
    def predict(self, core, inputs) -> list[dict[str, Any]]:
        """One result per raw input, in order."""

    @staticmethod
    @abc.abstractmethod
    def format_prediction(prediction: dict[str, Any]) -> str:
        """One line of text for one result (what `rnnzoo predict` prints)."""


class DecodingTask(Task):
    """A task whose outputs are decoded sequences (seq2seq, captioning): `predict` is `decode`, no export yet."""

    @abc.abstractmethod
    def decode(self, core, inputs, *, beam_width: int = 1, **options) -> list[dict[str, Any]]:
        """One decoded result per input, in order, each with its `output` text."""

    def serving_model(self, core):
        from rnnzoo.errors import RnnzooError

        raise RnnzooError(f"Export of {self.cfg.io} models is not supported yet (model {self.cfg.name!r}); "
                          "decode with `rnnzoo decode RUN_DIR` or Run.decode instead.")

    def predict(self, core, inputs) -> list[dict[str, Any]]:
        return self.decode(core, inputs)

    @staticmethod
    def format_prediction(prediction: dict[str, Any]) -> str:
        return prediction["output"]


def read_state(run_dir: Path, state_file: str, what: str, build):
    """`build(state)` of the JSON preprocessing state in a run folder; a missing or unreadable one is a RunFolderError.

    `what` names the state in the message (e.g. "the vocabularies").
    """
    import json

    from rnnzoo.errors import RunFolderError

    path = Path(run_dir) / state_file
    try:
        return build(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise RunFolderError(f"{run_dir}: missing {state_file} ({what}); train again with --out {run_dir}") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, UnicodeDecodeError) as err:
        raise RunFolderError(f"{path}: unreadable preprocessing state ({type(err).__name__}: {err})") from None


def check_texts(inputs) -> list[str]:
    """A non-empty list of strings (bytes are decoded, invalid UTF-8 and lone surrogates replaced)."""
    if isinstance(inputs, (str, bytes)):
        inputs = [inputs]
    texts = []
    for index, item in enumerate(inputs):
        if isinstance(item, bytes):
            item = item.decode("utf-8", errors="replace")
        if not isinstance(item, str):
            raise DataError(f"Inputs must be strings. Received: inputs[{index}]={item!r} of type {type(item).__name__}")
        # A lone surrogate ("\ud800", e.g. from a JSON escape) is not UTF-8; TensorFlow cannot encode it.
        texts.append(item.encode("utf-8", errors="replace").decode("utf-8"))
    if not texts:
        raise DataError("No inputs to predict: pass at least one text.")
    return texts
