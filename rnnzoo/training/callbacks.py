"""The Keras callbacks of rnnzoo's training loop: throughput, checks inside an epoch, weight averaging, run-folder logging."""

from __future__ import annotations

import time
from typing import Any

import keras

from rnnzoo.runs.folder import RunFolder


class Throughput(keras.callbacks.Callback):
    """Training seconds and samples/s per epoch, validation time excluded."""

    def __init__(self, num_train: int):
        super().__init__()
        self.num_train = num_train
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._train_seconds = time.perf_counter(), None

    def on_test_begin(self, logs=None):
        if self._train_seconds is None:  # validation starts: the epoch's training is over
            self._train_seconds = time.perf_counter() - self._start

    def on_epoch_end(self, epoch, logs=None):
        seconds = self._train_seconds if self._train_seconds is not None else time.perf_counter() - self._start
        self.seconds.append(seconds)
        if logs is not None:
            logs["train_seconds"] = seconds
            logs["samples_per_second"] = self.num_train / seconds


def evaluate_inside_fit(model, data) -> dict[str, float]:
    """`model.evaluate` from a callback, keeping the running training metrics it would reset.

    `evaluate` resets the compiled metrics, which `fit` is also accumulating for
    the epoch's logs; without this the epoch's training loss and accuracy would
    cover only the steps after the last check.
    """
    running = [variable.numpy() for variable in model.metrics_variables]
    results = model.evaluate(data, return_dict=True, verbose=0)
    for variable, value in zip(model.metrics_variables, running):
        variable.assign(value)
    return results


class TestCheckpoints(keras.callbacks.Callback):
    """Test accuracy against training time, for time-to-accuracy curves.

    Evaluates `test` every `every_steps` training steps and at each epoch's
    end, on a clock that stops during these evaluations and during
    validation, so `points` pairs pure training seconds with accuracy.
    """

    def __init__(self, test, every_steps: int | None = None):
        super().__init__()
        self.test, self.every_steps = test, every_steps
        self.points: list[dict[str, float]] = []

    def on_train_begin(self, logs=None):
        self._start, self._paused, self._steps = time.perf_counter(), 0.0, 0

    def on_test_begin(self, logs=None):  # validation inside fit
        self._pause_start = time.perf_counter()

    def on_test_end(self, logs=None):
        self._paused += time.perf_counter() - self._pause_start

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        if self.every_steps and self._steps % self.every_steps == 0:
            self._evaluate()

    def on_epoch_end(self, epoch, logs=None):
        if not (self.every_steps and self._steps % self.every_steps == 0):
            self._evaluate()

    def _evaluate(self):
        train_seconds = time.perf_counter() - self._start - self._paused
        started = time.perf_counter()
        results = evaluate_inside_fit(self.model, self.test)
        self._paused += time.perf_counter() - started
        self.points.append({"train_seconds": train_seconds, "steps": self._steps,
                            **{f"test_{k}": float(v) for k, v in results.items()}})


class EarlyStoppingWithinEpoch(keras.callbacks.EarlyStopping):
    """EarlyStopping that also validates every `every_steps` steps inside an epoch and keeps the best check.

    A recurrent model's validation accuracy can move by a point between checks
    a few dozen steps apart, so the end of an epoch is an arbitrary place to
    pick weights from. Patience still counts epochs (end-of-epoch checks).
    `best_within_epoch` says the kept weights came from inside `best_epoch`,
    not its end, so `ResumeCheckpoint` saves them separately.
    """

    def __init__(self, validation, every_steps: int, **kwargs):
        super().__init__(restore_best_weights=True, **kwargs)
        self.validation, self.every_steps = validation, every_steps
        self.best_within_epoch = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._steps = epoch, 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        if self._steps % self.every_steps:
            return
        if self.monitor_op is None:
            self._set_monitor_op()
        results = evaluate_inside_fit(self.model, self.validation)
        current = results.get(self.monitor.removeprefix("val_"))
        if current is not None and self._is_improvement(current, self.best):
            self.best, self.best_epoch, self.best_within_epoch = current, self._epoch, True
            self.best_weights = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        best = self.best
        super().on_epoch_end(epoch, logs)
        if self.best is not best:  # the end of this epoch is the new best
            self.best_within_epoch = False


class AverageWeightsEachEpoch(keras.callbacks.Callback):
    """With `ema_momentum`, the model takes its moving-average weights when each epoch's training ends.

    So validation, best-epoch selection, checkpoints and the saved model all
    see the averaged weights, and the next epoch continues from them.
    """

    def on_test_begin(self, logs=None):  # validation starts: the epoch's training is over
        self.model.optimizer.finalize_variable_values(self.model.trainable_variables)

    def on_epoch_end(self, epoch, logs=None):  # the same when there is no validation split
        self.model.optimizer.finalize_variable_values(self.model.trainable_variables)


class RunFolderLogger(keras.callbacks.Callback):
    """Rewrites the run folder's history and curves after every epoch (atomically), so they survive an interruption."""

    def __init__(self, folder: RunFolder):
        super().__init__()
        self.folder = folder
        self.rows: list[dict[str, Any]] = folder.read_history()

    def on_epoch_end(self, epoch, logs=None):
        self.rows = [row for row in self.rows if int(row["epoch"]) < epoch + 1]
        self.rows.append({"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}})
        self.folder.write_history(self.rows)
