"""A data path the user gives that does not exist is an error at once, never a download (issue 17, point 2)."""

import os
import subprocess
import sys
import time

import pytest

from rnnzoo import datasets
from rnnzoo.cli import main
from rnnzoo.datasets import sources
from rnnzoo.errors import DataError

LOCATED = sorted(name for name in datasets.names() if "data_dir" in datasets.info(name).keywords())


def test_every_loader_with_a_location_is_checked():
    assert {"imdb", "multi30k", "tiny_shakespeare", "conll2000", "flickr"} <= set(LOCATED)


@pytest.mark.parametrize("name", LOCATED)
def test_a_missing_data_dir_fails_at_once_without_a_download(name, tmp_path, monkeypatch):
    monkeypatch.delenv(sources.OFFLINE_ENV, raising=False)  # a user's machine: downloads allowed

    def no_download(*args, **kwargs):
        raise AssertionError("a download route was tried")

    monkeypatch.setattr(sources, "from_tfds", no_download)
    missing = tmp_path / "nonexistent" / "aclImdb.tar.gz"
    start = time.perf_counter()
    with pytest.raises(DataError) as caught:
        datasets.load_examples(name, "train", data_dir=missing)
    assert time.perf_counter() - start < 15
    message = str(caught.value)
    assert str(missing) in message and "\n" not in message


def test_the_missing_path_error_names_it(tmp_path):
    with pytest.raises(DataError, match=r"The data path does not exist: .*nowhere \(nothing is downloaded in its "
                                        r"place\)\. Received: data_dir='.*nowhere'"):
        datasets.load_examples("conll2000", "train", data_dir=tmp_path / "nowhere")


def test_an_existing_imdb_folder_without_the_data_is_not_replaced_by_a_download(tmp_path, monkeypatch):
    monkeypatch.delenv(sources.OFFLINE_ENV, raising=False)
    monkeypatch.setattr(sources, "from_tfds", lambda *a, **k: pytest.fail("a download route was tried"))
    with pytest.raises(DataError, match=r"IMDB not found\. .*tensorflow_datasets \(not tried: data_dir was given\)"):
        datasets.load_examples("imdb", "train", data_dir=tmp_path)


def test_cli_train_with_a_mistyped_imdb_path_ends_in_seconds(tmp_path):
    """What the user ran: exit 2 with one line, no urllib3 retries or progress bars, no run folder."""
    env = {k: v for k, v in os.environ.items() if k != sources.OFFLINE_ENV}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "rnnzoo.cli", "train", "sentiment_lstm", "--data-dir",
                             "/nonexistent/aclImdb.tar.gz", "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    elapsed = time.perf_counter() - start
    assert result.returncode == 2, result.stderr
    assert elapsed < 15, f"took {elapsed:.1f} s"
    assert result.stderr.strip().splitlines()[-1].startswith("rnnzoo: error: The data path does not exist")
    assert "urllib3" not in result.stderr and "Dl Completed" not in result.stderr
    assert not (tmp_path / "run").exists()


def test_cli_missing_data_dir_is_exit_2(tmp_path, capsys):
    assert main(["train", "tagger_bigru", "--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert "The data path does not exist" in err and len(err.splitlines()) == 1


def test_a_data_dir_for_a_generated_data_set_is_refused_not_ignored(tmp_path, capsys):
    """`--data-dir` used to be dropped without a word for data sets made by their loader."""
    assert main(["train", "addition_lstm", "--data-dir", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err.strip()
    assert error == (f"rnnzoo: error: `data_dir` does not apply to addition_lstm: its data set 'addition' reads no data folder "
                     "(its loader takes num_examples, seed, digits, validation_fraction, test_fraction); drop --data-dir. "
                     f"Received: data_dir={str(tmp_path)!r}")
    assert not (tmp_path / "run").exists()
