"""rnnzoo doctor: environment facts and per-layer fused (cuDNN) kernel eligibility."""

import json

import keras

import rnnzoo
from rnnzoo import layers as zoo_layers
from rnnzoo.cli import main
from rnnzoo.cli.doctor import doctor, fused_blockers


def test_eligible_model_reports_every_layer_eligible():
    report = doctor("sentiment_bilstm", units=8, embedding_dim=4, vocab_size=50)
    env = report["environment"]
    assert env["backend"] == "tensorflow" and env["keras"] == keras.__version__ and "tensorflow" in env
    assert env["devices"] and env["devices"][0].startswith("CPU")
    assert [(row["layer"], row["type"]) for row in report["layers"]] == [
        ("lstm_1", "Bidirectional LSTM"), ("lstm_2", "Bidirectional LSTM")]
    assert all(row["fused_eligible"] and row["masked"] and row["why_not"] == [] for row in report["layers"])
    assert report["fused_on_this_machine"] is env["gpu"]


def test_recurrent_dropout_rules_the_fused_kernel_out():
    report = doctor("char_lstm", recurrent_dropout=0.25, units=8, embedding_dim=4, vocab_size=20, num_classes=20)
    assert [row["why_not"] for row in report["layers"]] == [["recurrent_dropout=0.25 (needs 0)"]] * 2
    assert report["fused_on_this_machine"] is False


def test_every_named_model_keeps_the_fused_kernel_but_the_simple_rnn():
    for name in rnnzoo.list_models():
        layers = doctor(name)["layers"]
        assert layers, name
        for row in layers:
            if rnnzoo.get_config(name)["model"]["cell"] == "rnn":  # sentiment_rnn, adding_rnn
                assert row["why_not"] == ["SimpleRNN has no fused kernel (only LSTM and GRU do)"]
            else:
                assert row["fused_eligible"], (name, row)


def test_each_condition_is_named():
    gru = keras.layers.GRU(4, activation="relu", reset_after=False, use_bias=False, unroll=True)
    assert fused_blockers(gru, backend="tensorflow", masked=True) == [
        "activation='relu' (needs 'tanh')", "unroll=True (needs False)", "use_bias=False (needs True)",
        "reset_after=False (needs True)"]
    lstm = keras.layers.LSTM(4, recurrent_activation="hard_sigmoid")
    assert fused_blockers(lstm, backend="tensorflow", masked=False) == [
        "recurrent_activation='hard_sigmoid' (needs 'sigmoid')"]
    # JAX and torch: their fused LSTM/GRU take no mask at all; on torch rnnzoo's layers take right-padded masks.
    jax_masked = ["masked input: the jax backend's fused kernel takes no mask (on torch, rnnzoo's LSTM/GRU layers "
                  "take right-padded masks)"]
    assert fused_blockers(keras.layers.LSTM(4), backend="jax", masked=True) == jax_masked
    assert fused_blockers(zoo_layers.LSTM(4), backend="jax", masked=True) == jax_masked
    assert fused_blockers(keras.layers.LSTM(4), backend="torch", masked=False) == []
    assert fused_blockers(zoo_layers.LSTM(4), backend="torch", masked=True) == []
    assert fused_blockers(zoo_layers.GRU(4, return_state=True), backend="torch", masked=True) == [
        "masked input: the torch backend's fused kernel takes no mask, and stateful layers or returned states "
        "rule out rnnzoo's right-padded path"]


def test_cli_doctor(capsys):
    assert main(["doctor", "sentiment_lstm", "--set", "recurrent_dropout=0.1"]) == 0
    out = capsys.readouterr().out
    assert "backend:      tensorflow" in out and "model: sentiment_lstm" in out
    assert "lstm_1  LSTM  yes     no: recurrent_dropout=0.1 (needs 0)" in out
    assert main(["doctor", "sentiment_gru", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["layers"][0]["fused_eligible"] is True
    assert main(["doctor"]) == 0 and "devices:" in capsys.readouterr().out


def test_cli_doctor_bad_input(capsys):
    assert main(["doctor", "sentiment_lstn"]) == 2
    assert "Unknown model name 'sentiment_lstn'. Did you mean 'sentiment_lstm'" in capsys.readouterr().err
    assert main(["doctor", "--set", "units=3"]) == 2
    assert "--set needs a model NAME" in capsys.readouterr().err
