"""Interrupted training loses nothing: a real `rnnzoo train` process is killed, interrupted, and resumed.

One reference run trains 3 epochs uninterrupted. A second run in another
folder is SIGKILLed once its first epoch is checkpointed (so during epoch 2),
restarted, stopped with SIGINT (Ctrl-C) once epoch 2 is checkpointed,
restarted again, and finishes. Its history and final weights must equal the
reference's exactly: on CPU every kernel here is deterministic run to run, and
the resume restores weights, optimizer, dropout generator states, early-stopping
state and the (seed, epoch) data order, so no tolerance is needed.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

import rnnzoo
from imdb_fixtures import write_acl_imdb
from rnnzoo.runs import RunFolder

TRAIN = ["sentiment_bilstm", "--epochs", "3", "--batch-size", "4", "--seed", "7",
         "--set", "units=4", "--set", "embedding_dim=4", "--set", "num_layers=1", "--set", "max_length=16",
         "--set", "vocab_size=100", "--set", "validation_fraction=0.1"]  # keeps the recipe's dropout 0.4
TIMES = ("train_seconds", "samples_per_second")


def start(data: Path, out: Path) -> subprocess.Popen:
    # SIGINT is set back to its default: a test runner started in the background may ignore it,
    # and Python only turns SIGINT into KeyboardInterrupt when it is not ignored.
    return subprocess.Popen(
        [sys.executable, "-m", "rnnzoo.cli", "train", *TRAIN, "--data-dir", str(data), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def finish(process: subprocess.Popen, expected_status: int = 0) -> str:
    out, err = process.communicate(timeout=600)
    assert process.returncode == expected_status, f"exit {process.returncode}:\n{out}\n{err}"
    return err


def interrupt_after_epoch(process: subprocess.Popen, out: Path, epoch: int, sig: int) -> int:
    """Sends `sig` as soon as `epoch` is checkpointed (the next epoch is then training); returns the saved epoch."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        state = RunFolder(out).read_checkpoint()
        if state is not None and state["epoch"] >= epoch:
            process.send_signal(sig)
            return state["epoch"]
        assert process.poll() is None, f"training ended before epoch {epoch}: {process.communicate()}"
        time.sleep(0.02)
    raise AssertionError(f"epoch {epoch} never finished")


def losses(run) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMES} for row in run.history]


class CrashMidEpoch(Exception):
    pass


class Crash(keras.callbacks.Callback):
    """Fails in the middle of an epoch, where a killed process would stop."""

    def __init__(self, epoch: int, batch: int):
        super().__init__()
        self.at = (epoch, batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise CrashMidEpoch


TINY = dict(units=4, embedding_dim=4, num_layers=1, max_length=16, vocab_size=100, validation_fraction=0.1,
            batch_size=4, epochs=2, seed=7)


@pytest.mark.parametrize("validations_per_epoch", [1, 3])
def test_training_that_failed_mid_epoch_resumes_to_the_uninterrupted_weights(tmp_path, validations_per_epoch):
    """In-process and fast: fit fails in epoch 2; the same call again finishes; weights equal a clean run's.

    With several validations per epoch the best weights can come from inside epoch 1; they are
    checkpointed in a file of their own and must survive the crash too.
    """
    data = write_acl_imdb(tmp_path)
    tiny = {**TINY, "validations_per_epoch": validations_per_epoch}
    clean = rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=tmp_path / "clean", verbose=0, **tiny)
    with pytest.raises(CrashMidEpoch):
        rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=tmp_path / "resumed", verbose=0,
                     callbacks=[Crash(epoch=1, batch=3)], **tiny)
    assert RunFolder(tmp_path / "resumed").read_checkpoint()["epoch"] == 1
    resumed = rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=tmp_path / "resumed", verbose=0, **tiny)
    assert [row["epoch"] for row in resumed.history] == [1, 2]
    assert losses(resumed) == losses(clean)
    for mine, expected in zip(resumed.model.get_weights(), clean.model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, expected)


