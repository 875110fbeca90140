"""Train -> run folder -> predict -> export, on a tiny IMDB-layout data set the test makes."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from imdb_fixtures import write_acl_imdb
from rnnzoo import DataError, RunFolderError
from rnnzoo.cli import main

TINY = {"units": 4, "embedding_dim": 4, "num_layers": 1, "batch_size": 8, "max_length": 12, "vocab_size": 100,
        "validation_fraction": 0.1}
BAD_TEXTS = ["", "   \t\n ", "word " * 20000, "Ein großartiger Film, très émouvant", "🎬🍿😀👍", "日本語のレビュー", "\x00\x01\x7f"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("imdb")
    write_acl_imdb(root)
    return rnnzoo.train("sentiment_bilstm", data_dir=root / "aclImdb", out_dir=root / "run", epochs=2,
                        verbose=0, test_checkpoints_per_epoch=2, **TINY)


def test_run_folder_holds_everything_a_later_command_needs(run):
    names = {p.name for p in run.dir.iterdir()}
    assert {"config.json", "preprocessing.json", "model.keras", "history.csv", "metrics.json", "curves.png",
            "checkpoints"} <= names
    assert not [n for n in names if n.startswith(".")], "no temporary files left behind"
    assert run.config.model.units == 4 and run.config.train.epochs == 2
    assert run.config.model.vocab_size == len(json.loads((run.dir / "preprocessing.json").read_text())["vocabulary"])
    assert [row["epoch"] for row in run.history] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "samples_per_second"} <= set(run.history[0])
    for key in ("test_accuracy", "test_loss", "samples_per_second", "wall_seconds", "train_seconds", "versions"):
        assert key in run.metrics
    assert run.metrics["train_examples"] == 32 and run.metrics["validation_examples"] == 4
    checkpoints = run.metrics["test_checkpoints"]
    assert len(checkpoints) == 4 and [p["steps"] for p in checkpoints] == [2, 4, 6, 8]
    assert all(a["train_seconds"] < b["train_seconds"] for a, b in zip(checkpoints, checkpoints[1:]))
    assert (run.dir / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_predict_gives_probabilities_in_input_order(run):
    texts = ["a wonderful moving film", "a terrible boring film", "great"]
    results = run.predict(texts)
    assert [r["text"] for r in results] == texts
    for r in results:
        assert r["label"] in ("negative", "positive")
        assert abs(sum(r["probabilities"].values()) - 1.0) < 1e-6
        assert r["probability"] == max(r["probabilities"].values())


def test_bad_texts_give_finite_predictions(run):
    results = run.predict(BAD_TEXTS + [b"caf\xe9 bytes"])
    assert len(results) == len(BAD_TEXTS) + 1
    assert all(np.isfinite(r["probability"]) for r in results)


def test_predict_rejects_no_inputs_and_non_strings(run):
    with pytest.raises(DataError, match="No inputs"):
        run.predict([])
    with pytest.raises(DataError, match=r"Inputs must be strings\. Received: inputs\[1\]=3"):
        run.predict(["fine", 3])


def test_padding_and_truncation_follow_the_config(run):
    to_ids = run.task.to_ids
    ids = to_ids(tf.constant(["great", "", "great " * 50])).numpy()
    assert ids.shape == (3, 12)
    assert ids[0, 0] > 1 and (ids[0, 1:] == 0).all() and (ids[1] == 0).all() and (ids[2] > 0).all()


def test_bucketed_batches_pad_less_than_padding_to_the_cap():
    from rnnzoo.preprocessing import batching

    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 200, size=400)
    sequences = [np.arange(1, n + 1, dtype="int32") for n in lengths]
    ds = tf.data.Dataset.from_generator(lambda: ((s, np.float32(1)) for s in sequences),
                                        output_signature=(tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.float32)))
    bucketed = batching.length_bucketed(ds, batch_size=16, max_length=200, bucket_width=20, shuffle=True, seed=0)
    plain = batching.padded_to_length(ds, batch_size=16, max_length=200, shuffle=True, seed=0)
    seen = sorted(int(n) for x, _ in bucketed for n in (x.numpy() > 0).sum(axis=1))
    assert seen == sorted(lengths.tolist()), "every example appears exactly once"
    assert batching.padding_fraction(bucketed) < 0.1 < batching.padding_fraction(plain)
    for x, _ in bucketed:
        assert x.shape[1] == (x.numpy() > 0).sum(axis=1).max(), "padded only to the longest in the batch"


def test_savedmodel_serves_raw_strings_in_a_process_without_rnnzoo(run, tmp_path):
    path = run.export(tmp_path / "exported", format="savedmodel")
    texts = ["a wonderful moving film", "a terrible boring film"] + BAD_TEXTS
    script = (
        "import sys, json, tensorflow as tf\n"
        "model = tf.saved_model.load(sys.argv[1])\n"
        "texts = json.loads(sys.stdin.read())\n"
        "scores = model.serve(tf.constant(texts)).numpy().ravel().tolist()\n"
        "default = model.signatures['serving_default'](text=tf.constant(texts[:2]))\n"
        "assert 'rnnzoo' not in sys.modules\n"
        "print(json.dumps(scores))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], input=json.dumps(texts), capture_output=True,
                            text=True, timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout.strip().splitlines()[-1])
    expected = [r["probabilities"]["positive"] for r in run.predict(texts)]
    np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-6)


def test_keras_export_reloads_safely_and_predicts_identically(run, tmp_path):
    import keras

    path = run.export(tmp_path / "model.keras", format="keras")
    reloaded = keras.saving.load_model(path, safe_mode=True)
    texts = tf.constant(["a wonderful moving film", "a terrible boring film", ""])
    expected = [r["probabilities"]["positive"] for r in run.predict([t.decode() for t in texts.numpy()])]
    np.testing.assert_allclose(reloaded.predict(texts, verbose=0).ravel(), expected, rtol=1e-6)


def test_export_replaces_an_old_export_atomically(run, tmp_path):
    target = tmp_path / "exported"
    run.export(target)
    first = sorted(p.name for p in target.iterdir())
    run.export(target)
    assert sorted(p.name for p in target.iterdir()) == first
    assert [p.name for p in tmp_path.iterdir()] == ["exported"], "no temporary folders left behind"


def test_bad_export_arguments(run, tmp_path):
    with pytest.raises(rnnzoo.ConfigError, match="`format` must be one of savedmodel, keras, onnx, litert. "
                                                 "Received: format='tflite'"):
        run.export(tmp_path / "x", format="tflite")
    with pytest.raises(rnnzoo.ConfigError, match=r"needs a path ending in \.keras"):
        run.export(tmp_path / "model.h5", format="keras")


def test_run_folder_missing_files_are_named(run, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(run.dir, broken)
    (broken / "model.keras").unlink()
    with pytest.raises(RunFolderError, match=r"missing model\.keras"):
        rnnzoo.load_run(broken).predict(["good"])
    (broken / "preprocessing.json").unlink()
    with pytest.raises(RunFolderError, match=r"missing preprocessing\.json"):
        rnnzoo.load_run(broken).predict(["good"])
    with pytest.raises(RunFolderError, match="Run folder not found"):
        rnnzoo.load_run(tmp_path / "nothing")


def test_cli_predict_prints_one_line_per_input_in_order(run, capsys, tmp_path):
    assert main(["predict", str(run.dir), "a wonderful moving film", "a terrible boring film"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all(line.split("\t")[0] in ("positive", "negative") for line in lines)
    inputs = tmp_path / "inputs.txt"
    inputs.write_bytes("great film\n\nawful \xff film\n".encode("utf-8", errors="surrogateescape") + b"\xff\n")
    assert main(["predict", str(run.dir), "--file", str(inputs)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 4


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "RUN"], "No inputs"),
        (["predict", "RUN", "--file", "MISSING"], "Input file not found"),
        (["predict", "NOWHERE", "good"], "Run folder not found"),
        (["export", "RUN", "--format", "keras", "--out", "x.h5"], "needs a path ending in .keras"),
        (["train", "sentiment_bilstm", "--data", "sample", "--data-dir", "x"], "either --data sample or --data-dir"),
        (["train", "sentiment_bilstm", "--epochs", "0", "--data", "sample"], "`train.epochs` must be >= 1"),
        (["train", "tagger_bigru", "--data", "sample"], "CoNLL-2000 not found"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(run, capsys, tmp_path, monkeypatch, argv, message):
    argv = [str(run.dir) if a == "RUN" else str(tmp_path / a) if a in ("MISSING", "NOWHERE") else a for a in argv]
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()  # a training that could not start leaves no empty run folder


def test_empty_input_file_is_an_error(run, capsys, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert main(["predict", str(run.dir), "--file", str(empty)]) == 2
    assert "Input file is empty" in capsys.readouterr().err


# examples/quickstart.py runs in tests/test_wheel_install.py, against the installed wheel.


def test_a_run_folder_refuses_a_different_config(run):
    with pytest.raises(RunFolderError, match=r"holds a run of a different config \(changed: model.units\)"):
        rnnzoo.train("sentiment_bilstm", data_dir=run.dir.parent / "aclImdb", out_dir=run.dir, epochs=2,
                     verbose=0, **{**TINY, "units": 5})


def test_weight_averaging_puts_the_moving_average_into_the_model_at_each_epoch_end():
    import keras

    from rnnzoo.training.callbacks import AverageWeightsEachEpoch

    class Gap(keras.callbacks.Callback):
        gaps = []

        def on_epoch_end(self, epoch, logs=None):
            averages = self.model.optimizer._model_variables_moving_average
            self.gaps.append(max(float(np.max(np.abs(np.asarray(v) - np.asarray(a))))
                                 for v, a in zip(self.model.trainable_variables, averages)))

    rng = np.random.default_rng(0)
    x, y = rng.integers(1, 20, size=(16, 5)), rng.integers(0, 2, size=(16,)).astype("float32")
    for callbacks, expect_equal in (([AverageWeightsEachEpoch(), Gap()], True), ([Gap()], False)):
        Gap.gaps = []
        model = rnnzoo.build("sentiment_gru", ema_momentum=0.5, units=3, vocab_size=20, embedding_dim=2)
        assert model.optimizer.use_ema and model.optimizer.ema_momentum == 0.5
        model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=callbacks)
        assert (max(Gap.gaps) == 0.0) == expect_equal


def test_many_inputs_take_the_traced_path_with_the_same_answers(run):
    # More than one batch runs the raw-text model as one traced tf.function (issue 16, point 3); one batch runs
    # eagerly (no tracing latency for a few reviews). Both give the same probabilities.
    from rnnzoo.tasks.text_classification import PREDICT_BATCH

    texts = [f"review {i}: {'a moving film' if i % 2 else 'two hours I will never get back'}"
             for i in range(PREDICT_BATCH + 9)]
    many = run.predict(texts)
    assert len(many) == len(texts) and [r["text"] for r in many] == texts
    for chosen in (0, 1, PREDICT_BATCH + 8):
        one = run.predict([texts[chosen]])[0]
        assert one["label"] == many[chosen]["label"]
        assert one["probability"] == pytest.approx(many[chosen]["probability"], abs=1e-5)
