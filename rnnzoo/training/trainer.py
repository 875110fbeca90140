"""`train(name)`: build + load data + fit with callbacks + evaluate, into a run folder.

The run folder holds everything a later command needs: the final config,
the task's adapted state, the trained model, history and curves, metrics
and checkpoints (resume). `rnnzoo.runs.RunFolder` names and writes each file, atomically.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import keras

from rnnzoo import datasets
from rnnzoo.training import distribute
from rnnzoo.builders.common import compile_model, head_layer, set_named_weights
from rnnzoo.builders.memory import check_memory
from rnnzoo.builders.precision import precision_scope
from rnnzoo.config.registry import load_config
from rnnzoo.errors import ConfigError
from rnnzoo.runs.folder import DATA_DIR_KEY, RunFolder, versions
from rnnzoo.runs.run import Run
from rnnzoo.tasks import check_options, task_class
from rnnzoo.training.callbacks import (
    AverageWeightsEachEpoch, EarlyStoppingWithinEpoch, RunFolderLogger, TestCheckpoints, Throughput,
)
from rnnzoo.training.resume import ResumeCheckpoint


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

    head = head_layer(model)
    counts = np.asarray(target_counts, dtype="float64") + 1.0
    if head.bias is None or head.bias.shape[-1] != counts.shape[0]:
        raise ValueError(f"The head has {head.units} classes but the data counts {counts.shape[0]}.")
    head.bias.assign(np.log(counts / counts.sum()).astype(head.bias.dtype))


def save_interrupted(folder: RunFolder, model, task, cfg) -> None:
    """Ctrl-C: the run's model gets the last completed epoch's weights; the checkpoints resume the run.

    The epoch in progress is dropped (it would be trained again on resume).
    A second Ctrl-C during this save leaves the old model file whole (atomic write).
    """
    state = folder.read_checkpoint()
    if state is None:
        print(f"rnnzoo: interrupted before the first epoch ended; nothing to save in {folder.path}", file=sys.stderr)
        return
    model.load_weights(folder.checkpoint_weights(state["weights"]))
    path = folder.save_model(task.trained_model(model, cfg))
    print(f"rnnzoo: interrupted; saved epoch {state['epoch']} of {cfg.train.epochs} to {path}. "
          f"Run the same command (--out {folder.path}) to resume.", file=sys.stderr)


def default_run_dir(name: str) -> Path:
    return Path("runs") / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def check_data_dir(cfg, data_dir) -> None:
    """A ConfigError when `data_dir` is given for a data set whose loader reads no data folder (a generator)."""
    row = datasets.info(cfg.data.dataset)
    keywords = row.keywords()
    if data_dir is not None and "data_dir" not in keywords:
        raise ConfigError(f"`data_dir` does not apply to {cfg.name}: its data set {row.name!r} reads no data folder "
                          f"(its loader takes {', '.join(keywords)}); drop --data-dir. Received: data_dir={str(data_dir)!r}")


def train(name_or_path, *, data_dir=None, out_dir=None, epochs: int | None = None, batch_size: int | None = None,
          download: bool | None = None, verbose: str | int = "auto", callbacks: list | tuple = (),
          test_checkpoints_per_epoch: int = 0, strategy: str = "default", tensorboard: bool = False,
          **overrides: Any):
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
            (hosts listed in TF_CONFIG); see `rnnzoo.training.distribute`. Under "multi-worker" only the
            chief writes `out_dir`; another worker writes its own results to `out_dir/worker-INDEX`.
        tensorboard: also write TensorBoard logs into the run folder's `tensorboard/` (Keras' callback:
            loss, metrics and learning rate per epoch, the graph); a resumed run adds to them.
    """
    if epochs is not None:
        overrides["epochs"] = epochs
    if batch_size is not None:
        overrides["batch_size"] = batch_size
    cfg = load_config(name_or_path, overrides)
    check_options(cfg)
    check_memory(cfg, training=True)  # before any data loads: seq_length=1e9 is one line, not an OOM
    recipe = task_class(cfg)
    check_data_dir(cfg, data_dir)
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
    # Every worker resumes from the chief's checkpoints; a worker other than the chief writes its results apart.
    chief_folder = RunFolder(out_dir if out_dir is not None else default_run_dir(cfg.name))
    folder = chief_folder if chief else chief_folder.worker(distribute.read_tf_config()["task"]["index"])
    # Before the data loads: a file at --out, or another process training there, is found at once.
    with folder.training_lock():
        adapting = recipe(cfg)
        prepared = adapting.prepare(data_dir=data_dir, download=download)
        cfg = cfg.replace(**prepared.overrides)
        folder.check_resumable(cfg)
        finished = folder.finished_epochs(cfg.train.epochs)
        if finished is not None:  # nothing to train: say so and leave every file as it is
            print(f"rnnzoo: {folder.path} holds a finished run ({finished} epoch{'s' if finished != 1 else ''}); "
                  f"nothing to do. Ask for more --epochs to train further, or choose another --out (or delete "
                  f"the folder) to start over.", file=sys.stderr)
            return Run(folder.path)
        # From here on the task is a value of the final config (the data decides sizes such as the vocabulary).
        task = adapting.with_config(cfg)
        folder.write_config(cfg)
        folder.write_task(task)
        # Evaluation reads the data from here again; None is the standard route ($RNNZOO_DATA_DIR, then download).
        prepared.info[DATA_DIR_KEY] = None if data_dir is None else str(data_dir)

        if strategy == "multi-worker":
            for split in ("train", "validation", "test", "test_sample"):
                setattr(prepared, split, shard_by_data(getattr(prepared, split)))
        scope = distributed.scope() if distributed else contextlib.nullcontext()
        with precision_scope(cfg.train.mixed_precision), scope:
            return _fit_and_save(task, prepared, cfg, folder, chief_folder, chief=chief, strategy=strategy,
                                 verbose=verbose, callbacks=callbacks,
                                 test_checkpoints_per_epoch=test_checkpoints_per_epoch, tensorboard=tensorboard)


