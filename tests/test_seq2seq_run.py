"""Seq2seq runs: train -> run folder -> decode (Python and CLI), bad input, and a task learned to 100%."""

import json
import random

import numpy as np
import pytest

import rnnzoo
from rnnzoo import DataError, RnnzooError
from rnnzoo.cli import main

TINY = {"units": 8, "embedding_dim": 4, "num_examples": 300, "batch_size": 32, "attention": "dot"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return rnnzoo.train("addition_lstm", out_dir=tmp_path_factory.mktemp("addition") / "run", epochs=1,
                        verbose=0, **TINY)


def test_run_folder_has_vocabularies_and_exact_accuracy(run):
    state = json.loads((run.dir / "preprocessing.json").read_text())
    assert state["kind"] == "seq2seq" and state["tokenizer"] == "chars"
    assert state["source_vocabulary"][:4] == ["", "[UNK]", "<start>", "<end>"]
    assert set("0123456789+") <= set(state["source_vocabulary"])
    assert run.config.model.vocab_size == len(state["source_vocabulary"])
    assert 0.0 <= run.metrics["test_exact_accuracy"] <= 1.0 and run.metrics["test_examples"] == 30


def test_decode_gives_one_result_per_input_in_order(run):
    inputs = ["123+456", "9+99", "1+1"]
    greedy = run.decode(inputs)
    assert [r["source"] for r in greedy] == inputs
    assert all(r["output"] == "".join(r["tokens"]) and np.isfinite(r["score"]) for r in greedy)
    beam = run.decode(inputs, beam_width=3)
    assert [r["source"] for r in beam] == inputs
    assert all(b["score"] >= g["score"] - 1e-6 or not g["ended"] or b["ended"] for b, g in zip(beam, greedy))
    assert run.decode(inputs, beam_width=1) == greedy  # batched decoding is deterministic
    assert [r["output"] for r in run.predict(inputs)] == [r["output"] for r in greedy]


def test_attention_weights_of_a_decoded_example(run):
    [result] = run.decode(["12+345"], return_attention=True)
    weights = np.asarray(result["attention"])
    assert weights.shape == (len(result["tokens"]) + 1, len("12+345"))  # output steps (end included) x source
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("inputs, options, error, message", [
    ([""], {}, DataError, "Input 0 is empty"),
    (["1+1", "   "], {}, DataError, "Input 1 is empty"),
    (["1+1"], {"beam_width": 0}, RnnzooError, r"`beam_width` must be an integer >= 1. Received: beam_width=0"),
    (["1+1"], {"max_length": 0}, RnnzooError, r"`max_length` must be an integer >= 1. Received: max_length=0"),
    ([], {}, DataError, "No inputs"),
    ([3], {}, DataError, "Inputs must be strings"),
])
def test_bad_decode_input_is_a_clear_error(run, inputs, options, error, message):
    with pytest.raises(error, match=message):
        run.decode(inputs, **options)


def test_a_source_longer_than_the_training_cap_is_decoded_whole_with_a_warning(run, caplog):
    # Issue 16, point 10: one long line used to stop the whole file with an error.
    long_source = "123456789+1"  # 11 characters; the run was trained on sources of at most 8
    with caplog.at_level("WARNING", logger="rnnzoo"):
        results = run.decode(["1+1", long_source, "2+2"])
    assert [r["source"] for r in results] == ["1+1", long_source, "2+2"]
    assert all(isinstance(r["output"], str) for r in results)
    assert [r.getMessage() for r in caplog.records] == [
        "rnnzoo: input 1 has 11 tokens, more than the model was trained on (data.max_length=8); decoding all of it"]


def test_unseen_characters_map_to_the_unknown_token(run):
    [result] = run.decode(["12é+3x"])
    assert result["ended"] or len(result["tokens"]) == run.task.max_target_length + 10
    assert set(result["tokens"]) <= set(run.task.target_vocabulary.tokens)


def test_cli_decode_passes_blank_inputs_as_blank_lines(run, capsys, tmp_path):
    """As `predict` does for every task: output lines stay aligned with input lines (Run.decode refuses "")."""
    (tmp_path / "inputs.txt").write_text("5+5\n\n8+9\n", encoding="utf-8")
    assert main(["decode", str(run.dir), "--file", str(tmp_path / "inputs.txt")]) == 0
    lines = capsys.readouterr().out.split("\n")[:-1]
    assert len(lines) == 3 and lines[1] == "" and lines[0] == run.decode(["5+5"])[0]["output"]


def test_cli_decode_prints_one_line_per_input(run, capsys, tmp_path):
    assert main(["decode", str(run.dir), "1+2", "30+4", "--beam-width", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [r["output"] for r in run.decode(["1+2", "30+4"], beam_width=2)]
    (tmp_path / "inputs.txt").write_text("5+5\n6+7\n8+9\n", encoding="utf-8")
    assert main(["decode", str(run.dir), "--file", str(tmp_path / "inputs.txt")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


@pytest.mark.parametrize("argv, message", [
    (["--beam-width", "0", "1+1"], "`beam_width` must be an integer >= 1"),
    (["--max-length", "-1", "1+1"], "`max_length` must be an integer >= 1"),
])
def test_cli_decode_bad_input_exits_2_with_one_line(run, capsys, argv, message):
    assert main(["decode", str(run.dir), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_cli_decode_on_a_classifier_run_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "config.json").write_text(json.dumps(rnnzoo.get_config("sentiment_gru")))
    (tmp_path / "preprocessing.json").write_text(json.dumps({"vocabulary": ["", "[UNK]"], "max_length": 5,
                                                            "truncate": "end"}))
    assert main(["decode", str(tmp_path), "text"]) == 2
    assert "decode needs a seq2seq model" in capsys.readouterr().err


def test_a_tiny_reversal_task_is_learned_to_100_percent(tmp_path):
    """Words reversed ('c a d' -> 'd a c') from line-aligned files given as --src/--tgt."""
    rng = random.Random(0)
    letters = "abcdef"
    sources = sorted({" ".join(rng.choice(letters) for _ in range(rng.randint(2, 4))) for _ in range(2000)})
    (tmp_path / "src.txt").write_text("\n".join(sources) + "\n")
    (tmp_path / "tgt.txt").write_text("\n".join(" ".join(s.split()[::-1]) for s in sources) + "\n")
    config = tmp_path / "reverse.toml"
    config.write_text('base = "translate_gru"\ntask = "parallel"\n[model]\ndropout = 0.0\nunits = 32\n'
                      'embedding_dim = 16\nattention = "dot"\nbidirectional = false\n'
                      '[data]\nmin_frequency = 1\nmax_length = 8\n'
                      '[train]\nbatch_size = 32\nlearning_rate = 0.01\n')
    assert main(["train", str(config), "--src", str(tmp_path / "src.txt"), "--tgt", str(tmp_path / "tgt.txt"),
                 "--epochs", "5", "--out", str(tmp_path / "run")]) == 0
    run = rnnzoo.load_run(tmp_path / "run")
    assert run.metrics["test_bleu"] == pytest.approx(100.0)
    assert [r["output"] for r in run.decode(["a b c", "f e d d"])] == ["c b a", "d d e f"]


def test_the_head_starts_at_the_log_frequency_of_the_training_targets():
    """Without it a big softmax stalls at the unigram distribution (see training.start_head_at_prior)."""
    from rnnzoo.config.registry import load_config
    from rnnzoo.tasks import task_class
    from rnnzoo.training.trainer import start_head_at_prior
    from rnnzoo.preprocessing.vocabulary import END

    cfg = load_config("addition_lstm", TINY)
    task = task_class(cfg)(cfg)
    prepared = task.prepare()
    cfg = cfg.replace(**prepared.overrides)
    targets = [y.numpy() for _, y in prepared.train]
    tokens = np.concatenate([row[row != 0] for batch in targets for row in batch])
    assert np.array_equal(prepared.target_counts, np.bincount(tokens, minlength=cfg.model.target_vocab_size))
    assert prepared.target_counts[END] == sum(len(batch) for batch in targets)  # one end token per target
    model = task.training_model(cfg)
    start_head_at_prior(model, prepared.target_counts)
    bias = np.asarray(model.get_layer("head").bias)
    smoothed = (prepared.target_counts + 1) / (prepared.target_counts + 1).sum()
    np.testing.assert_allclose(np.exp(bias), smoothed, rtol=1e-5)