@pytest.mark.slow
def test_killed_and_interrupted_training_resumes_to_the_uninterrupted_result(tmp_path):
    data = write_acl_imdb(tmp_path, copies=20)  # 216 training reviews: 54 steps an epoch
    reference = start(data, tmp_path / "reference")

    resumed = tmp_path / "resumed"
    victim = start(data, resumed)
    killed_at = interrupt_after_epoch(victim, resumed, 1, signal.SIGKILL)
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    assert killed_at < 3, "the kill came after training ended"
    assert [row["epoch"] for row in rnnzoo.load_run(resumed).history] == list(range(1, killed_at + 1))

    victim = start(data, resumed)
    stopped_at = interrupt_after_epoch(victim, resumed, killed_at + 1, signal.SIGINT)
    err = finish(victim, expected_status=130)
    assert "Traceback" not in err and "rnnzoo: interrupted" in err, err
    assert f"saved epoch {stopped_at} of 3" in err, err
    # Ctrl-C saved a loadable model of the last completed epoch and left no temporary file behind.
    assert not [p for p in resumed.rglob(".*")], list(resumed.rglob(".*"))
    assert rnnzoo.load_run(resumed).model.count_params() > 0
    assert not (resumed / "metrics.json").exists()

    finish(start(data, resumed))
    finish(reference)
    ours, theirs = rnnzoo.load_run(resumed), rnnzoo.load_run(tmp_path / "reference")
    assert [row["epoch"] for row in ours.history] == [1, 2, 3], "an epoch was trained twice or skipped"
    assert losses(ours) == losses(theirs)
    assert ours.metrics["epochs_run"] == 3
    for mine, expected in zip(ours.model.get_weights(), theirs.model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, expected)
    assert ours.metrics["test_accuracy"] == theirs.metrics["test_accuracy"]


def test_data_order_is_a_function_of_seed_and_epoch_and_preprocessing_stays_cached():
    import tensorflow as tf

    from rnnzoo.preprocessing import batching

    calls = []

    def preprocess(x):
        calls.append(1)
        return x

    examples = (tf.data.Dataset.range(1, 50).map(lambda x: tf.py_function(preprocess, [x], tf.int64))
                .map(lambda x: (tf.fill([x % 7 + 1], x), tf.constant(0))).cache())
    epoch = batching.DataEpoch()
    batches = batching.length_bucketed(examples, batch_size=4, max_length=10, bucket_width=2, shuffle=True, seed=1,
                                       epoch=epoch.variable)

    def order(e):
        epoch.on_epoch_begin(e)
        return [tuple(x.numpy()[:, 0]) for x, _ in batches]

    first, second = order(0), order(1)
    assert first != second, "each epoch has its own order"
    assert order(0) == first and order(1) == second, "an epoch's order does not depend on what ran before"
    assert sorted(v for batch in first for v in batch) == list(range(1, 50))
    assert len(calls) == 49, "preprocessing ran once; later epochs read the cache"


def test_validations_within_an_epoch_keep_the_best_checks_weights():
    import tensorflow as tf

    from rnnzoo.training.callbacks import EarlyStoppingWithinEpoch

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 3)).astype("float32"), rng.integers(0, 2, (64, 1)).astype("float32")
    validation = (rng.normal(size=(32, 3)).astype("float32"), rng.integers(0, 2, (32, 1)).astype("float32"))

    def fitted(callbacks):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(keras.optimizers.SGD(0.5), "binary_crossentropy", metrics=["accuracy"])
        checks = []
        evaluate = model.evaluate

        def recording_evaluate(*args, **kwargs):
            checks.append(evaluate(*args, **kwargs)["loss"])
            return {"loss": checks[-1]}

        model.evaluate = recording_evaluate
        history = model.fit(x, y, batch_size=8, epochs=3, validation_data=validation, callbacks=callbacks,
                            shuffle=False, verbose=0)
        model.evaluate = evaluate
        return model, history.history, checks

    stopping = EarlyStoppingWithinEpoch(tf.data.Dataset.from_tensor_slices(validation).batch(16), every_steps=2,
                                        monitor="val_loss", mode="min", patience=10)
    model, history, checks = fitted([stopping])
    # 8 steps an epoch, a check every 2 steps, and fit's own validation at each epoch's end (also evaluate()).
    assert len(checks) == 3 * 4 + 3
    assert stopping.best == pytest.approx(min(checks))
    assert model.evaluate(*validation, return_dict=True, verbose=0)["loss"] == pytest.approx(min(checks), rel=1e-5)
    # The checks leave the epochs' training loss and accuracy as they are without them.
    _, plain, _ = fitted([])
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(history[key], plain[key], rtol=1e-6)


@pytest.mark.parametrize("name", ["adding_lstm", "tracker_lstm"])
def test_generated_data_sets_order_training_examples_by_seed_and_epoch(name):
    """A resumed run of the generated tasks sees the same order as an uninterrupted one (no tf.data shuffle state)."""
    from rnnzoo.tasks import task_class

    cfg = rnnzoo.load_config(name, {"num_examples": 60, "seq_length": 6, "batch_size": 8})
    task = task_class(cfg)(cfg)
    train = task.prepare().train

    def order(epoch):
        task.data_epoch.on_epoch_begin(epoch)
        return np.concatenate([np.asarray(y).reshape(len(y), -1)[:, 0] for _, y in train]).tolist()

    first, second = order(0), order(1)
    assert first != second and sorted(first) == sorted(second)
    assert order(0) == first and order(1) == second
