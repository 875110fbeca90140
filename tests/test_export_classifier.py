"""A classifier's SavedModel keeps its raw-text signature and adds `classify`: the label as a string and its
probability, as `Run.predict` gives them, from a process that imports only TensorFlow."""

import json

import numpy as np
import pytest

from serving_example import example_lines, serve_in_tensorflow_only

TEXTS = ["a wonderful moving film", "a terrible boring film", "", "   ", "ünïcödé ✓ words never seen", "x" * 10_000]

SERVE = """
import json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
texts = tf.constant(json.loads(sys.stdin.read()))
served = model.signatures["classify"](text=texts)
default = model.signatures["serving_default"](text=texts)
print(json.dumps({"labels": [s.decode() for s in served["label"].numpy().tolist()],
                  "probability": served["probability"].numpy().tolist(),
                  "probabilities": served["probabilities"].numpy().tolist(),
                  "default": {k: v.numpy().tolist() for k, v in default.items()},
                  "signatures": sorted(model.signatures.keys()), "rnnzoo": "rnnzoo" in sys.modules}))
"""


@pytest.fixture(scope="module")
def exported(tiny_sentiment_run, tmp_path_factory):
    return tiny_sentiment_run.export(tmp_path_factory.mktemp("classifier") / "exported")


def test_classify_signature_names_the_label_like_run_predict(tiny_sentiment_run, exported, tmp_path):
    run, path = tiny_sentiment_run, exported
    answer = serve_in_tensorflow_only(SERVE, path, json.dumps(TEXTS))
    predicted = run.predict(TEXTS)
    assert answer["signatures"] == ["classify", "serve", "serving_default"] and not answer["rnnzoo"]
    assert answer["labels"] == [p["label"] for p in predicted]
    np.testing.assert_allclose(answer["probability"], [p["probability"] for p in predicted], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(answer["probabilities"], [list(p["probabilities"].values()) for p in predicted],
                               rtol=1e-5, atol=1e-6)
    # The raw-text signature is what `model.export` wrote before: one output, the model's scores.
    assert list(answer["default"]) == ["output_0"]
    np.testing.assert_allclose(np.ravel(answer["default"]["output_0"]),
                               [p["probabilities"]["positive"] for p in predicted], rtol=1e-5, atol=1e-6)


def test_serving_example_classifies_like_run_predict_without_tensorflow_log_lines(tiny_sentiment_run, exported):
    """`make demo`'s serving step: the example on a classifier export, its stderr free of C++ log lines."""
    texts = ["A moving, beautifully acted film.", "Two hours I will never get back.", "awful"]
    lines = example_lines(exported, *texts)
    assert len(lines) == len(texts)
    for line, text, predicted in zip(lines, texts, tiny_sentiment_run.predict(texts)):
        label, probability, echoed = line.split("\t")
        assert (label, echoed) == (predicted["label"], text)
        assert float(probability) == pytest.approx(predicted["probability"], abs=5e-5)  # P(printed label)
