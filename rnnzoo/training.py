"""`train(name)`: build + load data + fit with callbacks + evaluate, into a run folder.

The run folder holds everything a later command needs: `config.json`,
`preprocessing.json`, `model.keras`, `history.csv`, `curves.png`,
`metrics.json` and `checkpoints/` (resume). Each file is written atomically.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import platform
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import keras

from rnnzoo import __version__, distribute, files
from rnnzoo.builders.common import compile_model
from rnnzoo.precision import precision_scope
from rnnzoo.errors import ConfigError, RunFolderError
from rnnzoo.registry import load_config
from rnnzoo.resume import ResumeCheckpoint, read_state
from rnnzoo.tasks import task_class


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


def shard_by_data(dataset):
    """Multi-worker input: split each global batch among the workers (tf.data's DATA auto-shard policy).

    Every worker reads the whole pipeline and keeps its part of each batch,
    so each example is trained on once per epoch and every worker runs the
    same number of steps (in-memory pipelines have no files to shard by).
    """
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


class RunFolderLogger(keras.callbacks.Callback):
    """Rewrites history.csv and curves.png after every epoch (atomically), so they survive an interruption."""

    def __init__(self, run_dir: Path):
        super().__init__()
        self.run_dir = run_dir
        self.rows: list[dict[str, Any]] = read_history(run_dir / "history.csv")

    def on_epoch_end(self, epoch, logs=None):
        self.rows = [row for row in self.rows if int(row["epoch"]) < epoch + 1]
        self.rows.append({"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}})
        write_history(self.run_dir / "history.csv", self.rows)
        plot_curves(self.run_dir / "curves.png", self.rows)


def read_history(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: float(v) if k != "epoch" else int(v) for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]


def write_history(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = ["epoch"] + sorted({k for row in rows for k in row} - {"epoch"})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    files.write_text(path, buffer.getvalue())


def plot_curves(path: Path, rows: list[dict[str, Any]]) -> None:
    """Loss and the first metric per epoch, train and validation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [k for k in ("loss", "accuracy", "mae") if any(k in row for row in rows)]
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    epochs = [row["epoch"] for row in rows]
    for axis, metric in zip(axes[0], metrics):
        for key, style in ((metric, "-o"), (f"val_{metric}", "--o")):
            if any(key in row for row in rows):
                axis.plot(epochs, [row.get(key, float("nan")) for row in rows], style, label=key)
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    with files.atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=90)
    plt.close(figure)


def versions() -> dict[str, str]:
    import importlib

    backend = keras.backend.backend()
    library = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    return {"rnnzoo": __version__, "keras": keras.__version__, "backend": backend, "python": platform.python_version(),
            **({library: importlib.import_module(library).__version__} if library else {})}


