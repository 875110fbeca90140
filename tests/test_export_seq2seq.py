"""Seq2seq SavedModels decode in the graph: served from a process that imports only TensorFlow, they give
`Run.decode`'s strings (greedy and beam), and odd inputs get an answer or a clear error, never a crash."""

import json

import numpy as np
import pytest

import rnnzoo
from rnnzoo import ConfigError
from rnnzoo.cli import main

from serving_example import example_lines, serve_in_tensorflow_only

TINY = {"units": 8, "embedding_dim": 4, "batch_size": 32}
RUNS = {  # each covers another tokenizer, cell, attention or source order
    "addition_lstm": {"num_examples": 300, "attention": "dot", "reverse_source": True},
    "dates_gru": {"num_examples": 300, "attention": "none"},
    "translate_gru": {"data_dir": "sample", "vocab_size": 300, "target_vocab_size": 300, "max_length": 12,
                      "dropout": 0.0},
}
ODD = ["", "   ", "\t\n", "§¶ unknown ünïcödé ✓", "x" * 10_000]

# Runs in a fresh interpreter: loads the SavedModel with TensorFlow alone and answers every signature.
SERVE = """
import json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
texts = tf.constant(json.loads(sys.stdin.read()))
strings = lambda tensor: [s.decode("utf-8") for s in tensor.numpy().tolist()]
answer = {
    "greedy": strings(model.signatures["serving_default"](text=texts)["output"]),
    "beam": strings(model.signatures["beam"](text=texts, beam_width=tf.constant(3))["output"]),
    "signatures": sorted(model.signatures.keys()),
}
if "attention" in model.signatures:
    shown = model.signatures["attention"](text=texts[:1])
    answer["attention"] = shown["attention"].numpy().tolist()
many = tf.repeat(texts[:25], 40)  # a batch of 1,000
answer["many"] = [strings(model.signatures["serving_default"](text=many)["output"]),
                  strings(model.signatures["beam"](text=many, beam_width=tf.constant(2))["output"])]
try:
    model.signatures["beam"](text=texts[:1], beam_width=tf.constant(0))
except tf.errors.InvalidArgumentError as error:
    answer["beam_width_0"] = error.message
assert "rnnzoo" not in sys.modules
print(json.dumps(answer))
"""


def serve(path, texts: list[str]) -> dict:
    return serve_in_tensorflow_only(SERVE, path, json.dumps(texts))


def scatter_weights(model, scale: float = 1.0, seed: int = 1) -> None:
    """Moves every weight of a one-epoch model a little, so its decoded outputs are varied (not all empty)."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(np.asarray(weight) + rng.normal(scale=scale, size=weight.shape).astype("float32"))


# dates_gru (a GRU without attention) is opt-in (`-m slow`): the default suite keeps to its time budget.
SLOW_RUNS = {"dates_gru"}


@pytest.fixture(scope="module", params=[pytest.param(name, marks=pytest.mark.slow) if name in SLOW_RUNS else name
                                        for name in sorted(RUNS)])
def exported(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    run = rnnzoo.train(request.param, out_dir=folder / "run", epochs=1, verbose=0, **TINY, **RUNS[request.param])
    scatter_weights(run.model)  # Run.decode and the export share this model object
    path = run.export(folder / "exported")
    texts = sources(run) + ODD
    return run, texts, serve(path, texts)


def sources(run, count: int = 40) -> list[str]:
    """Test sources of the run's data set, and one longer than the training cap (`data.max_length`)."""
    from rnnzoo import datasets

    texts, _, _ = datasets.examples(run.config, "test", data_dir=run.folder.data_dir())
    long = " ".join(texts[:60]) if run.task.tokenizer == "words" else "".join(texts[:60])
    assert len(run.task.source_tokens(long)) > run.config.data.max_length
    return [*texts[:count], long]


def test_savedmodel_decodes_like_run_decode_in_a_process_without_rnnzoo(exported):
    run, texts, served = exported
    # The 10,000-character source is served (a string comes back) but not decoded in Python: Run.decode would
    # pad the whole batch to its length, which takes minutes; the source longer than the cap is compared.
    huge = [t for t in texts if len(t) >= 10_000]
    real = [t for t in texts if t.strip() and t not in huge]
    greedy = {r["source"]: r["output"] for r in run.decode(real)}
    beam = {r["source"]: r["output"] for r in run.decode(real, beam_width=3)}
    for name, expected in (("greedy", greedy), ("beam", beam)):
        outputs = dict(zip(texts, served[name]))
        assert [outputs[t] for t in texts if t not in huge] == [expected.get(t, "") for t in texts if t not in huge]
        assert huge and all(isinstance(outputs[t], str) for t in huge)
    assert len({*greedy.values()}) > 1, "the scattered weights decode varied outputs"
    assert "`beam_width` must be an integer >= 1" in served["beam_width_0"]
    expected = {"beam", "serve", "serving_default"} | ({"attention"} if run.config.model.attention != "none" else set())
    assert set(served["signatures"]) == expected


def test_attention_signature_gives_run_decode_weights(exported):
    run, texts, served = exported
    if run.config.model.attention == "none":
        pytest.skip("no attention in this model")
    text = texts[0]
    served = np.asarray(served["attention"][0])
    [decoded] = run.decode([text], return_attention=True)
    weights = np.asarray(decoded["attention"])
    steps = len(decoded["tokens"]) + decoded["ended"]  # the end step included (a cut output has no end step)
    np.testing.assert_allclose(served[:steps], weights[:steps], atol=1e-5)
    assert not served[steps:].any(), "zeros after the end step"


def test_a_batch_of_a_thousand_decodes_in_one_call(exported):
    run, texts, served = exported
    greedy, beam = served["many"]
    assert greedy == [output for output in served["greedy"][:25] for _ in range(40)]
    two = {r["source"]: r["output"] for r in run.decode(texts[:25], beam_width=2)}
    assert beam == [two[t] for t in texts[:25] for _ in range(40)]


def test_keras_format_is_refused_with_the_alternative(exported, tmp_path):
    run, _, _ = exported
    with pytest.raises(ConfigError, match="use format='savedmodel'. Received: format='keras'"):
        run.export(tmp_path / "model.keras", format="keras")
    assert not (tmp_path / "model.keras").exists()


def test_cli_exports_a_savedmodel(exported, tmp_path, capsys):
    run, _, _ = exported
    if run.config.name != "addition_lstm":
        pytest.skip("one model is enough for the command line")
    assert main(["export", str(run.dir), "--format", "savedmodel", "--out", str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "saved_model.pb").is_file()
    assert "exported savedmodel to" in capsys.readouterr().out


def test_serving_example_translates_like_run_decode(exported):
    run, texts, _ = exported
    if run.config.name != "translate_gru":
        pytest.skip("one model is enough for the example: the translator's sentences")
    sentences = texts[:3]
    lines = example_lines(run.dir.parent / "exported", *sentences, "--beam", "3")
    assert lines == [f"{r['output']}\t{r['source']}" for r in run.decode(sentences, beam_width=3)]
