"""The registry and the strict config schema: every bad input has a clear message."""

import logging

import pytest

import rnnzoo
from rnnzoo import ConfigError


def test_list_models_is_sorted_and_filters_with_wildcards():
    names = rnnzoo.list_models()
    assert names == sorted(names)
    assert {"sentiment_rnn", "sentiment_lstm", "sentiment_gru", "sentiment_bilstm", "char_lstm", "char_gru",
            "tagger_bigru", "caption_lstm", "addition_lstm", "translate_gru"} <= set(names)
    assert rnnzoo.list_models("sentiment_*") == ["sentiment_bilstm", "sentiment_gru", "sentiment_lstm", "sentiment_rnn"]
    assert rnnzoo.list_models("nothing*") == []


def test_get_config_returns_resolved_plain_data():
    cfg = rnnzoo.get_config("sentiment_bilstm")
    assert cfg["io"] == "many_to_one"
    assert cfg["model"]["cell"] == "lstm" and cfg["model"]["num_layers"] == 2 and cfg["model"]["bidirectional"] is True
    assert cfg["model"]["units"] == 64 and cfg["model"]["embedding_dim"] == 128
    assert cfg["train"]["clipnorm"] > 0, "gradient clipping is on by default"


def test_overrides_change_the_built_model():
    model = rnnzoo.build("sentiment_bilstm", cell="gru", units=8, num_layers=1, bidirectional=False,
                         vocab_size=50, embedding_dim=4)
    layer = model.get_layer("gru_1")
    assert type(layer).__name__ == "GRU" and layer.units == 8
    assert "gru_2" not in {l.name for l in model.layers}


def test_dotted_override_and_compile_false():
    model = rnnzoo.build("sentiment_gru", compile=False, **{"model.units": 3, "train.learning_rate": 0.01})
    assert model.get_layer("gru_1").units == 3
    assert not model.compiled
    assert rnnzoo.get_config("sentiment_gru", **{"train.learning_rate": 0.01})["train"]["learning_rate"] == 0.01


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ConfigError, match=r"Unknown model name 'sentiment_bilstn'\. Did you mean 'sentiment_bilstm'.*rnnzoo list"):
        rnnzoo.build("sentiment_bilstn")


def test_unknown_override_key_names_it_and_the_valid_keys():
    with pytest.raises(ConfigError, match=r"Unknown config key `unit`\. Did you mean 'units'.*Valid keys: .*embedding_dim"):
        rnnzoo.build("sentiment_bilstm", unit=3)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"units": 0}, r"`model.units` must be >= 1\. Received: units=0"),
        ({"units": -5}, r"`model.units` must be >= 1\. Received: units=-5"),
        ({"units": 2.5}, r"`model.units` must be of type int\. Received: units=2.5"),
        ({"units": True}, r"`model.units` must be of type int\. Received: units=True"),
        ({"dropout": 1.0}, r"`model.dropout` must be < 1.0\. Received: dropout=1.0"),
        ({"dropout": -0.1}, r"`model.dropout` must be >= 0.0\. Received: dropout=-0.1"),
        ({"cell": "lstmm"}, r"`model.cell` must be one of 'rnn', 'lstm', 'gru'\. Did you mean 'lstm'\? Received: cell='lstmm'"),
        ({"bidirectional": "yes"}, r"`model.bidirectional` must be of type bool\. Received: bidirectional='yes'"),
        ({"learning_rate": 0}, r"`train.learning_rate` must be > 0\.0\. Received: learning_rate=0"),
        ({"batch_size": 0}, r"`train.batch_size` must be >= 1\. Received: batch_size=0"),
        ({"optimizer": "adamm"}, r"`train.optimizer` must be one of .*Did you mean 'adam'.*Received: optimizer='adamm'"),
        ({"attention": "dot"}, r"`model.attention` applies to seq2seq models only\. Received: attention='dot'"),
    ],
)
def test_bad_values_name_the_field_expectation_and_received_value(overrides, message):
    with pytest.raises(ConfigError, match=message):
        rnnzoo.build("sentiment_bilstm", **overrides)


def test_bidirectional_generator_is_refused():
    with pytest.raises(ConfigError, match=r"`model.bidirectional` applies to encoders only.*Received: bidirectional=True"):
        rnnzoo.build("caption_lstm", bidirectional=True)


def test_softmax_head_needs_two_classes():
    with pytest.raises(ConfigError, match=r"`model.num_classes` must be >= 2 with a softmax head"):
        rnnzoo.build("sentiment_lstm", output_activation="softmax", num_classes=1)


