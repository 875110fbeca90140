"""A tracker's SavedModel takes detections (NaN where missed) and gives `Run.predict`'s positions, computing
the input features in the graph, from a process that imports only TensorFlow."""

import json

import numpy as np
import pytest

import rnnzoo
from rnnzoo import datasets

from serving_example import example_lines, serve_in_tensorflow_only

TINY = {"units": 8, "num_examples": 60, "seq_length": 12, "batch_size": 16, "num_layers": 1}

SERVE = """
import json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
detections = tf.constant(json.loads(sys.stdin.read()), tf.float32)
served = model.signatures["serving_default"](detections=detections)
assert "rnnzoo" not in sys.modules
print(json.dumps({"positions": served["positions"].numpy().tolist(), "signatures": sorted(model.signatures)}))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tracker")
    run = rnnzoo.train("tracker_lstm", out_dir=folder / "run", epochs=1, verbose=0, **TINY)
    observations = np.asarray(datasets.examples(run.config, "test")[0], dtype=np.float32)
    observations[0, :3] = np.nan                        # a track that starts unseen
    observations[1, :] = np.nan                         # a track never seen
    observations[2, 5:] = np.nan                        # a track lost for good
    return run, observations, run.export(folder / "exported")


def as_text(track) -> str:
    """A track as `Run.predict` reads it: x,y per step, `-` where the detection was missed."""
    return " ".join("-" if np.isnan(x) else f"{x!r},{y!r}" for x, y in track.tolist())


def test_savedmodel_tracks_like_run_predict_in_a_process_without_rnnzoo(exported, tmp_path):
    run, observations, path = exported
    answer = serve_in_tensorflow_only(SERVE, path, json.dumps(observations.tolist()))
    assert answer["signatures"] == ["serve", "serving_default"]
    np.testing.assert_allclose(answer["positions"], run.task.track(run.model, observations), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(answer["positions"][0], run.predict([as_text(observations[0])])[0]["positions"],
                               rtol=1e-5, atol=1e-5)


def test_serving_example_tracks_a_json_file_like_run_predict(exported, tmp_path):
    run, observations, path = exported
    tracks = observations[:3]
    steps = [[None if np.isnan(x) else [x, y] for x, y in track.tolist()] for track in tracks]  # null: missed
    (tmp_path / "tracks.json").write_text(json.dumps(steps))
    lines = example_lines(path, tmp_path / "tracks.json")
    assert len(lines) == len(tracks)
    for line, predicted in zip(lines, run.predict([as_text(track) for track in tracks])):
        printed = [[float(v) for v in step.split(",")] for step in line.split()]
        np.testing.assert_allclose(printed, predicted["positions"], atol=1e-4)
