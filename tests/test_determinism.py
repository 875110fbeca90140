"""`--seed` with `--deterministic` gives bit-identical weights for two runs on CPU."""

import numpy as np
import pytest
from tensorflow.python.framework import config as tf_config

import rnnzoo
from imdb_fixtures import write_acl_imdb
from rnnzoo.cli import main

TINY = dict(units=4, embedding_dim=4, num_layers=1, max_length=12, vocab_size=100, batch_size=8, epochs=1, seed=3)


@pytest.fixture
def determinism_switched_back():
    yield
    tf_config.disable_op_determinism()  # process-wide: other tests keep the default kernels


def test_two_deterministic_runs_give_bit_identical_weights(tmp_path, determinism_switched_back):
    data = write_acl_imdb(tmp_path)
    runs = [rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=tmp_path / f"run{i}", verbose=0,
                         deterministic=True, **TINY) for i in range(2)]
    assert tf_config.is_op_determinism_enabled()
    assert runs[0].config.train.deterministic and runs[0].config.model.dropout > 0  # dropout draws random masks
    first, second = (run.model.get_weights() for run in runs)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    timing = ("train_seconds", "samples_per_second")
    assert [{k: v for k, v in row.items() if k not in timing} for row in runs[0].history] == \
        [{k: v for k, v in row.items() if k not in timing} for row in runs[1].history]


@pytest.mark.parametrize("argv, message", [
    (["--deterministic", "--seed", "-1"], "train.seed` must be >= 0"),
    (["--set", "deterministic=maybe"], "train.deterministic` must be of type bool"),
])
def test_seed_and_deterministic_flags_are_validated(argv, message, capsys):
    assert main(["train", "sentiment_bilstm", "--data", "sample", *argv]) == 2
    assert message in capsys.readouterr().err
