"""The data-set table: one row per data set, the same splits as before it existed, options checked where they apply."""

import dataclasses
import json

import numpy as np
import pytest

import rnnzoo
from rnnzoo import ConfigError, DataError, datasets
from rnnzoo.cli import main
from rnnzoo.config import DataSpec, from_dict, load_config
from rnnzoo.config.schema import DATASET_TASK_NAMES
from rnnzoo.datasets import conll2000, imdb, text_corpus
from rnnzoo.runs.folder import RunFolder
from rnnzoo.tasks import TASKS, check_options, task_class

SPLITS = ("train", "validation", "test")


# ---- the splits of every data set are the ones each named model's numbers were made with ----------------------


def old_two_way(total: int, split: str, seed: int, fraction: float, validation_at_end: bool) -> np.ndarray:
    """The carves the IMDB (validation at the end) and CoNLL-2000 (at the start) loaders had, copied."""
    order = np.random.default_rng(seed).permutation(total)
    held_out = int(round(total * fraction))
    if validation_at_end:
        chosen = order[total - held_out:] if split == "validation" else order[: total - held_out]
    else:
        chosen = order[:held_out] if split == "validation" else order[held_out:]
    return np.sort(chosen)


def old_three_way(total: int, split: str, validation_fraction: float, test_fraction: float) -> tuple[int, int]:
    """`synthetic.split_counts` as it was: test first, then validation, then train."""
    test, validation = int(round(total * test_fraction)), int(round(total * validation_fraction))
    return {"test": (0, test), "validation": (test, test + validation), "train": (test + validation, total)}[split]


def write_conll(folder, sentences: int) -> None:
    folder.mkdir()
    lines = []
    for s in range(sentences):
        lines += [f"w{s}_{w} NN {'B-NP' if w == 0 else 'I-NP'}" for w in range(1 + s % 3)] + [""]
    (folder / "train.txt").write_text("\n".join(lines) + "\n")
    (folder / "test.txt").write_text("a DT B-NP\n\n")


@pytest.mark.parametrize("seed, fraction", [(1337, 0.1), (7, 0.25), (3, 0.0)])
def test_imdb_validation_is_still_the_tail_of_the_permutation(seed, fraction):
    everything = datasets.load_examples("imdb", "train", data_dir="sample", validation_fraction=0.0)[0]
    for split in ("train", "validation"):
        texts = datasets.load_examples("imdb", split, data_dir="sample", seed=seed, validation_fraction=fraction)[0]
        assert texts == [everything[i] for i in old_two_way(len(everything), split, seed, fraction, True)]


@pytest.mark.parametrize("seed, fraction", [(1337, 0.1), (7, 0.25)])
def test_conll2000_validation_is_still_the_head_of_the_permutation(tmp_path, seed, fraction):
    write_conll(tmp_path / "conll2000", 41)
    everything = datasets.load_examples("conll2000", "train", data_dir=tmp_path, validation_fraction=0.0)[0]
    for split in ("train", "validation"):
        words = datasets.load_examples("conll2000", split, data_dir=tmp_path, seed=seed, validation_fraction=fraction)[0]
        assert words == [everything[i] for i in old_two_way(len(everything), split, seed, fraction, False)]


def test_pinned_first_examples_of_the_samples():
    """First examples of the packaged samples with the named models' defaults (seed 1337, 10% validation)."""
    train, train_labels, _ = datasets.load_examples("imdb", "train", data_dir="sample")
    validation, labels, _ = datasets.load_examples("imdb", "validation", data_dir="sample")
    assert (len(train), len(validation), int(train_labels.sum()), int(labels.sum())) == (3600, 400, 1797, 203)
    assert train[0].startswith("This film lacked something I couldn't put my finge")
    assert train[-1].startswith("...this is a classic with so many great ")
    assert validation[0].startswith("Shame on Yash Raj films and Aditya Chopra who seem")
    assert validation[-1].startswith("I read several mixed reviews and several")
    text = datasets.load_examples("tiny_shakespeare", "train", data_dir="sample")[0][0]
    whole, _ = text_corpus.locate_and_read("sample")
    assert whole.startswith(text) and len(text) == len(whole) - int(round(len(whole) * 0.1))


