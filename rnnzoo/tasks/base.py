"""What a training recipe needs from a task: data in, preprocessing state out, raw inputs served.

A task turns a config's data section into batched `tf.data` pipelines,
hands back the preprocessing it adapted (vocabularies) as a plain dict
(`state()`), is rebuilt from that dict (`from_state`), and wraps a trained
core model so it takes raw inputs (text) for prediction and export. The
run folder (`rnnzoo.runs.RunFolder`) writes and reads the state; a task
never opens a file of the run folder. What a task can do beyond `predict`
is declared in `capabilities`.
"""

from __future__ import annotations

import abc
import dataclasses
import sys
import time
from typing import Any, Callable

from rnnzoo.config import Config
from rnnzoo.errors import DataError, RnnzooError


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
    # Raw evaluation data that `summary_metrics` scores after training (e.g. test sentences to decode), by name.
    evaluation: dict[str, Any] = dataclasses.field(default_factory=dict)
    # How often each class of the head occurs among the training targets; when given,
    # training starts the head's bias at the log of these frequencies (training.start_head_at_prior).
    target_counts: Any | None = None
    # Computes starting weights for named layers (e.g. {"embedding": [vectors]}), set after the model is
    # built; called only when a run starts fresh (a resumed run loads its checkpoint's weights instead).
    initial_weights: Callable[[], dict[str, list]] | None = None

    @classmethod
    def for_evaluation(cls, evaluation: dict[str, Any]) -> "Prepared":
        """Only the raw evaluation data (`Task.test_evaluation`), for `summary_metrics` after training."""
        return cls(train=None, validation=None, test=None, num_train=0, overrides={}, info={}, evaluation=evaluation)


PREDICT, DECODE, GENERATE, EXPORT = "predict", "decode", "generate", "export"


class Task(abc.ABC):
    """A task recipe; subclasses implement every abstract method.

    A task is a value of its config and its adapted state: `prepare` adapts the
    state on the training data, `with_config` gives the task under the final
    config (the data decides sizes such as the vocabulary), and
    `from_state(cfg, state())` rebuilds the same task from a run folder.
    """

    # What a run of this task can do: "predict" always; "decode", "generate" and "export" when declared.
    capabilities: frozenset[str] = frozenset({PREDICT})
    # What its exported SavedModel takes and returns, in a few words (the README's model table, `rnnzoo info`).
    serves = ""
    # Whether prepare() honours `model.embedding_init` (it needs the task's word ids).
    supports_embedding_init = False
    # The adapted state in words, for the message when it is missing from a run folder.
    state_description = "the vocabulary"

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

    def test_evaluation(self, *, data_dir=None, download: bool | None = None) -> dict[str, Any]:
        """The raw test data of `Prepared.evaluation` that `summary_metrics` scores, read again for `rnnzoo evaluate`.

        {} where evaluate reports the test loss and metrics only.
        """
        return {}

    @abc.abstractmethod
    def state(self) -> dict[str, Any]:
        """The preprocessing state `prepare` adapted (vocabularies, scales), JSON-ready, with its "kind"."""

    @classmethod
    @abc.abstractmethod
    def from_state(cls, cfg: Config, state: dict[str, Any]) -> "Task":
        """The task of `cfg` with a `state()` read back; KeyError, TypeError or ValueError if it is malformed."""

    def with_config(self, cfg: Config) -> "Task":
        """This task, its state adapted by `prepare`, as a new value built from the final `cfg`.

        It shares `data_epoch` with this one: the pipelines `prepare` built read
        the epoch from it, and training advances it.
        """
        task = type(self).from_state(cfg, self.state())
        task.data_epoch = self.data_epoch
        return task

    @abc.abstractmethod
    def test_split(self, *, data_dir=None, download: bool | None = None):
        """The batched test split, for `rnnzoo evaluate`."""

    @property
    def export_refusal(self) -> str:
        """Why a task without the "export" capability cannot export (one line, what to use instead)."""
        return (f"Export of {self.cfg.io} models is not supported yet (model {self.cfg.name!r}); "
                "use `rnnzoo predict` or Run.predict instead.")

    def serving_model(self, core):
        """What `rnnzoo.export` writes, for tasks that declare "export".

        A Functional model that takes raw inputs and runs the trained core, or
        the description of a graph with a loop in it (`rnnzoo.tasks.serving`).
        """
        raise RnnzooError(self.export_refusal)

    @abc.abstractmethod
    def predict(self, core, inputs) -> list[dict[str, Any]]:
        """One result per raw input, in order."""

    @staticmethod
    @abc.abstractmethod
    def format_prediction(prediction: dict[str, Any]) -> str:
        """One line of text for one result (what `rnnzoo predict` prints)."""


class DecodingTask(Task):
    """A task whose outputs are decoded sequences (seq2seq, captioning): `predict` is `decode`, no export yet."""

    capabilities = frozenset({PREDICT, DECODE})
    state_description = "the vocabularies"

    @abc.abstractmethod
    def decode(self, core, inputs, *, beam_width: int = 1, **options) -> list[dict[str, Any]]:
        """One decoded result per input, in order, each with its `output` text."""

    @property
    def export_refusal(self) -> str:
        return (f"Export of {self.cfg.io} models is not supported yet (model {self.cfg.name!r}); "
                "decode with `rnnzoo decode RUN_DIR` or Run.decode instead.")

    def predict(self, core, inputs) -> list[dict[str, Any]]:
        return self.decode(core, inputs)

    @staticmethod
    def format_prediction(prediction: dict[str, Any]) -> str:
        return prediction["output"]


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
