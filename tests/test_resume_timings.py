"""A resumed run's timings cover every process, and re-running a finished run changes nothing (issue 16 point 4, issue 17 point 4)."""

import json

import pytest

import rnnzoo
from imdb_fixtures import write_acl_imdb
from rnnzoo.runs import RunFolder
from test_resume import TINY, Crash, CrashMidEpoch


def metrics(folder) -> dict:
    return json.loads((folder / "metrics.json").read_text(encoding="utf-8"))


def test_timings_accumulate_across_a_resume_and_more_epochs(tmp_path):
    data, out = write_acl_imdb(tmp_path), tmp_path / "run"
    with pytest.raises(CrashMidEpoch):
        rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=out, verbose=0, callbacks=[Crash(epoch=1, batch=3)],
                     **TINY)
    run = rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=out, verbose=0, **TINY)
    first = metrics(out)
    per_epoch = [row["train_seconds"] for row in run.history]
    assert len(per_epoch) == first["epochs_run"] == 2
    assert first["train_seconds"] == pytest.approx(sum(per_epoch))  # not only the epoch after the resume
    assert first["samples_per_second"] == pytest.approx(first["train_examples"] * 2 / first["train_seconds"])

    more = rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=out, verbose=0, **{**TINY, "epochs": 3})
    second = metrics(out)
    assert second["epochs_run"] == 3
    assert second["train_seconds"] == pytest.approx(sum(row["train_seconds"] for row in more.history))
    assert second["train_seconds"] > first["train_seconds"]
    assert second["wall_seconds"] > first["wall_seconds"]  # the earlier process's wall time is kept


def test_rerunning_a_finished_run_says_so_and_changes_nothing(tmp_path, capsys):
    data, out = write_acl_imdb(tmp_path), tmp_path / "run"
    rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=out, verbose=0, **TINY)
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    capsys.readouterr()
    run = rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=out, verbose=0, **TINY)
    assert f"rnnzoo: {out} holds a finished run (2 epochs); nothing to do" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()} == before
    assert run.metrics["train_seconds"] > 0 and run.metrics["samples_per_second"] is not None
    assert not RunFolder(out).tensorboard_dir.exists()  # TensorBoard logs only when asked
