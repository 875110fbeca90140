"""Sizes no machine could hold are refused in one line before anything is built (issue 16, point 6)."""

import pytest

import rnnzoo
from rnnzoo import ConfigError
from rnnzoo.builders.memory import check_memory, parameter_count
from rnnzoo.cli import main
from rnnzoo.config import load_config


@pytest.mark.parametrize("override", [{"units": 10**9}, {"vocab_size": 10**8, "embedding_dim": 10**4},
                                      {"embedding_dim": 10**9}])
def test_a_model_larger_than_memory_is_refused_before_keras_builds_it(override):
    with pytest.raises(ConfigError, match=r"sentiment_lstm: the model needs about [\d,.]+ GiB \([\d,]+ parameters\) "
                                          r"but this machine has [\d,.]+ GiB; reduce the sizes\. Received: units="):
        rnnzoo.build("sentiment_lstm", **override)


def test_training_counts_one_batch_of_activations_and_refuses_before_any_data_loads(tmp_path):
    with pytest.raises(ConfigError, match=r"char_lstm: .* parameters and one batch of activations\) .* "
                                          r"seq_length=1000000000"):
        rnnzoo.train("char_lstm", seq_length=10**9, out_dir=tmp_path / "run", data_dir=tmp_path / "missing")
    assert not (tmp_path / "run").exists()


def test_the_estimate_is_the_real_parameter_count_within_a_small_factor():
    for name in ("sentiment_bilstm", "char_lstm", "tagger_bigru", "translate_gru", "caption_lstm", "addition_lstm"):
        estimate, real = parameter_count(load_config(name)), rnnzoo.build(name, compile=False).count_params()
        assert 0.5 < estimate / real < 3, name


def test_a_model_that_fits_is_accepted_and_a_small_machine_refuses_it():
    cfg = load_config("sentiment_bilstm")
    check_memory(cfg, training=True)  # this machine
    with pytest.raises(ConfigError, match=r"but this machine has 0\.0 GiB"):
        check_memory(cfg, training=True, available=10**6)


def test_the_cli_says_it_in_one_line_with_exit_2(capsys):
    assert main(["info", "sentiment_lstm", "--set", "units=1000000000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnzoo: error: sentiment_lstm: the model needs about") and err.count("\n") == 1
