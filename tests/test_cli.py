"""The command line: output, exit status 2 with one line for bad input."""

import os
import re
import subprocess
import sys

import pytest

from rnnzoo.cli import main


def test_list_prints_every_model_with_its_io(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "sentiment_bilstm" in out and "many_to_one" in out and "translate_gru" in out


def test_list_with_pattern(capsys):
    assert main(["list", "char_*"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["char_gru", "char_lstm"]


def test_info_shows_description_io_layers_and_parameters(capsys):
    import rnnzoo

    assert main(["info", "sentiment_bilstm"]) == 0
    out = capsys.readouterr().out
    parameters = rnnzoo.build("sentiment_bilstm", compile=False).count_params()
    assert "many_to_one" in out and f"parameters:  {parameters:,}" in out
    assert "lstm_1" in out and "Bidirectional" in out and "head" in out
    assert "exports:     a SavedModel, text → label, P(label) (rnnzoo export RUN, after training)" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["info", "sentiment_bilstn"], "Unknown model name 'sentiment_bilstn'. Did you mean 'sentiment_bilstm'"),
        (["info", "sentiment_bilstm", "--set", "units=0"], "`model.units` must be >= 1. Received: units=0"),
        (["info", "sentiment_bilstm", "--set", "units"], "--set expects key=value"),
        (["info", "sentiment_bilstm", "--set", "colour=red"], "Unknown config key `colour`"),
        (["list", "zzz*"], "No model name matches 'zzz*'"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_set_values_are_typed_like_toml(capsys):
    assert main(["info", "sentiment_bilstm", "--set", "cell=gru", "--set", "bidirectional=false",
                 "--set", "units=3"]) == 0
    out = capsys.readouterr().out
    assert "gru_1" in out and "Bidirectional" not in out


def test_console_script_runs_as_a_program():
    result = subprocess.run([sys.executable, "-m", "rnnzoo.cli", "list", "sentiment_*"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 4


def test_output_to_a_closed_pipe_ends_quietly(monkeypatch, capsys):
    """`rnnzoo list | head -1`: once the reader has gone, the CLI stops with status 0 and no error."""
    import io
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    closed_pipe = io.TextIOWrapper(io.FileIO(write_end, "w"), write_through=True)
    monkeypatch.setattr("sys.stdout", closed_pipe)
    try:
        assert main(["list"]) == 0
    finally:
        closed_pipe.close()
    assert capsys.readouterr().err == ""


# -- issue 17, point 3: no TensorFlow C++ log lines unless --verbose -----------------------------------

def _cli(*argv, tmp_path, timeout=120):
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "GRPC_VERBOSITY")}
    return subprocess.run([sys.executable, "-m", "rnnzoo.cli", *argv], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=tmp_path)


C_LOG = re.compile(r"^[IWEF]\d{4} |absl::InitializeLog", re.MULTILINE)


def test_cli_stderr_holds_no_tensorflow_log_lines_and_verbose_brings_them_back(tmp_path):
    quiet = _cli("info", "sentiment_lstm", "--set", "units=3", tmp_path=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert not C_LOG.search(quiet.stderr), quiet.stderr
    assert "parameters:" in quiet.stdout
    verbose = _cli("info", "sentiment_lstm", "--set", "units=3", "--verbose", tmp_path=tmp_path)
    assert verbose.returncode == 0 and C_LOG.search(verbose.stderr), verbose.stderr  # a CPU machine logs at start-up


def test_the_filter_keeps_everything_but_c_log_lines():
    from rnnzoo.cli.quiet import without_c_log_lines

    captured = (b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
                b"I0000 00:00:1796133256.627915    2341 port.cc:153] oneDNN custom operations are on.\n"
                b"E0000 00:00:1796132631.510587   25629 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n"
                b"W1201 13:38:32.123456 123 some/file.cc:7] a dated warning\n"
                b"/x.py:3: UserWarning: a Python warning\n  warnings.warn(x)\n")
    assert without_c_log_lines(captured) == b"/x.py:3: UserWarning: a Python warning\n  warnings.warn(x)\n"


# -- issue 17, point 6: --debug and --verbose after the command, hints for unknown flags, --version ---------

def test_debug_after_the_command_shows_the_traceback():
    from rnnzoo.errors import RnnzooError

    with pytest.raises(RnnzooError, match="No model name matches"):
        main(["list", "zzz*", "--debug"])
    with pytest.raises(RnnzooError, match="No model name matches"):
        main(["--debug", "list", "zzz*"])


def test_verbose_before_or_after_the_command():
    from rnnzoo.cli.main import build_parser

    parser = build_parser()
    assert parser.parse_args(["--verbose", "list"]).verbose and parser.parse_args(["list", "--verbose"]).verbose
    assert not parser.parse_args(["list"]).verbose and not parser.parse_args(["list"]).debug


def test_version(capsys):
    import rnnzoo

    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0 and capsys.readouterr().out.strip() == f"rnnzoo {rnnzoo.__version__}"


@pytest.mark.parametrize("argv, hint", [
    (["train", "sentiment_lstm", "--lr", "0.01"], "unrecognized arguments: --lr 0.01 (a config field is changed "
                                                  "with --set learning_rate=0.01)"),
    (["info", "sentiment_lstm", "--units=3"], "(a config field is changed with --set units=3)"),
    (["train", "sentiment_lstm", "--dropout"], "--set dropout=VALUE"),
    (["predict", "RUN", "--units", "3"], "rnnzoo predict: error: unrecognized arguments: --units 3"),
])
def test_unknown_flag_prints_the_commands_usage_and_the_set_hint(capsys, argv, hint):
    command = argv[0]
    with pytest.raises(SystemExit) as caught:
        main(argv)
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert err.startswith(f"usage: rnnzoo {command} ") and hint in err
    if command == "predict":
        assert "--set" not in err  # predict takes no --set


# -- issue 17, point 5: a folder that is not a run folder says so --------------------------------------

def test_predict_on_a_folder_that_is_not_a_run_folder(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# docs\n")
    assert main(["predict", str(docs), "hi"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{docs} is not a run folder (it has none of config.json, " in err and "incomplete" not in err
    assert err.endswith(f"Received: run_dir={str(docs)!r}")


# -- issue 17, point 9: info shows the recipe ---------------------------------------------------------

def test_info_shows_the_recipe_with_the_set_names(capsys):
    assert main(["info", "sentiment_bilstm", "--set", "epochs=7", "--set", "learning_rate=0.01"]) == 0
    out = capsys.readouterr().out
    assert "recipe:      data.dataset=imdb  data.max_length=600\n" in out
    assert "train.epochs=7  train.batch_size=64\n" in out
    assert "train.optimizer=adam  train.learning_rate=0.01  train.lr_schedule=cosine\n" in out