@pytest.mark.parametrize("name, options", [
    ("addition", {"num_examples": 300, "digits": 2}), ("dates", {"num_examples": 300}),
    ("tracking", {"num_examples": 50, "seq_length": 6}), ("scenes", {"num_examples": 40, "image_size": 8}),
])
def test_generated_data_sets_cut_the_generated_order_as_before(name, options):
    generated = datasets.load_examples(name, "train", seed=5, validation_fraction=0.0, test_fraction=0.0, **options)
    for split in SPLITS:
        inputs = datasets.load_examples(name, split, seed=5, validation_fraction=0.2, test_fraction=0.15, **options)[0]
        start, stop = old_three_way(len(generated[0]), split, 0.2, 0.15)
        np.testing.assert_array_equal(np.asarray(inputs), np.asarray(generated[0][start:stop]))


def test_parallel_files_are_carved_by_the_sorted_permutation(tmp_path):
    (tmp_path / "s.txt").write_text("\n".join(f"s{i}" for i in range(53)))
    (tmp_path / "t.txt").write_text("\n".join(f"t{i}" for i in range(53)))
    files = {"source_file": str(tmp_path / "s.txt"), "target_file": str(tmp_path / "t.txt")}
    order = np.random.default_rng(9).permutation(53)
    for split in SPLITS:
        sources = datasets.load_examples("parallel", split, seed=9, test_fraction=0.2, **files)[0]
        start, stop = old_three_way(53, split, 0.1, 0.2)
        assert sources == [f"s{i}" for i in np.sort(order[start:stop])]


# ---- the table --------------------------------------------------------------------------------------------------


COMMON_DATA_FIELDS = {"validation_fraction"}  # read by nearly every loader: never a row's own option


@pytest.mark.parametrize("name", datasets.names())
def test_each_row_declares_exactly_the_data_fields_its_loader_reads(name):
    row = datasets.info(name)
    data_fields = {f.name for f in dataclasses.fields(DataSpec)}
    assert set(row.options) == (set(row.keywords()) & data_fields) - COMMON_DATA_FIELDS
    assert row.kind in TASKS
    assert row.validation in ("head", "tail", "published")


def test_validation_sides_in_the_table_are_the_loaders():
    for module, name in ((imdb, "imdb"), (conll2000, "conll2000"), (text_corpus, "tiny_shakespeare")):
        assert datasets.info(name).validation == module.VALIDATION_SIDE


def test_old_task_names_map_to_the_kind_of_their_data_set():
    for name, kind in DATASET_TASK_NAMES.items():
        assert datasets.info(name).kind == kind


def test_a_loader_refuses_arguments_it_does_not_read():
    with pytest.raises(DataError, match=r"The imdb loader takes .*Received: digits=3"):
        datasets.load_examples("imdb", "train", data_dir="sample", digits=3)
    assert len(datasets.load_examples("addition", "test", data_dir=None, num_examples=20)[0]) == 2


# ---- task kinds and old configs ---------------------------------------------------------------------------------


def test_an_old_config_names_its_data_set_as_task():
    old = {"name": "mine", "io": "many_to_one", "task": "imdb", "data": {"dataset": "imdb"}}
    cfg = from_dict(old)
    assert (cfg.task, cfg.data.dataset) == ("text_classification", "imdb")
    assert from_dict({"io": "seq2seq", "task": "addition"}).data.dataset == "addition"
    assert from_dict(cfg.to_dict()) == cfg


def test_a_run_folder_of_an_old_config_resumes(tmp_path):
    cfg = load_config("sentiment_lstm")
    old = cfg.to_dict()
    old["task"] = "imdb"
    (tmp_path / "config.json").write_text(json.dumps(old))
    RunFolder(tmp_path).check_resumable(cfg)
    with pytest.raises(rnnzoo.RunFolderError, match=r"changed: model.units"):
        RunFolder(tmp_path).check_resumable(cfg.replace(units=3))


def test_a_data_set_of_another_kind_is_refused():
    with pytest.raises(ConfigError, match=r"`data.dataset` 'addition' is a seq2seq data set, not a "
                                          r"text_classification one\. Received: dataset='addition'"):
        rnnzoo.get_config("sentiment_lstm", dataset="addition")
    cfg = from_dict({"io": "seq2seq", "task": "seq2seq"})
    with pytest.raises(ConfigError, match=r"`data.dataset` must name a seq2seq data set: addition, dates, multi30k, "
                                          r"parallel\. Received: dataset=''"):
        task_class(cfg)


