"""The adding problem as a training recipe: `rnnzoo train adding_lstm` (see `rnnzoo.datasets.adding`).

Sequences of `data.seq_length` (value, marker) steps in, the sum of the two
marked values out; MSE loss. The vanishing-gradient lab (`rnnzoo.lab`) trains
the same named models on the same generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnzoo import datasets
from rnnzoo.preprocessing import batching
from rnnzoo.config import Config
from rnnzoo.datasets.adding import BASELINE_MSE
from rnnzoo.errors import DataError
from rnnzoo.tasks.base import EXPORT, PREDICT, Prepared, Task


class AddingTask(Task):
    capabilities = frozenset({PREDICT, EXPORT})
    serves = "(value, marker) pairs → their sum"
    state_description = "the task kind"

    def examples(self, split: str) -> tuple[np.ndarray, np.ndarray, str]:
        return datasets.examples(self.cfg, split)

    def _batches(self, inputs, targets, *, shuffle: bool):
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices((inputs, targets))
        if shuffle:
            ds = batching.permuted(ds, self.cfg.train.seed, self.data_epoch.variable)  # order: (seed, epoch)
        return ds.batch(self.cfg.train.batch_size).prefetch(tf.data.AUTOTUNE)

    def prepare(self, *, data_dir=None, download: bool | None = None) -> Prepared:
        train_x, train_y, origin = self.examples("train")
        test_x, test_y, _ = self.examples("test")
        validation = None
        if self.cfg.data.validation_fraction > 0:
            validation = self._batches(*self.examples("validation")[:2], shuffle=False)
        return Prepared(train=self._batches(train_x, train_y, shuffle=True), validation=validation,
                        test=self._batches(test_x, test_y, shuffle=False), num_train=len(train_x), overrides={},
                        info={"data_source": origin, "train_examples": len(train_x), "test_examples": len(test_x),
                              "baseline_mse_answering_1": BASELINE_MSE})

    def test_split(self, *, data_dir=None, download: bool | None = None):
        return self._batches(*self.examples("test")[:2], shuffle=False)

    def state(self) -> dict[str, Any]:
        return {"kind": "adding"}  # nothing is adapted to the data

    @classmethod
    def from_state(cls, cfg: Config, state: dict[str, Any]) -> "AddingTask":
        return cls(cfg)

    def serving_model(self, core):
        return core  # the core already takes the raw (value, marker) features

    def predict(self, core, inputs) -> list[dict[str, Any]]:
        """The predicted sum for each (length, 2) sequence of (value, marker) steps."""
        try:
            array = np.asarray(inputs, dtype="float32")
        except (TypeError, ValueError):
            raise DataError("Adding inputs are numbers: (length, 2) or (batch, length, 2) arrays.") from None
        array = array[None] if array.ndim == 2 else array
        if array.ndim != 3 or array.shape[-1] != 2 or array.shape[1] < 1:
            raise DataError(f"Adding inputs are (length, 2) or (batch, length, 2) arrays of (value, marker). "
                            f"Received: shape={array.shape}")
        return [{"sum": float(v)} for v in np.asarray(core.predict(array, verbose=0))[:, 0]]

    @staticmethod
    def format_prediction(prediction: dict[str, Any]) -> str:
        return f"{prediction['sum']:.4f}"
