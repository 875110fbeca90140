"""`rnnzoo evaluate`: no Keras "ran out of data" warning, and the summary figures of metrics.json (issue 17, point 8)."""

import json

import pytest

import rnnzoo
from rnnzoo.cli import main

SEQ2SEQ = {"units": 8, "embedding_dim": 4, "num_examples": 300, "batch_size": 32, "attention": "dot"}
CAPTIONING = {"units": 8, "embedding_dim": 4, "condition_dim": 8, "image_size": 16, "num_examples": 60,
              "batch_size": 32}


@pytest.fixture(scope="module")
def addition_run(tmp_path_factory):
    return rnnzoo.train("addition_lstm", out_dir=tmp_path_factory.mktemp("addition") / "run", epochs=1, verbose=0,
                        **SEQ2SEQ)


@pytest.fixture(scope="module")
def caption_run(tmp_path_factory):
    return rnnzoo.train("caption_lstm", out_dir=tmp_path_factory.mktemp("caption") / "run", epochs=1, verbose=0,
                        **CAPTIONING)


def _cli_evaluate(run, capsys):
    assert main(["evaluate", str(run.dir)]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_evaluate_prints_no_ran_out_of_data_warning(tiny_sentiment_run, capsys, recwarn):
    results, err = _cli_evaluate(tiny_sentiment_run, capsys)
    assert set(results) == {"loss", "accuracy"}
    assert "ran out of data" not in err
    assert not [w for w in recwarn.list if "ran out of data" in str(w.message)]


def test_seq2seq_evaluate_reports_exact_match_like_metrics_json(addition_run, capsys):
    results, _ = _cli_evaluate(addition_run, capsys)
    assert {"loss", "test_exact_accuracy"} <= set(results)
    assert results["test_exact_accuracy"] == pytest.approx(addition_run.metrics["test_exact_accuracy"])


def test_captioning_evaluate_reports_bleu_and_exact_match_like_metrics_json(caption_run, capsys):
    results, _ = _cli_evaluate(caption_run, capsys)
    for key in ("test_bleu", "test_exact_accuracy", "bleu_signature"):
        assert results[key] == pytest.approx(caption_run.metrics[key]) if key != "bleu_signature" \
            else results[key] == caption_run.metrics[key]


def test_evaluate_says_which_recorded_data_path_it_reads(tiny_sentiment_run, capsys):
    # The path comes from the run folder's metrics.json (a folder may come from elsewhere): say it, once.
    _, err = _cli_evaluate(tiny_sentiment_run, capsys)
    recorded = tiny_sentiment_run.metrics["data_dir"]
    assert err.count(f"rnnzoo: reading the test split from {recorded} (where {tiny_sentiment_run.dir} was trained "
                     "from; --data-dir chooses another)") == 1
