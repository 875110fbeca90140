"""Tagger SavedModels tag sentence strings in the graph (word keys, characters, POS, Viterbi with the CRF and
IOB rules): from a process that imports only TensorFlow they give `Run.predict`'s tags."""

import json

import pytest

import rnnzoo
from rnnzoo import ConfigError

from serving_example import example_lines, serve_in_tensorflow_only
from test_tagging import TRAIN, write_split

TINY = {"units": 8, "embedding_dim": 8, "char_embedding_dim": 4, "char_units": 6, "tag_feature_dim": 4,
        "num_layers": 1, "batch_size": 4, "validation_fraction": 0.0}
RUNS = {  # a CRF with IOB rules and POS input; softmax POS tags (no POS input, no IOB, the unseen tag banned)
    "chunk_crf": ("chunker_bigru_crf", {"target": "chunk"}),
    "pos": ("tagger_bigru", {"target": "pos"}),
}
SENTENCES = {
    True: ["He/PRP reckons/VBZ the/DT deficit/NN ./.", "Confidence/NN in/IN the/DT pound/NN",
           "UNSEEN/NNP Wörds/NNS 1987/CD ,/, a/b/DT extraordinarily-long-unseen-word/JJ", "",
           " ".join(["the/DT pound/NN"] * 300)],
    False: ["He reckons the deficit .", "Confidence in the pound", 'It won\'t "narrow" (at $5, 1,000 or 1/2).', "UNSEEN Wörds 1987 , a/b extraordinarily-long-word",
            "", "   ", " ".join(["the pound"] * 300)],
}

SERVE = """
import json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
texts = json.loads(sys.stdin.read())
served = model.signatures["serving_default"](text=tf.constant(texts))
rows = [[t.decode() for t in row[:n]] for row, n in zip(served["tags"].numpy().tolist(), served["length"].numpy())]
many = model.signatures["serving_default"](text=tf.constant(texts[:2] * 500))["length"].numpy().tolist()
answer = {"tags": rows, "words": [[w.decode() for w in row if w] for row in served["words"].numpy().tolist()],
          "many": many, "signatures": sorted(model.signatures.keys())}
try:
    model.signatures["serving_default"](text=tf.constant(["He/PRP reckons"]))
    answer["error"] = None
except tf.errors.InvalidArgumentError as error:
    answer["error"] = error.message
assert "rnnzoo" not in sys.modules
print(json.dumps(answer))
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conll2000")
    write_split(folder, "train.txt", [TRAIN + "\n"] * 6)
    write_split(folder, "test.txt", [TRAIN])
    return folder


# The softmax POS tagger is opt-in (`-m slow`); the CRF chunker, which reads POS, stays in the default suite.
@pytest.fixture(scope="module", params=["chunk_crf", pytest.param("pos", marks=pytest.mark.slow)])
def exported(request, data_dir, tmp_path_factory):
    name, overrides = RUNS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    run = rnnzoo.train(name, data_dir=data_dir, out_dir=folder / "run", epochs=1, verbose=0, **TINY, **overrides)
    texts = SENTENCES[run.task.uses_pos]
    path = run.export(folder / "exported")
    return run, texts, serve_in_tensorflow_only(SERVE, path, json.dumps(texts))


def test_savedmodel_tags_like_run_predict_in_a_process_without_rnnzoo(exported):
    run, texts, answer = exported
    real = [text for text in texts if text.strip()]
    predicted = {r["text"]: r for r in run.predict(real)}
    assert answer["tags"] == [predicted[t]["tags"] if t in predicted else [] for t in texts]
    assert answer["words"] == [predicted[t]["words"] if t in predicted else [] for t in texts]
    assert answer["signatures"] == ["serve", "serving_default"]
    assert answer["many"] == [len(real[0].split()), len(real[1].split())] * 500


def test_a_chunker_that_reads_pos_wants_word_slash_pos(exported):
    run, _, answer = exported
    if run.task.uses_pos:
        assert "write tokens as word/POS" in answer["error"]
    else:
        assert answer["error"] is None


def test_keras_format_is_refused(exported, tmp_path):
    run, _, _ = exported
    with pytest.raises(ConfigError, match="use format='savedmodel'. Received: format='keras'"):
        run.export(tmp_path / "model.keras", format="keras")


def test_serving_example_tags_like_run_predict(exported):
    run, texts, _ = exported
    sentences = [text for text in texts if text.strip()][:3]
    lines = example_lines(run.dir.parent / "exported", *sentences)
    assert lines == [run.task.format_prediction(p) for p in run.predict(sentences)]  # as `rnnzoo predict` prints
