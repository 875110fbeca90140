"""Two trainings into one run folder: the second exits at once naming the first; a killed one blocks nothing.

Issue 16 point 11: the probe ran two `rnnzoo train` processes on the same --out and both trained to the end.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from imdb_fixtures import write_acl_imdb
from rnnzoo.cli import main
from rnnzoo.errors import RunFolderError
from rnnzoo.runs.folder import LOCK_FILE, RunFolder

TINY = ["--batch-size", "4", "--seed", "7", *("--set units=4 --set embedding_dim=4 --set num_layers=1 "
                                                "--set max_length=16 --set vocab_size=100").split()]


def wait_for_lock(folder, process) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        lock = folder / LOCK_FILE
        if lock.exists() and lock.read_text().strip() == str(process.pid):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the training never took the lock")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_acl_imdb(tmp_path_factory.mktemp("lock_data"))


def test_a_second_training_on_the_same_folder_exits_at_once_naming_the_first(data, tmp_path, capsys):
    out = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "rnnzoo.cli", "train", "sentiment_bilstm", "--data-dir", str(data),
                              "--out", str(out), "--epochs", "1000", *TINY],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        wait_for_lock(out, first)
        started = time.perf_counter()
        status = main(["train", "sentiment_bilstm", "--data-dir", str(data), "--out", str(out), "--epochs", "1", *TINY])
        elapsed = time.perf_counter() - started
        err = capsys.readouterr().err
        assert status == 2 and err.count("\n") == 1, err
        assert f"is in use: process {first.pid} is training into it" in err and "choose another --out" in err
        assert elapsed < 2, f"the second training took {elapsed:.1f} s to refuse"
        assert first.poll() is None, "the first training must go on"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # The killed holder's lock is gone with it: the folder trains (and resumes) again.
    status = main(["train", "sentiment_bilstm", "--data-dir", str(data), "--out", str(out), "--epochs", "1", *TINY])
    capsys.readouterr()
    assert status == 0


def test_the_lock_is_released_and_a_failed_start_leaves_no_folder(tmp_path):
    folder = RunFolder(tmp_path / "new")
    with folder.training_lock():
        with pytest.raises(RunFolderError, match=f"process {os.getpid()} is training into it"):
            with RunFolder(tmp_path / "new").training_lock():
                pass
    with folder.training_lock():  # released on exit
        (folder.path / "config.json").write_text("{}")
    with pytest.raises(KeyError):
        with RunFolder(tmp_path / "runs" / "other").training_lock():
            raise KeyError("the data did not load")
    assert not (tmp_path / "runs").exists()
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["config.json"]  # no .lock once released