def _fit_and_save(task, prepared, cfg, folder: RunFolder, chief_folder: RunFolder, *, chief: bool, strategy: str,
                  verbose, callbacks, test_checkpoints_per_epoch: int, tensorboard: bool = False):
    """Builds and compiles the model (under the caller's dtype policy and strategy scope), fits, writes the results."""
    model = task.training_model(cfg)
    if prepared.target_counts is not None:
        start_head_at_prior(model, prepared.target_counts)
    if prepared.initial_weights is not None and chief_folder.read_checkpoint() is None:  # resuming loads a checkpoint
        set_named_weights(model, prepared.initial_weights())
    steps_per_epoch = math.ceil(prepared.num_train / cfg.train.batch_size)
    compile_model(model, cfg, total_steps=steps_per_epoch * cfg.train.epochs)

    throughput = Throughput(prepared.num_train)
    fit_callbacks = [throughput, task.data_epoch, RunFolderLogger(folder)]
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
    resume = ResumeCheckpoint(chief_folder, early_stopping, write=chief)
    if tensorboard:  # epoch numbers continue on resume, so the curves of every process line up
        fit_callbacks.append(keras.callbacks.TensorBoard(log_dir=str(folder.tensorboard_dir), write_graph=True))
    fit_callbacks += task.fit_callbacks() + list(callbacks) + [resume]

    # Length-bucketed pipelines have no known length, so Keras warns at the end of the first epoch.
    warnings.filterwarnings("ignore", message="Your input ran out of data", category=UserWarning)
    started = time.perf_counter()
    try:
        model.fit(prepared.train, validation_data=prepared.validation, epochs=cfg.train.epochs,
                  callbacks=fit_callbacks, verbose=verbose, shuffle=False)  # the pipeline shuffles
    except KeyboardInterrupt:
        if chief:
            save_interrupted(folder, model, task, cfg)
        raise
    wall_seconds = time.perf_counter() - started
    model = task.trained_model(model, cfg)

    test = model.evaluate(prepared.test, return_dict=True, verbose=0) if prepared.test is not None else {}
    folder.save_model(model)
    # A resumed run's timings cover every process: history.csv has each epoch's training seconds, and the
    # wall time and word-vector seconds of an earlier process that finished are in its metrics.json.
    history = folder.read_history()
    previous = folder.previous_metrics()
    train_seconds = sum(row.get("train_seconds", 0.0) for row in history) or sum(throughput.seconds)
    epochs_timed = sum(1 for row in history if "train_seconds" in row) or len(throughput.seconds)
    wall_seconds += previous.get("wall_seconds", 0.0) if isinstance(previous.get("wall_seconds"), (int, float)) else 0.0
    if "embedding_init_seconds" not in prepared.info and "embedding_init_seconds" in previous:
        prepared.info["embedding_init_seconds"] = previous["embedding_init_seconds"]
    metrics = {
        **{f"test_{k}": float(v) for k, v in test.items()},
        "epochs_run": len(history),  # resumed runs count every epoch
        "samples_per_second": (prepared.num_train * epochs_timed / train_seconds) if train_seconds else None,
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
    folder.write_metrics(metrics)
    # Test figures, else (a language model has no test split) the validation figures of the summary.
    figures = [f"test_{k}={v:.4f}" for k, v in test.items()] or [
        f"{k}={v:.4f}" for k, v in metrics.items() if k.startswith("val_") and isinstance(v, float)]
    print(f"rnnzoo: run folder {folder.path}" + (": " + ", ".join(figures) if figures else ""), file=sys.stderr)
    return Run(folder.path)
