"""`train(tensorboard=True)` / `rnnzoo train --tensorboard` writes logs TensorBoard's own reader reads back (issue 17)."""

import pytest
from tensorboard.backend.event_processing import event_accumulator

import rnnzoo
from imdb_fixtures import write_acl_imdb
from rnnzoo.runs import RunFolder
from test_resume import TINY, Crash, CrashMidEpoch


def scalars(folder, split: str) -> dict[str, list[int]]:
    """Tag -> the epochs logged, read with TensorBoard's EventAccumulator."""
    events = event_accumulator.EventAccumulator(str(folder / split), size_guidance={event_accumulator.TENSORS: 0})
    events.Reload()
    return {tag: sorted(event.step for event in events.Tensors(tag)) for tag in events.Tags()["tensors"]}


def test_tensorboard_logs_every_epoch_and_continue_after_a_resume(tmp_path):
    data, out = write_acl_imdb(tmp_path), tmp_path / "run"
    with pytest.raises(CrashMidEpoch):  # epoch 1 is logged, then the process dies in epoch 2
        rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=out, verbose=0, tensorboard=True,
                     callbacks=[Crash(epoch=1, batch=3)], **TINY)
    rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=out, verbose=0, tensorboard=True, **TINY)
    logs = RunFolder(out).tensorboard_dir
    train, validation = scalars(logs, "train"), scalars(logs, "validation")
    assert train["epoch_loss"] == [0, 1] and train["epoch_accuracy"] == [0, 1]
    assert train["epoch_learning_rate"] == [0, 1]
    assert validation["epoch_loss"] == [0, 1]