def test_user_toml_file_builds_with_the_same_schema(tmp_path):
    path = tmp_path / "my_config.toml"
    path.write_text(
        'description = "mine"\nio = "many_to_one"\ntask = "imdb"\n'
        '[model]\ncell = "gru"\nunits = 5\nvocab_size = 30\nembedding_dim = 4\n'
    )
    model = rnnzoo.build(str(path))
    assert model.name == "my_config"
    assert model.get_layer("gru_1").units == 5
    assert rnnzoo.get_config(path)["description"] == "mine"


def test_user_toml_file_can_start_from_a_named_model(tmp_path):
    path = tmp_path / "smaller.toml"
    path.write_text('base = "sentiment_bilstm"\n[model]\nunits = 7\n[train]\nepochs = 1\n')
    cfg = rnnzoo.get_config(path)
    assert cfg["model"]["units"] == 7 and cfg["model"]["num_layers"] == 2 and cfg["train"]["epochs"] == 1
    assert cfg["io"] == "many_to_one"


def test_circular_base_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text(f'base = "{tmp_path / "b.toml"}"\n')
    (tmp_path / "b.toml").write_text(f'base = "{tmp_path / "a.toml"}"\n')
    with pytest.raises(ConfigError, match="circular `base` chain"):
        rnnzoo.get_config(tmp_path / "a.toml")


def test_unknown_key_in_a_file_names_the_key_and_valid_keys(tmp_path):
    path = tmp_path / "bad_key.toml"
    path.write_text('io = "many_to_one"\n[model]\nlayers = 2\n')
    with pytest.raises(ConfigError, match=r"Unknown key `layers` in \[model\]\..*Valid keys: .*num_layers"):
        rnnzoo.build(str(path))


def test_unknown_section_in_a_file(tmp_path):
    path = tmp_path / "bad_section.toml"
    path.write_text('io = "many_to_one"\n[modle]\nunits = 2\n')
    with pytest.raises(ConfigError, match=r"Unknown top-level key `modle`.*Did you mean 'model'"):
        rnnzoo.build(str(path))


def test_missing_or_wrong_io_is_explained(tmp_path):
    path = tmp_path / "no_io.toml"
    path.write_text('[model]\nunits = 2\n')
    with pytest.raises(ConfigError, match=r"`io` must be one of 'many_to_one', 'aligned', 'one_to_many', 'seq2seq'\. Received: io=None"):
        rnnzoo.build(str(path))


def test_invalid_toml_names_file_line_and_parser_message(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('io = "many_to_one"\n[model]\nunits = = 3\n')
    with pytest.raises(ConfigError) as err:
        rnnzoo.build(str(path))
    text = str(err.value)
    assert str(path) in text and "not valid TOML" in text and "line 3" in text


def test_missing_and_non_utf8_config_files(tmp_path):
    with pytest.raises(ConfigError, match="Config file not found: .*nowhere.toml"):
        rnnzoo.build(str(tmp_path / "nowhere.toml"))
    path = tmp_path / "latin1.toml"
    path.write_bytes('description = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="latin1.toml: not UTF-8"):
        rnnzoo.build(str(path))


def test_recurrent_dropout_builds_but_warns_once_about_cudnn(caplog):
    with caplog.at_level(logging.WARNING, logger="rnnzoo"):
        rnnzoo.build("sentiment_lstm", recurrent_dropout=0.2, units=4, vocab_size=20, embedding_dim=4)
    warnings = [r for r in caplog.records if "cuDNN" in r.getMessage()]
    assert len(warnings) == 1 and "recurrent_dropout=0.2" in warnings[0].getMessage()


def test_default_models_build_without_warnings(caplog):
    with caplog.at_level(logging.WARNING, logger="rnnzoo"):
        rnnzoo.build("sentiment_bilstm", units=4, vocab_size=20, embedding_dim=4)
    assert [r for r in caplog.records if r.name == "rnnzoo"] == []


def test_config_is_frozen():
    cfg = rnnzoo.load_config("sentiment_bilstm")
    with pytest.raises(Exception):
        cfg.model.units = 3
    assert cfg.replace(units=3).model.units == 3 and cfg.model.units == 64


def test_ema_momentum_must_be_below_one():
    with pytest.raises(ConfigError, match=r"`train.ema_momentum` must be < 1.0\. Received: ema_momentum=1.0"):
        rnnzoo.build("sentiment_gru", ema_momentum=1.0)
