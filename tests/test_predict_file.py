"""`predict --file`: one output line per input line for any bytes, blank lines passed, `--output jsonl`
(issue 17 point 10, issue 16 point 2)."""

import json

import pytest

from rnnzoo.cli import main
from rnnzoo.cli.commands import results_with_blanks, split_lines

# Each of these made str.splitlines split a line: a 4-line file gave 8 output lines.
SEPARATORS_INSIDE = ["form\x0cfeed", "group\x1cfile\x1dsep\x1erecord", "next\x85line", "line\u2028para\u2029graph"]


def test_split_lines_splits_at_newline_and_crlf_only():
    raw = "\n".join(SEPARATORS_INSIDE).encode("utf-8")
    assert split_lines(raw) == SEPARATORS_INSIDE
    assert split_lines(b"a\r\nb\n") == ["a", "b"]           # the last newline ends a line, it starts none
    assert split_lines(b"a\n\nb") == ["a", "", "b"]
    assert split_lines(b"a\r\r\n") == ["a\r"]                # only the \r of \r\n goes
    assert split_lines(b"") == [] and split_lines(b"\n") == [""]


def test_results_with_blanks_keeps_positions_and_skips_the_model_for_blank_inputs():
    seen = []

    def run(texts):
        seen.append(texts)
        return [t.upper() for t in texts]

    assert results_with_blanks(["a", "", "  ", "b"], run) == ["A", None, None, "B"]
    assert seen == [["a", "b"]]
    assert results_with_blanks(["", "\t"], run) == [None, None] and len(seen) == 1


def test_file_lines_and_output_lines_match_for_any_bytes(tiny_sentiment_run, tmp_path, capsys):
    path = tmp_path / "inputs.txt"
    path.write_bytes("\n".join(SEPARATORS_INSIDE).encode("utf-8") + b"\r\n\xff\xfe broken utf-8\n")
    assert main(["predict", str(tiny_sentiment_run.dir), "--file", str(path)]) == 0
    lines = capsys.readouterr().out.split("\n")
    assert lines[-1] == "" and len(lines[:-1]) == 5


def test_blank_lines_give_blank_output_lines(tiny_sentiment_run, tmp_path, capsys):
    path = tmp_path / "inputs.txt"
    path.write_text("a wonderful film\n\n   \na terrible film\n")
    assert main(["predict", str(tiny_sentiment_run.dir), "--file", str(path)]) == 0
    lines = capsys.readouterr().out.split("\n")[:-1]
    assert len(lines) == 4 and lines[1] == lines[2] == ""
    assert all(line.split("\t")[0] in ("negative", "positive") for line in (lines[0], lines[3]))


def test_jsonl_echoes_each_input_with_its_label_and_probability(tiny_sentiment_run, tmp_path, capsys):
    texts = ["a wonderful film", "", "tab\there \u2028 and \"quotes\""]
    path = tmp_path / "inputs.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert main(["predict", str(tiny_sentiment_run.dir), "--file", str(path), "--output", "jsonl"]) == 0
    out = capsys.readouterr().out
    assert out.isascii()  # no reader splits an ASCII line at U+2028
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["input"] for row in rows] == texts
    for row in (rows[0], rows[2]):
        assert row["label"] in ("negative", "positive")
        assert row["probability"] == pytest.approx(max(row["probabilities"].values()))
    assert rows[1] == {"input": "", "label": None, "probability": None, "probabilities": None}


def test_help_says_the_number_is_the_probability_of_the_printed_label(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    assert "the probability of the printed label" in " ".join(capsys.readouterr().out.split())
