"""--strategy: names and TF_CONFIG checked, MirroredStrategy over two logical CPUs, multi-worker processes.

Logical devices must be configured before TensorFlow starts, and a
multi-worker strategy owns its process, so those runs are subprocesses.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import rnnzoo
from rnnzoo.training import distribute
from rnnzoo.cli import main

CORPUS = "hello world, hello there. " * 40
TINY = {"units": 8, "embedding_dim": 4, "seq_length": 10, "batch_size": 8, "learning_rate": 1e-2}


def run_python(code: str, *, env=None, timeout=900) -> subprocess.CompletedProcess:
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=environment, timeout=timeout)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def tf_config(ports, index):
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": "worker", "index": index}})


# ---- bad input ---------------------------------------------------------------------------------------------

def test_unknown_strategy_is_a_one_line_error(capsys):
    assert main(["train", "char_lstm", "--strategy", "mirorred"]) == 2
    assert "`strategy` must be one of 'default', 'mirrored', 'multi-worker'. Received: strategy='mirorred'" \
        in capsys.readouterr().err


@pytest.mark.parametrize("value, message", [
    (None, "needs the TF_CONFIG environment variable"),
    ("{not json", "TF_CONFIG must be JSON"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}', "task.index must point into"),
])
def test_multi_worker_needs_a_valid_tf_config(monkeypatch, value, message):
    if value is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(rnnzoo.ConfigError, match=message):
        distribute.make_strategy("multi-worker")


def test_chief_is_worker_zero_unless_a_chief_is_named(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", tf_config([1, 2], 0))
    assert distribute.is_chief()
    monkeypatch.setenv("TF_CONFIG", tf_config([1, 2], 1))
    assert not distribute.is_chief()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"chief": ["a:1"], "worker": ["b:1"]},
                                                "task": {"type": "worker", "index": 0}}))
    assert not distribute.is_chief()


def test_multi_worker_fix_is_applied_once(monkeypatch):
    from keras.src.backend.tensorflow import trainer as tf_trainer

    # What the fix replaces is put back after the test.
    monkeypatch.setattr(tf_trainer, "reduce_per_replica", tf_trainer.reduce_per_replica)
    monkeypatch.setattr(tf_trainer.TensorFlowTrainer, "_maybe_symbolic_build",
                        tf_trainer.TensorFlowTrainer._maybe_symbolic_build)
    keras_reduce = tf_trainer.reduce_per_replica
    distribute.fix_keras_multi_worker_fit()
    fixed = tf_trainer.reduce_per_replica
    assert fixed is not keras_reduce and fixed.rnnzoo_fixed
    distribute.fix_keras_multi_worker_fit()
    assert tf_trainer.reduce_per_replica is fixed  # not wrapped twice
    assert fixed({"loss": 1.5}, None, "auto") == {"loss": 1.5}  # off multi-worker: Keras' own reduction


def test_a_keras_that_fits_across_workers_is_left_alone(monkeypatch):
    import tensorflow as tf

    monkeypatch.setenv("TF_CONFIG", tf_config([1, 2], 0))
    monkeypatch.setattr(distribute, "_keras_version", lambda: (3, 16))
    monkeypatch.setattr(distribute, "fix_keras_multi_worker_fit", lambda: pytest.fail("patched a Keras that needs no fix"))
    monkeypatch.setattr(tf.distribute, "MultiWorkerMirroredStrategy", lambda: "strategy")
    assert distribute.make_strategy("multi-worker") == "strategy"


# ---- MirroredStrategy over two logical CPU devices -----------------------------------------------------------

def test_mirrored_two_devices_matches_one_device_and_resumes(tmp_path):
    (tmp_path / "text.txt").write_text(CORPUS, encoding="utf-8")
    result = run_python(f"""
        import json, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import keras, numpy as np, rnnzoo
        from rnnzoo.training import distribute

        # The same global batches, one device vs two replicas: Keras splits each batch and averages gradients.
        rng = np.random.default_rng(0)
        x = rng.integers(1, 11, size=(64, 10)).astype("int32")
        x[::3, 7:] = 0  # right-padded rows: masks go through the replicas too
        y = rng.integers(0, 11, size=(64, 10)).astype("int32")
        batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
        sizes = dict(units=8, embedding_dim=4, vocab_size=11, num_classes=11, learning_rate=1e-2)
        losses = {{}}
        for name in ("default", "mirrored"):
            strategy = distribute.make_strategy(name)
            keras.utils.set_random_seed(1)
            if strategy is None:
                model = rnnzoo.build("char_lstm", **sizes)
            else:
                with strategy.scope():
                    model = rnnzoo.build("char_lstm", **sizes)
            losses[name] = model.fit(batches, epochs=3, verbose=0).history["loss"]
        replicas = strategy.num_replicas_in_sync

        # rnnzoo.train under the strategy, interrupted after one epoch and resumed to two.
        tiny = {json.dumps(TINY)}
        first = rnnzoo.train("char_lstm", data_dir=r"{tmp_path / 'text.txt'}", out_dir=r"{tmp_path / 'run'}",
                             epochs=1, verbose=0, strategy="mirrored", **tiny).history  # read before the resume
        second = rnnzoo.train("char_lstm", data_dir=r"{tmp_path / 'text.txt'}", out_dir=r"{tmp_path / 'run'}",
                              epochs=2, verbose=0, strategy="mirrored", **tiny)
        print(json.dumps({{"losses": losses, "replicas": replicas, "first": first,
                          "second": second.history, "metrics": second.metrics}}))
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2
    # Not bit-identical: each replica averages its loss over its own unmasked steps (padding differs per half).
    np.testing.assert_allclose(out["losses"]["mirrored"], out["losses"]["default"], rtol=2e-3)
    assert out["metrics"]["strategy"] == "mirrored" and out["metrics"]["replicas"] == 2
    assert [row["epoch"] for row in out["first"]] == [1]
    assert [row["epoch"] for row in out["second"]] == [1, 2] and out["metrics"]["epochs_run"] == 2
    # Epoch 1's row, timings included, is the first run's: resumed after epoch 1, not trained again.
    assert out["second"][0] == out["first"][0], "resumed after epoch 1, did not start over"
    assert out["second"][0]["loss"] == pytest.approx(out["first"][0]["loss"])


# ---- MultiWorkerMirroredStrategy: two real worker processes on 127.0.0.1 ------------------------------------

WORKER = """
    import json, sys
    import rnnzoo
    run = rnnzoo.train("char_lstm", data_dir=sys.argv[1], out_dir=sys.argv[2], epochs=2, verbose=0,
                       strategy="multi-worker", **json.loads(sys.argv[3]))
    print(json.dumps({"dir": str(run.dir)}))
"""


def test_two_workers_train_and_agree_on_the_weights(tmp_path):
    (tmp_path / "text.txt").write_text(CORPUS, encoding="utf-8")
    ports = free_ports(2)
    workers = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(WORKER), str(tmp_path / "text.txt"), str(tmp_path / "run"),
                          json.dumps(TINY)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_CONFIG": tf_config(ports, index)})
        for index in (0, 1)
    ]
    try:
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-2000:]
    chief, other = (rnnzoo.load_run(tmp_path / "run"), rnnzoo.load_run(tmp_path / "run" / "worker-1"))
    assert (tmp_path / "run" / "checkpoints").is_dir() and not (tmp_path / "run" / "worker-1" / "checkpoints").exists()
    for a, b in zip(chief.model.get_weights(), other.model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
