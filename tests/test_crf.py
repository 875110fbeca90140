"""The tagger's CRF: its likelihood is a distribution over tag sequences, Viterbi finds the best one,
IOB constraints keep chunk sequences well formed, and a CRF tagger trains, saves, loads and tags."""

import itertools

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo import ConfigError
from rnnzoo.builders import aligned
from rnnzoo.inference.viterbi import viterbi
from rnnzoo.layers.crf import CRF, CRFLoss, sequence_log_likelihood
from rnnzoo.tasks.tagging_metrics import iob_transition_mask
from test_tagging import TINY
from test_tagging import data_dir as tagging_data_dir

data_dir = tagging_data_dir  # the tiny CoNLL-2000 folder fixture, shared


@pytest.fixture
def crf_layer():
    model = rnnzoo.build("tagger_bigru", num_classes=4, crf=True, vocab_size=30, embedding_dim=4, units=3,
                         char_embedding_dim=0, tag_feature_dim=0)
    crf = aligned.crf_layer(model)
    rng = np.random.default_rng(0)
    for weight in crf.weights:
        weight.assign(rng.normal(size=weight.shape))
    return crf


def test_likelihood_sums_to_one_over_every_tag_sequence_and_ignores_padding(crf_layer):
    rng = np.random.default_rng(1)
    emissions = rng.normal(size=(1, 4, 4)).astype("float32")
    mask = np.array([[True, True, True, False]])
    paths = list(itertools.product(range(4), repeat=3))
    log_p = {}
    for path in paths:
        tags = np.array([[*path, 0]], dtype="int32")
        log_p[path] = float(keras.ops.convert_to_numpy(sequence_log_likelihood(emissions, tags, mask, crf_layer))[0])
        padded = np.array([[*path, 3]], dtype="int32")  # a different tag at the padded step changes nothing
        other = sequence_log_likelihood(emissions, padded, mask, crf_layer)
        assert float(keras.ops.convert_to_numpy(other)[0]) == pytest.approx(log_p[path], abs=1e-5)
    assert sum(np.exp(v) for v in log_p.values()) == pytest.approx(1.0, abs=1e-4)
    transitions, start, end = (keras.ops.convert_to_numpy(w).astype("float64")
                               for w in (crf_layer.transitions, crf_layer.start, crf_layer.end))
    assert tuple(viterbi(emissions[0, :3].astype("float64"), transitions, start, end)) == max(log_p, key=log_p.get)


def test_iob_constraints_allow_only_well_formed_chunks():
    tags = ["<unseen>", "O", "B-NP", "I-NP", "B-VP", "I-VP"]
    transitions, start = iob_transition_mask(tags)
    # Scores that, word by word, prefer the ill-formed "O I-NP I-VP".
    scores = np.log(np.array([
        [0.0, 0.4, 0.1, 0.5, 0.0, 0.0],
        [0.0, 0.1, 0.1, 0.6, 0.1, 0.1],
        [0.0, 0.1, 0.1, 0.1, 0.2, 0.5],
    ]) + 1e-12)
    path = [tags[i] for i in viterbi(scores, transitions, start, np.zeros(len(tags)))]
    assert path[0] != "I-NP" and all(
        not b.startswith("I-") or a[2:] == b[2:] and a != "O" for a, b in zip(path, path[1:]))
    assert np.isneginf(transitions[1, 3]) and transitions[2, 3] == 0 and transitions[3, 3] == 0
    assert np.isneginf(start[3]) and np.isneginf(transitions[:, 0]).all()


def test_the_loss_finds_the_crf_layer_by_type_and_a_softmax_tagger_has_none():
    model = rnnzoo.build("tagger_bigru", num_classes=4, crf=True, vocab_size=30, embedding_dim=4, units=3,
                         char_embedding_dim=0, tag_feature_dim=0)
    loss = CRFLoss()
    loss.bind(model)
    assert loss.crf is aligned.crf_layer(model) and isinstance(loss.crf, CRF)
    softmax = rnnzoo.build("tagger_bigru", num_classes=4, vocab_size=30, embedding_dim=4, units=3,
                           char_embedding_dim=0, tag_feature_dim=0, compile=False)
    assert aligned.crf_layer(softmax) is None
    with pytest.raises(ValueError, match="exactly one CRF layer"):
        CRFLoss().bind(softmax)


def test_crf_is_for_taggers_only():
    with pytest.raises(ConfigError, match="`model.crf` applies to aligned taggers"):
        rnnzoo.load_config("sentiment_gru", {"crf": True})


def test_a_crf_tagger_trains_saves_loads_and_tags_well_formed_chunks(data_dir, tmp_path):
    run = rnnzoo.train("tagger_bigru", data_dir=data_dir, out_dir=tmp_path / "run", epochs=2, verbose=0,
                       target="chunk", crf=True, **TINY)
    assert 0.0 <= run.metrics["test_chunk_f1"] <= 1.0 and np.isfinite(run.history[-1]["loss"])
    loaded = rnnzoo.load_run(run.dir)
    assert aligned.crf_layer(loaded.model).transitions.shape == (len(loaded.task.tags),) * 2
    assert np.isfinite(loaded.evaluate(data_dir=data_dir)["loss"])  # the loaded loss is bound to its CRF layer
    [prediction] = loaded.predict(["He/PRP reckons/VBZ the/DT current/JJ deficit/NN ./."])
    tags = prediction["tags"]
    assert len(tags) == 6 and not tags[0].startswith("I-")
    assert all(not b.startswith("I-") or a[2:] == b[2:] for a, b in zip(tags, tags[1:]))
