"""Every named model exports a SavedModel that serves one input (opt-in: `make test-slow`).

Parametrised over `rnnzoo.list_models()`: a TOML file added to zoo_configs/ is
trained (tiny, one epoch), exported with `Run.export`, loaded with
`tf.saved_model.load` and called through `serving_default` the moment it
exists. Its data set needs an entry in TINY_DATA (tiny data written here in
the layout its loader reads, and sizes) and its task kind one in SERVING (one
valid input, the output's name, dtype and shape); a missing entry fails,
naming what to add. Parity with `Run.predict`/`decode`/`generate` is tested per
kind in tests/test_export_<kind>.py.
"""

import gzip

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from rnnzoo import datasets

from helpers import tiny_overrides
from imdb_fixtures import write_acl_imdb
from test_export_char_lm import TEXT as SHAKESPEARE
from test_tagging import TRAIN as CONLL, write_split

pytestmark = pytest.mark.slow

GERMAN_ENGLISH = [("Ein Mann fährt Fahrrad.", "A man rides a bike."),
                  ("Zwei Hunde spielen im Schnee.", "Two dogs play in the snow."),
                  ("Eine Frau liest ein Buch.", "A woman reads a book."),
                  ("Ein Kind spielt mit einem Ball.", "A child plays with a ball.")]


def write_multi30k(root):
    """root/{train,val,test_2016_flickr}.{de,en}.gz, the publisher's layout."""
    for stem, copies in (("train", 10), ("val", 2), ("test_2016_flickr", 1)):
        for language, column in (("de", 0), ("en", 1)):
            lines = "".join(f"{pair[column]}\n" for pair in GERMAN_ENGLISH * copies)
            (root / f"{stem}.{language}.gz").write_bytes(gzip.compress(lines.encode()))
    return root


def write_corpus(root):
    (root / "corpus.txt").write_text(SHAKESPEARE, encoding="utf-8")
    return root / "corpus.txt"


def write_conll2000(root):
    write_split(root, "train.txt", [CONLL + "\n"] * 6)
    write_split(root, "test.txt", [CONLL])
    return root


SYNTHETIC = {"num_examples": 60}
# Per data set: a writer of tiny data in its loader's layout (None: generated in-package) and tiny sizes.
TINY_DATA = {
    "imdb": (write_acl_imdb, {"num_layers": 1, "max_length": 12, "batch_size": 8}),
    "multi30k": (write_multi30k, {"max_length": 12, "dropout": 0.0, "batch_size": 8}),
    "tiny_shakespeare": (write_corpus, {"seq_length": 16, "batch_size": 16}),
    "conll2000": (write_conll2000, {"char_embedding_dim": 4, "char_units": 6, "tag_feature_dim": 4, "num_layers": 1,
                                    "batch_size": 4, "validation_fraction": 0.0}),
    "addition": (None, {**SYNTHETIC, "batch_size": 32}),
    "dates": (None, {**SYNTHETIC, "batch_size": 32}),
    "scenes": (None, {**SYNTHETIC, "condition_dim": 8, "image_size": 16, "batch_size": 32}),
    "tracking": (None, {**SYNTHETIC, "seq_length": 12, "num_layers": 1, "batch_size": 16}),
    "adding": (None, {**SYNTHETIC, "seq_length": 6}),
}


def held_out(run):
    """(inputs, targets) of the run's test split."""
    inputs, targets, _ = datasets.examples(run.config, "test", data_dir=run.folder.data_dir())
    return inputs, targets


def sentence(run) -> str:
    """A test sentence of a tagger, as word/POS tokens when the model reads POS."""
    inputs, targets = held_out(run)
    words, (pos, _) = inputs[0], targets[0]
    if run.task.uses_pos:
        return " ".join(f"{word}/{tag}" for word, tag in zip(words.split(), pos.split()))
    return words


def input_name(model) -> str:
    [name] = model.signatures["serving_default"].structured_input_signature[1]
    return name


# Per task kind: (one valid input for serving_default, the output it gives: name, dtype, shape).
SERVING = {
    "text_classification": (lambda run, model: {"text": ["a wonderful moving film"]},
                            lambda run: ("output_0", tf.float32, (1, run.config.model.num_classes))),
    "seq2seq": (lambda run, model: {"text": held_out(run)[0][:1]},
                lambda run: ("output", tf.string, (1,))),
    "language_model": (lambda run, model: {"text": ["First Citizen:"]},
                       lambda run: ("output_0", tf.float32, (1, run.config.model.num_classes))),
    "tagging": (lambda run, model: {"text": [sentence(run)]},
                lambda run: ("tags", tf.string, (1, len(sentence(run).split())))),
    "captioning": (lambda run, model: {"image": [tf.io.encode_png(held_out(run)[0][0]).numpy()]},
                   lambda run: ("caption", tf.string, (1,))),
    "tracking": (lambda run, model: {"detections": np.asarray(held_out(run)[0][:1], np.float32)},
                 lambda run: ("positions", tf.float64, (1, run.config.data.seq_length, 2))),
    "adding": (lambda run, model: {input_name(model): np.asarray(held_out(run)[0][:1], np.float32)},
               lambda run: ("output_0", tf.float32, (1, 1))),
}


def tiny_run(name, folder):
    cfg = rnnzoo.load_config(name)
    if cfg.data.dataset not in TINY_DATA:
        pytest.fail(f"{name} reads the data set {cfg.data.dataset!r}: add its tiny data to TINY_DATA in {__file__}")
    if cfg.task not in SERVING:
        pytest.fail(f"{name} is a {cfg.task!r} model: add one input and its output to SERVING in {__file__}")
    write, sizes = TINY_DATA[cfg.data.dataset]
    data_dir = write(folder / "data") if write else None
    return rnnzoo.train(name, data_dir=data_dir, out_dir=folder / "run", epochs=1, verbose=0,
                        **{**tiny_overrides(cfg), **sizes})


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_every_named_model_exports_a_savedmodel_that_serves(name, tmp_path):
    (tmp_path / "data").mkdir()
    run = tiny_run(name, tmp_path)
    path = run.export(tmp_path / "exported")
    make_input, output_of = SERVING[run.config.task]
    model = tf.saved_model.load(str(path))  # kept alive while its signature runs
    inputs = {key: tf.constant(value) for key, value in make_input(run, model).items()}
    served = model.signatures["serving_default"](**inputs)
    key, dtype, shape = output_of(run)
    assert key in served, f"serving_default gives {sorted(served)}"
    assert (served[key].dtype, tuple(served[key].shape)) == (dtype, shape)
    values = served[key].numpy()
    if dtype == tf.string:
        for value in values.ravel():
            value.decode("utf-8")  # raises on bytes that are not UTF-8
    else:
        assert np.isfinite(values).all()
