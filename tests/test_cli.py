"""The command line: output, exit status 2 with one line for bad input."""

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