# ---- options beside the code that reads them --------------------------------------------------------------------


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_every_named_model_passes_the_option_check(name):
    check_options(load_config(name))


@pytest.mark.parametrize("name, overrides, message", [
    ("sentiment_lstm", {"digits": 5},
     r"^`data.digits` applies to the addition data set only\. Received: digits=5, dataset='imdb'$"),
    ("sentiment_lstm", {"target": "chunk"}, r"^`data.target` applies to tagging tasks only\. Received: target='chunk'"),
    ("addition_lstm", {"source_language": "fr"}, r"`data.source_language` applies to the multi30k data set only"),
    ("tagger_bigru", {"pooling": "max"}, r"`model.pooling` applies to many_to_one models only\. "
                                         r"Received: pooling='max', io='aligned'$"),
    ("sentiment_lstm", {"seq_length": 5}, r"`data.seq_length` applies to the tracking and adding data sets and "
                                          r"language_model tasks only"),
    ("char_lstm", {"truncate": "start"}, r"`data.truncate` applies to text_classification tasks only"),
])
def test_a_field_nothing_reads_is_one_clear_error(name, overrides, message):
    with pytest.raises(ConfigError, match=message):
        rnnzoo.get_config(name, **overrides)
    with pytest.raises(ConfigError, match=message):
        rnnzoo.build(name, compile=False, **overrides)


def test_info_refuses_a_field_nothing_reads(capsys):
    assert main(["info", "sentiment_lstm", "--set", "digits=5"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "`data.digits` applies to the addition data set only" in error


def test_fields_of_the_config_own_kind_and_data_set_are_accepted():
    assert rnnzoo.get_config("addition_lstm", digits=2, reverse_source=True)["data"]["digits"] == 2
    assert rnnzoo.get_config("tracker_lstm", seq_length=9, miss_probability=0.0)["data"]["seq_length"] == 9
    assert rnnzoo.get_config("char_gru", seq_length=9)["data"]["seq_length"] == 9


def test_a_task_of_your_own_is_not_judged_on_data_fields(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('io = "aligned"\ntask = "my_own_data"\n[data]\nseq_length = 7\n')
    assert rnnzoo.get_config(path)["data"]["seq_length"] == 7
    with pytest.raises(ConfigError, match="`model.pooling` applies to many_to_one models only"):
        rnnzoo.get_config(path, pooling="max")


# ---- a new data set is a loader and one row ---------------------------------------------------------------------


REVIEWS = [("a fine warm film", 1), ("dull and slow", 0), ("warm fine acting", 1), ("slow dull plot", 0)] * 6


def load_tiny_reviews(split: str, *, seed: int = 1337, validation_fraction: float = 0.1):
    """A loader written for the test: 24 labelled texts, test = every fourth, validation carved from the rest."""
    from rnnzoo.datasets.base import carve, check_split

    check_split(split)
    texts = [t for t, _ in REVIEWS]
    labels = np.asarray([y for _, y in REVIEWS], dtype="int32")
    test = np.arange(len(texts)) % 4 == 3
    if split == "test":
        return [t for t, keep in zip(texts, test) if keep], labels[test], "in-test"
    rest = np.flatnonzero(~test)
    chosen = rest[carve(len(rest), split, seed=seed, validation_fraction=validation_fraction)]
    return [texts[i] for i in chosen], labels[chosen], "in-test"


def test_a_new_data_set_trains_through_the_table(tmp_path, monkeypatch):
    row = datasets.Dataset("tiny_reviews", "text_classification", load_tiny_reviews, labels=("bad", "good"),
                           tokenizer="words")
    monkeypatch.setitem(datasets.TABLE, row.name, row)
    config = tmp_path / "tiny.toml"
    config.write_text('io = "many_to_one"\ntask = "text_classification"\n'
                      '[model]\nunits = 4\nembedding_dim = 4\nvocab_size = 30\n'
                      '[data]\ndataset = "tiny_reviews"\nmax_length = 8\nvalidation_fraction = 0.2\n'
                      '[train]\nbatch_size = 4\n')
    run = rnnzoo.train(str(config), out_dir=tmp_path / "run", epochs=1, verbose=0)
    assert run.config.task == "text_classification" and run.config.data.dataset == "tiny_reviews"
    assert run.metrics["train_examples"] == 14 and run.metrics["test_examples"] == 6
    assert run.task.labels == ("bad", "good")
    assert len(run.predict(["a warm film"])) == 1
