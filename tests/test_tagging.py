"""Sequence tagging: the CoNLL-2000 reader, conlleval span scores, the tagger builder and a tiny run."""

import gzip

import numpy as np
import pytest

import rnnzoo
from rnnzoo import ConfigError, DataError
from rnnzoo.cli import main
from rnnzoo.datasets.conll2000 import load_sentences, read_tagged
from rnnzoo.layers import MaskedMaxOverCharacters
from rnnzoo.tasks.tagging_metrics import chunk_scores, chunks, token_accuracy

TRAIN = """Confidence NN B-NP
in IN B-PP
the DT B-NP
pound NN I-NP
is VBZ B-VP
widely RB I-VP
expected VBN I-VP
. . O

He PRP B-NP
reckons VBZ B-VP
the DT B-NP
current JJ I-NP
account NN I-NP
deficit NN I-NP
will MD B-VP
narrow VB I-VP
. . O
"""
TINY = {"units": 8, "embedding_dim": 8, "char_embedding_dim": 4, "char_units": 6, "tag_feature_dim": 4,
        "num_layers": 1, "batch_size": 4, "validation_fraction": 0.0}


def write_split(folder, name, sentences, *, compress=False):
    text = "".join(sentences)
    path = folder / (name + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
    return path


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A tiny CoNLL-2000 layout: train.txt.gz (the publisher's compression) and test.txt."""
    folder = tmp_path_factory.mktemp("conll2000")
    write_split(folder, "train.txt", [TRAIN + "\n"] * 6, compress=True)
    write_split(folder, "test.txt", [TRAIN])
    return folder


# ---- conlleval span rules, against hand-computed examples ---------------------------------------

def test_chunks_follow_conlleval_rules():
    assert chunks(["B-NP", "I-NP", "O", "B-VP", "I-VP", "B-VP"]) == {(0, 1, "NP"), (3, 4, "VP"), (5, 5, "VP")}
    # An I- after O, or after another type, starts a chunk (conlleval), B- always starts one.
    assert chunks(["O", "I-NP", "I-NP", "I-VP", "B-VP", "I-VP"]) == {(1, 2, "NP"), (3, 3, "VP"), (4, 5, "VP")}
    assert chunks(["O", "O"]) == set() and chunks([]) == set()


def test_chunk_scores_by_hand():
    gold = [["B-NP", "I-NP", "B-VP", "O", "B-NP"], ["B-PP", "B-NP"]]
    # sentence 1: NP(0-1) right, VP(2) right, NP(4) predicted as VP(4) -> wrong;
    # sentence 2: PP right, NP(1) split wrongly into nothing (O). 3 correct, 5 gold, 4 predicted.
    predicted = [["B-NP", "I-NP", "B-VP", "O", "B-VP"], ["B-PP", "O"]]
    scores = chunk_scores(gold, predicted)
    assert (scores["correct_chunks"], scores["gold_chunks"], scores["predicted_chunks"]) == (3, 5, 4)
    assert scores["precision"] == pytest.approx(3 / 4) and scores["recall"] == pytest.approx(3 / 5)
    assert scores["f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    # A chunk with the right type and start but a wrong end is wrong (exact spans only).
    assert chunk_scores([["B-NP", "I-NP"]], [["B-NP", "B-NP"]])["correct_chunks"] == 0
    assert token_accuracy(gold, predicted) == pytest.approx(5 / 7)
    assert chunk_scores([["O"]], [["O"]])["f1"] == 0.0  # no chunks at all: defined, not a division by zero


# ---- the reader -----------------------------------------------------------------------------------

def test_reader_reads_sentences_and_carves_validation_from_train(data_dir):
    sentences = read_tagged(data_dir / "train.txt.gz")
    assert len(sentences) == 12 and sentences[1].words[:2] == ("He", "reckons") and sentences[1].chunks[-1] == "O"
    train, origin = load_sentences("train", data_dir=data_dir, validation_fraction=0.25, seed=3)
    validation, _ = load_sentences("validation", data_dir=data_dir, validation_fraction=0.25, seed=3)
    assert (len(train), len(validation)) == (9, 3) and origin == str(data_dir)
    assert len(load_sentences("test", data_dir=data_dir)[0]) == 2


@pytest.mark.parametrize("content, message", [
    ("word NN B-NP\nbroken line\n", r"bad\.txt, line 2: expected 3 fields `word POS chunk`.*found 2.*'broken line'"),
    ("a DT B-NP\n\nb NN X-NP\n", r"bad\.txt, line 3: the chunk tag must be O, B-TYPE or I-TYPE.*'b NN X-NP'"),
    ("", r"bad\.txt: no sentences \(the file is empty\)"),
    ("\n\n  \n", r"bad\.txt: no sentences"),
])
def test_malformed_tag_files_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_tagged(path)


def test_missing_data_is_one_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"CoNLL-2000 not found\. Tried: .*no train\.txt.*--data-dir"):
        load_sentences("train", data_dir=tmp_path)


# ---- builder ----------------------------------------------------------------------------------------

def tiny_tagger():
    return rnnzoo.build("tagger_bigru", units=4, embedding_dim=4, char_embedding_dim=3, char_units=5,
                        tag_feature_dim=2, vocab_size=20, num_classes=5, char_vocab_size=10,
                        tag_feature_vocab_size=7)


def test_tagger_padding_changes_nothing_and_all_masked_rows_give_no_nan():
    model = tiny_tagger()
    words = np.array([[3, 4, 5]], dtype="int32")
    chars = np.array([[[2, 3, 0], [4, 0, 0], [5, 6, 7]]], dtype="int32")
    tags = np.array([[2, 3, 4]], dtype="int32")
    short = model({"inputs": words, "chars": chars, "tag_features": tags})
    padded = model({"inputs": np.pad(words, [(0, 0), (0, 2)]), "chars": np.pad(chars, [(0, 0), (0, 2), (0, 2)]),
                    "tag_features": np.pad(tags, [(0, 0), (0, 2)])})
    np.testing.assert_allclose(np.asarray(padded)[:, :3], np.asarray(short), atol=1e-5)
    # Every step masked: outputs and loss stay finite (the loss of no real word is 0).
    empty = {"inputs": np.zeros((2, 4), "int32"), "chars": np.zeros((2, 4, 3), "int32"),
             "tag_features": np.zeros((2, 4), "int32")}
    model.run_eagerly = True
    history = model.fit(empty, np.zeros((2, 4), "int32"), epochs=1, verbose=0)
    assert history.history["loss"][0] == 0.0
    assert np.all(np.isfinite(model.predict(empty, verbose=0)))


def test_char_max_ignores_padding_characters():
    features = np.array([[[[1.0], [-5.0], [9.0]], [[0.0], [0.0], [0.0]]]], dtype="float32")  # (1, 2 words, 3 chars, 1)
    ids = np.array([[[4, 2, 0], [0, 0, 0]]], dtype="int32")  # the 9.0 sits on a padding character
    np.testing.assert_allclose(np.asarray(MaskedMaxOverCharacters()([features, ids])), [[[1.0], [0.0]]])


def test_tagger_inputs_are_for_aligned_token_models_only():
    with pytest.raises(ConfigError, match=r"`model.char_embedding_dim` and `model.tag_feature_dim` apply to aligned"):
        rnnzoo.load_config("sentiment_lstm", {"char_embedding_dim": 8})
    with pytest.raises(ConfigError, match=r"`data.target` must be one of 'pos', 'chunk'"):
        rnnzoo.load_config("tagger_bigru", {"target": "ner"})


# ---- a tiny run: train, metrics, predict -------------------------------------------------------------

@pytest.fixture(scope="module")
def chunk_run(data_dir, tmp_path_factory):
    return rnnzoo.train("tagger_bigru", data_dir=data_dir, out_dir=tmp_path_factory.mktemp("chunk") / "run",
                        epochs=2, verbose=0, target="chunk", **TINY)


def test_chunk_run_records_span_f1_and_reads_pos(chunk_run):
    m = chunk_run.metrics
    assert m["target"] == "chunk" and m["test_sentences"] == 2 and m["train_sentences"] == 12
    assert 0.0 <= m["test_chunk_f1"] <= 1.0 and m["test_chunk_gold_chunks"] == 8
    assert {"inputs", "chars", "tag_features"} == {i.name for i in chunk_run.model.inputs}


def test_chunk_predict_wants_word_slash_pos(chunk_run, capsys):
    [prediction] = chunk_run.predict(["He/PRP reckons/VBZ the/DT deficit/NN ./."])
    assert prediction["words"] == ["He", "reckons", "the", "deficit", "."] and len(prediction["tags"]) == 5
    assert all(tag == "O" or tag[:2] in ("B-", "I-") for tag in prediction["tags"])
    with pytest.raises(DataError, match=r"write tokens as word/POS .*Received: 'reckons'"):
        chunk_run.predict(["He/PRP reckons"])
    with pytest.raises(DataError, match="Cannot tag an empty text"):
        chunk_run.predict(["   "])
    with pytest.raises(ConfigError, match=r"serves through Viterbi decoding, .* use format='savedmodel'"):
        chunk_run.export(format="keras")
    assert main(["predict", str(chunk_run.dir), "He/PRP reckons/VBZ"]) == 0
    assert capsys.readouterr().out.startswith("He/")


def test_pos_run_never_reads_the_pos_column(data_dir, tmp_path):
    run = rnnzoo.train("tagger_bigru", data_dir=data_dir, out_dir=tmp_path / "pos", epochs=1, verbose=0,
                       target="pos", **TINY)
    assert run.config.model.tag_feature_dim == 0 and "test_chunk_f1" not in run.metrics
    assert 0.0 <= run.metrics["test_token_accuracy"] <= 1.0
    [prediction, untokenized] = run.predict(["He reckons the unseenword will narrow .", "It won't narrow."])
    assert len(prediction["tags"]) == 7 and set(prediction["tags"]) <= set(run.task.tags[1:])
    # split like the training data (Penn Treebank tokens), not on spaces only
    assert untokenized["words"] == ["It", "wo", "n't", "narrow", "."] and len(untokenized["tags"]) == 5


def test_cli_train_on_a_malformed_file_exits_2_with_one_line(tmp_path, capsys):
    folder = tmp_path / "conll2000"
    folder.mkdir()
    write_split(folder, "train.txt", ["a DT B-NP\nb NN\n"])
    write_split(folder, "test.txt", [TRAIN])
    assert main(["train", "tagger_bigru", "--data-dir", str(folder), "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "train.txt, line 2: expected 3 fields" in error


def test_a_task_without_a_recipe_says_so(tmp_path, capsys):
    config = tmp_path / "mine.toml"
    config.write_text('io = "aligned"\ntask = "my_own_data"\n', encoding="utf-8")
    assert main(["train", str(config), "--out", str(tmp_path / "run")]) == 2
    assert "has no training recipe yet" in capsys.readouterr().err