def check_resumable(run_dir: Path, cfg) -> None:
    """A run folder resumes only the same config (more epochs allowed); anything else would mix two runs."""
    previous_path = run_dir / "config.json"
    if not previous_path.exists():
        return
    try:
        previous = json.loads(previous_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # unreadable: it is rewritten below
    current = cfg.to_dict()
    for config in (previous, current):
        config.get("train", {}).pop("epochs", None)
    if previous != current:
        changed = sorted(
            f"{section}.{key}" for section in ("model", "data", "train") for key in current.get(section, {})
            if previous.get(section, {}).get(key) != current[section][key]
        ) or ["name/description"]
        raise RunFolderError(
            f"{run_dir} holds a run of a different config (changed: {', '.join(changed)}); "
            "choose another --out, or delete the folder to start over"
        )


def start_head_at_prior(model, target_counts) -> None:
    """Starts the softmax head's bias at the log of the (add-one smoothed) training class frequencies.

    Why: over a vocabulary of thousands of words a network first learns the
    unigram distribution, and Adam gets there faster by saturating the tanh
    layer before the head (every unit at +-1, a constant input the head maps to
    the unigram) than by moving the bias; saturated, that layer passes no
    gradient and training stays at the unigram for good. Measured on the
    Multi30k sample with a bidirectional encoder and attention: 73% of the
    attention_combine units beyond |0.99| after 60 steps from a zero bias,
    0.1% from this one (Karpathy's "initialise the output bias well").
    """
    import numpy as np

    head = model.get_layer("head")
    counts = np.asarray(target_counts, dtype="float64") + 1.0
    if head.bias is None or head.bias.shape[-1] != counts.shape[0]:
        raise ValueError(f"The head has {head.units} classes but the data counts {counts.shape[0]}.")
    head.bias.assign(np.log(counts / counts.sum()).astype(head.bias.dtype))


def save_interrupted(run_dir: Path, model, task, cfg) -> None:
    """Ctrl-C: model.keras gets the last completed epoch's weights; checkpoints/ resumes the run.

    The epoch in progress is dropped (it would be trained again on resume).
    A second Ctrl-C during this save leaves the old model.keras whole (atomic write).
    """
    state = read_state(run_dir / "checkpoints")
    if state is None:
        print(f"rnnzoo: interrupted before the first epoch ended; nothing to save in {run_dir}", file=sys.stderr)
        return
    model.load_weights(run_dir / "checkpoints" / state["weights"])
    with files.atomic_path(run_dir / "model.keras") as temporary:
        task.trained_model(model, cfg).save(temporary)
    print(f"rnnzoo: interrupted; saved epoch {state['epoch']} of {cfg.train.epochs} to {run_dir / 'model.keras'}. "
          f"Run the same command (--out {run_dir}) to resume.", file=sys.stderr)


def default_run_dir(name: str) -> Path:
    return Path("runs") / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def train(name_or_path, *, data_dir=None, out_dir=None, epochs: int | None = None, batch_size: int | None = None,
          download: bool | None = None, verbose: str | int = "auto", callbacks: list | tuple = (),
          test_checkpoints_per_epoch: int = 0, strategy: str = "default", **overrides: Any):
    """Trains a named model (or TOML config) on its task's data and returns the `Run`.

    Args:
        name_or_path: a name from `list_models()` or a `.toml` path.
        data_dir: the data set's folder or archive; `"sample"` for the packaged sample;
            `None` tries `$RNNZOO_DATA_DIR`, then the standard download route.
        out_dir: the run folder (default `runs/NAME-TIMESTAMP`). An interrupted run
            in the same folder resumes from its last completed epoch.
        epochs, batch_size, **overrides: config fields, validated as in `build`.
        download: allow (True) or forbid (False) downloads; default allowed unless RNNZOO_OFFLINE=1.
        callbacks: extra Keras callbacks for `fit`.
        test_checkpoints_per_epoch: evaluate on a fixed sample of the test split this many times
            per epoch and record (training seconds, accuracy) in metrics.json's "test_checkpoints"
            (benchmarks use it for time-to-accuracy; the training clock stops meanwhile).
        strategy: "default" (one device), "mirrored" (all local GPUs) or "multi-worker"
            (hosts listed in TF_CONFIG); see `rnnzoo.distribute`. Under "multi-worker" only the
            chief writes `out_dir`; another worker writes its own results to `out_dir/worker-INDEX`.
    """
    if epochs is not None:
        overrides["epochs"] = epochs
    if batch_size is not None:
        overrides["batch_size"] = batch_size
    cfg = load_config(name_or_path, overrides)
    recipe = task_class(cfg)
    if cfg.model.embedding_init != "random" and not recipe.supports_embedding_init:
        raise ConfigError(f"{cfg.name}: embedding_init={cfg.model.embedding_init!r} needs word ids from the data, which "
                          f"only text classification and tagging tasks have (this is task {cfg.task!r}); "
                          "expected embedding_init='random'")
    distributed = distribute.make_strategy(strategy)  # before any other TensorFlow op, as multi-worker requires
    keras.utils.set_random_seed(cfg.train.seed)
    if cfg.train.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()  # process-wide; there is no public way back
    chief = distribute.is_chief() if strategy == "multi-worker" else True
    backup_dir = (Path(out_dir) if out_dir is not None else default_run_dir(cfg.name)) / "checkpoints"
    run_dir = backup_dir.parent if chief else backup_dir.parent / f"worker-{distribute.read_tf_config()['task']['index']}"

    task = recipe(cfg)
    prepared = task.prepare(data_dir=data_dir, download=download)
    run_dir.mkdir(parents=True, exist_ok=True)  # only once the data loaded: a failed start leaves no empty folder
    cfg = cfg.replace(**prepared.overrides)
    check_resumable(run_dir, cfg)
    task.cfg = cfg  # the data-defined sizes (vocabulary) hold from here on
    files.write_json(run_dir / "config.json", cfg.to_dict())
    task.save(run_dir)

    if strategy == "multi-worker":
        for split in ("train", "validation", "test", "test_sample"):
            setattr(prepared, split, shard_by_data(getattr(prepared, split)))
    with precision_scope(cfg.train.mixed_precision), (distributed.scope() if distributed else contextlib.nullcontext()):
        return _fit_and_save(task, prepared, cfg, run_dir, backup_dir, chief=chief, strategy=strategy,
                             verbose=verbose, callbacks=callbacks, test_checkpoints_per_epoch=test_checkpoints_per_epoch)


def _fit_and_save(task, prepared, cfg, run_dir: Path, backup_dir: Path, *, chief: bool, strategy: str, verbose,
                  callbacks, test_checkpoints_per_epoch: int):
    """Builds and compiles the model (under the caller's dtype policy and strategy scope), fits, writes the results."""
    from rnnzoo.run import Run

    model = task.training_model(cfg)
    if prepared.target_counts is not None:
        start_head_at_prior(model, prepared.target_counts)
    if prepared.initial_weights is not None and read_state(backup_dir) is None:  # resuming loads a checkpoint instead
        for layer_name, weights in prepared.initial_weights().items():
            model.get_layer(layer_name).set_weights(weights)
    steps_per_epoch = math.ceil(prepared.num_train / cfg.train.batch_size)
    compile_model(model, cfg, total_steps=steps_per_epoch * cfg.train.epochs)

    throughput = Throughput(prepared.num_train)
    fit_callbacks = [throughput, task.data_epoch, RunFolderLogger(run_dir)]
    early_stopping = None
    if prepared.validation is not None:
        patience = cfg.train.early_stopping_patience or cfg.train.epochs
        mode = "min" if cfg.train.monitor.endswith("loss") else "max"
        if cfg.train.validations_per_epoch > 1:
            early_stopping = EarlyStoppingWithinEpoch(
                prepared.validation, math.ceil(steps_per_epoch / cfg.train.validations_per_epoch),
                monitor=cfg.train.monitor, mode=mode, patience=patience, verbose=1)
        else:
            early_stopping = keras.callbacks.EarlyStopping(
                monitor=cfg.train.monitor, mode=mode, patience=patience, restore_best_weights=True, verbose=1)
        fit_callbacks.append(early_stopping)
    checkpoints = None
    if test_checkpoints_per_epoch > 0 and prepared.test_sample is not None:
        checkpoints = TestCheckpoints(prepared.test_sample, math.ceil(steps_per_epoch / test_checkpoints_per_epoch))
        fit_callbacks.insert(0, checkpoints)
    if cfg.train.ema_momentum > 0:
        fit_callbacks.insert(0, AverageWeightsEachEpoch())
    # Last: its end-of-epoch save includes what the other callbacks did (history, early stopping).
    # Every worker restores from the chief's checkpoints; only the chief writes them (the weights are identical).
    resume = ResumeCheckpoint(backup_dir, early_stopping, write=chief)
    fit_callbacks += task.fit_callbacks() + list(callbacks) + [resume]

    # Length-bucketed pipelines have no known length, so Keras warns at the end of the first epoch.
    warnings.filterwarnings("ignore", message="Your input ran out of data", category=UserWarning)
    started = time.perf_counter()
    try:
        model.fit(prepared.train, validation_data=prepared.validation, epochs=cfg.train.epochs,
                  callbacks=fit_callbacks, verbose=verbose, shuffle=False)  # the pipeline shuffles
    except KeyboardInterrupt:
        if chief:
            save_interrupted(run_dir, model, task, cfg)
        raise
    wall_seconds = time.perf_counter() - started
    model = task.trained_model(model, cfg)

    test = model.evaluate(prepared.test, return_dict=True, verbose=0) if prepared.test is not None else {}
    with files.atomic_path(run_dir / "model.keras") as temporary:
        model.save(temporary)
    train_seconds = sum(throughput.seconds)
    metrics = {
        **{f"test_{k}": float(v) for k, v in test.items()},
        "epochs_run": len(read_history(run_dir / "history.csv")),  # resumed runs count every epoch
        "samples_per_second": (prepared.num_train * len(throughput.seconds) / train_seconds) if train_seconds else None,
        "train_seconds": train_seconds,
        "wall_seconds": wall_seconds,
        **prepared.info,
        **({"test_checkpoints": checkpoints.points} if checkpoints is not None else {}),
        **task.summary_metrics(model, prepared),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "strategy": strategy,
        "replicas": model.distribute_strategy.num_replicas_in_sync if keras.backend.backend() == "tensorflow" else 1,
        "dtype_policy": model.dtype_policy.name,
        "versions": versions(),
    }
    files.write_json(run_dir / "metrics.json", metrics)
    print(f"rnnzoo: run folder {run_dir}: " + ", ".join(f"test_{k}={v:.4f}" for k, v in test.items()),
          file=sys.stderr)
    return Run(run_dir)
