"""The IMDB loader: folder and archive forms, safe extraction, splits, clear errors."""

import os

import numpy as np
import pytest

from imdb_fixtures import malicious_archive, tar_folder, write_acl_imdb
from rnnzoo import DataError, datasets
from rnnzoo.datasets.imdb import load_imdb


def test_folder_and_archive_forms_give_the_same_examples(tmp_path):
    folder = write_acl_imdb(tmp_path / "data")
    archive = tar_folder(folder, tmp_path / "aclImdb_v1.tar.gz")
    for source in (folder, folder.parent, archive):
        texts, labels, origin = load_imdb("test", data_dir=source)
        assert len(texts) == 12 and labels.tolist() == [0] * 6 + [1] * 6
        assert origin == str(source)
    from_folder = load_imdb("train", data_dir=folder)[:2]
    from_archive = load_imdb("train", data_dir=archive)[:2]
    assert from_folder[0] == from_archive[0] and np.array_equal(from_folder[1], from_archive[1])


def test_archive_is_extracted_once_into_the_cache(tmp_path):
    archive = tar_folder(write_acl_imdb(tmp_path / "data"), tmp_path / "aclImdb.tar.gz")
    load_imdb("test", data_dir=archive)
    extracted = list((datasets.sources.cache_dir() / "extracted").glob("aclImdb-*"))
    mtime = [p.stat().st_mtime_ns for p in extracted]
    load_imdb("test", data_dir=archive)
    assert [p.stat().st_mtime_ns for p in extracted] == mtime
    assert not [p for p in extracted[0].parent.iterdir() if p.name.startswith(".")], "no staging folder left behind"


def test_validation_is_carved_from_train_and_disjoint(tmp_path):
    folder = write_acl_imdb(tmp_path / "data", copies=5)
    train = load_imdb("train", data_dir=folder, validation_fraction=0.2, seed=3)[0]
    validation = load_imdb("validation", data_dir=folder, validation_fraction=0.2, seed=3)[0]
    everything = load_imdb("train", data_dir=folder, validation_fraction=0.0)[0]
    assert len(validation) == 12 and len(train) == 48 and len(everything) == 60
    # Reviews repeat across copies, so compare by position: the two splits partition train.
    assert sorted(train + validation) == sorted(everything)


def test_rnnzoo_data_dir_environment_variable(tmp_path, monkeypatch):
    write_acl_imdb(tmp_path / "data")
    monkeypatch.setenv("RNNZOO_DATA_DIR", str(tmp_path / "data"))
    texts, labels, origin = load_imdb("test")
    assert len(texts) == 12 and origin.endswith("aclImdb")


def test_packaged_sample_is_real_imdb():
    texts, labels, origin = load_imdb("test", data_dir="sample")
    assert origin == "sample" and len(texts) == 1000 and labels.mean() == 0.5
    assert all(len(t) > 20 for t in texts)


def test_load_returns_a_tf_dataset():
    ds = datasets.load("imdb", "test", data_dir="sample")
    text, label = next(iter(ds))
    assert text.dtype.name == "string" and int(label) in (0, 1)


def test_nothing_found_names_every_path_tried(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError) as err:
        load_imdb("train", data_dir=tmp_path / "empty")
    message = str(err.value)
    assert "IMDB not found" in message and str(tmp_path / "empty") in message
    assert "tensorflow_datasets (not tried: data_dir was given)" in message and "--data sample" in message
    assert "\n" not in message


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "hardlink", "device"])
def test_unsafe_archive_members_are_refused(tmp_path, kind):
    archive = malicious_archive(tmp_path / "evil.tar.gz", kind)
    with pytest.raises(DataError, match="refusing"):
        load_imdb("train", data_dir=archive)
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert not os.path.exists("/tmp/rnnzoo_absolute_escape.txt")


def test_corrupt_archive_is_a_one_line_error_with_the_path(tmp_path):
    archive = tmp_path / "aclImdb_v1.tar.gz"
    archive.write_bytes(b"\x1f\x8b\x08\x00 this is not really gzip")
    with pytest.raises(DataError, match=r"aclImdb_v1.tar.gz: not a readable tar archive"):
        load_imdb("train", data_dir=archive)


def test_truncated_archive_is_refused(tmp_path):
    archive = tar_folder(write_acl_imdb(tmp_path / "data"), tmp_path / "full.tar.gz")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DataError, match="cut.tar.gz: not a readable tar archive"):
        load_imdb("train", data_dir=cut)


def test_non_utf8_review_bytes_are_replaced_not_fatal(tmp_path):
    folder = write_acl_imdb(tmp_path / "data")
    (folder / "train" / "pos" / "999_10.txt").write_bytes(b"caf\xe9 \xff\xfe great")
    texts, _, _ = load_imdb("train", data_dir=folder, validation_fraction=0.0)
    assert any("caf\ufffd" in t for t in texts)


def test_folder_without_reviews_is_explained(tmp_path):
    folder = tmp_path / "aclImdb"
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            (folder / split / label).mkdir(parents=True)
    with pytest.raises(DataError, match="no reviews"):
        load_imdb("train", data_dir=folder)


def test_unknown_split_and_data_set():
    with pytest.raises(DataError, match="`split` must be one of train, validation, test"):
        load_imdb("dev", data_dir="sample")
    with pytest.raises(DataError, match="Unknown data set 'imbd'"):
        datasets.load_examples("imbd", "train")
