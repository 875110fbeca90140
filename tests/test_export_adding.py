"""An adding model's SavedModel takes (batch, length, 2) (value, marker) sequences and gives `Run.predict`'s sums,
from a process that imports only TensorFlow."""

import json

import numpy as np
import pytest

import rnnzoo

from serving_example import example_lines, serve_in_tensorflow_only

SERVE = """
import json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
signature = model.signatures["serving_default"]
[name] = signature.structured_input_signature[1]
served = signature(**{name: tf.constant(json.loads(sys.stdin.read()), tf.float32)})
assert "rnnzoo" not in sys.modules
print(json.dumps({"sums": list(served.values())[0].numpy().ravel().tolist(), "input": name}))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("adding")
    run = rnnzoo.train("adding_gru", out_dir=folder / "run", epochs=1, num_examples=40, seq_length=6, units=4,
                       verbose=0)
    rng = np.random.default_rng(0)
    sequences = np.stack([rng.uniform(size=(9, 2)) for _ in range(5)]).astype("float32")  # longer than training
    sequences[..., 1] = 0.0
    sequences[:, [1, 4], 1] = 1.0
    return run, sequences, run.export(folder / "exported")


def test_savedmodel_adds_like_run_predict_in_a_process_without_rnnzoo(exported, tmp_path):
    run, sequences, path = exported
    answer = serve_in_tensorflow_only(SERVE, path, json.dumps(sequences.tolist()))
    np.testing.assert_allclose(answer["sums"], [p["sum"] for p in run.predict(sequences)], rtol=1e-5, atol=1e-6)


def test_serving_example_adds_a_json_file_like_run_predict(exported, tmp_path):
    run, sequences, path = exported
    (tmp_path / "sequences.json").write_text(json.dumps(sequences.tolist()))
    lines = example_lines(path, tmp_path / "sequences.json")
    np.testing.assert_allclose([float(line) for line in lines], [p["sum"] for p in run.predict(sequences)],
                               atol=1e-4)
