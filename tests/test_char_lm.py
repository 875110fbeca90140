"""Character language model: corpus loading, windows, truncated BPTT, O(n) sampling, bad input."""

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from rnnzoo import DataError, RnnzooError, datasets
from rnnzoo.builders.aligned import aligned_inference_models
from rnnzoo.inference import sampling
from rnnzoo.cli import main
from rnnzoo.datasets.text_corpus import load_text, locate_and_read
from rnnzoo.tasks.char_lm import CharVocabulary, stream_loss, streams, windows

HELLO = "hello\n" * 300
TINY = {"units": 16, "embedding_dim": 8, "num_layers": 1, "seq_length": 8, "batch_size": 16,
        "learning_rate": 1e-2, "lr_schedule": "constant"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "hello.txt"
    path.write_text(HELLO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(corpus, tmp_path_factory):
    """The lecture's example: a character model trained briefly on "hello"."""
    return rnnzoo.train("char_lstm", data_dir=corpus, out_dir=tmp_path_factory.mktemp("hello") / "run", epochs=12,
                        verbose=0, **TINY)


@pytest.fixture(scope="module")
def random_char_model():
    """An untrained two-layer character GRU: high-entropy predictions, good for sampling checks."""
    cfg = rnnzoo.load_config("char_gru", {"units": 8, "embedding_dim": 4, "vocab_size": 12, "num_classes": 12})
    model = rnnzoo.build("char_gru", units=8, embedding_dim=4, vocab_size=12, num_classes=12)
    return cfg, model


def encode(run, text):
    return run.task.vocabulary.encode(text)


# ---- the lecture's "hello" example ----------------------------------------------------------------

def test_hello_model_predicts_ello_from_hell(run):
    logits = run.model.predict(encode(run, "hell")[None], verbose=0)[0]
    assert run.task.vocabulary.decode(logits.argmax(-1)) == "ello"


def test_hello_model_generates_hello_greedily(run):
    assert run.generate("h", length=11, temperature=0) == "ello\nhello\n"
    assert run.metrics["val_nats_per_char"] < 0.5 and run.metrics["val_nats_per_char_stream"] < 0.5
    assert abs(run.metrics["val_bits_per_char"] - run.metrics["val_nats_per_char"] / np.log(2)) < 1e-9


def test_run_folder_records_the_vocabulary_and_split(run):
    assert run.task.vocabulary.characters == ["\n", "e", "h", "l", "o"]
    assert run.config.model.vocab_size == run.config.model.num_classes == 7
    assert run.metrics["train_characters"] == 1620 and run.metrics["validation_characters"] == 180


def test_cli_generate_prints_prompt_and_continuation(run, capsys):
    assert main(["generate", str(run.dir), "--prompt", "he", "--length", "9", "--temperature", "0"]) == 0
    assert capsys.readouterr().out == "hello\nhello\n"
    assert main(["generate", str(run.dir), "--prompt", "h", "--length", "4", "--seed", "3", "--num-samples", "2"]) == 0
    assert capsys.readouterr().out.count("-" * 40) == 1


def test_predict_and_serving_model_agree(run):
    result = run.predict(["hel", ""])
    assert result[0]["next"][0][0] == "l" and len(result[1]["next"]) == 5
    served = run.task.next_character_model(run.model)(tf.constant(["hel", "hell"])).numpy()
    ids = run.task.vocabulary.index
    assert served[0].argmax() == ids["l"] and served[1].argmax() == ids["o"]
    np.testing.assert_allclose(served[0][ids["l"]], result[0]["next"][0][1], rtol=1e-4)


# ---- windows and targets ---------------------------------------------------------------------------

def test_windows_targets_are_inputs_shifted_by_one():
    ids = np.arange(100, dtype=np.int32)
    inputs, targets = windows(ids, 7, 3, 13)
    assert inputs.shape == targets.shape == (13, 7)
    np.testing.assert_array_equal(targets, inputs + 1)
    np.testing.assert_array_equal(inputs.ravel(), np.arange(3, 3 + 13 * 7))


def test_streams_continue_row_by_row_across_batches():
    ids = np.arange(1000, dtype=np.int32)
    inputs, targets = streams(ids, 10, 4, offset=5)
    assert inputs.shape[1:] == (4, 10)
    np.testing.assert_array_equal(targets, inputs + 1)
    for k in range(len(inputs) - 1):
        np.testing.assert_array_equal(inputs[k + 1][:, 0], inputs[k][:, -1] + 1)  # row i continues row i


@pytest.mark.parametrize("stateful", [False, True])
def test_training_batches_are_aligned_windows_of_the_text(corpus, stateful):
    from rnnzoo.tasks.char_lm import CharLanguageModelTask

    cfg = rnnzoo.load_config("char_lstm", {**TINY, "stateful": stateful, "batch_size": 4})
    task = CharLanguageModelTask(cfg)
    prepared = task.prepare(data_dir=corpus)
    seen = 0
    for epoch in range(2):  # a new random offset each epoch
        for x, y in prepared.train:
            x, y = x.numpy(), y.numpy()
            assert x.shape[1] == 8 and (not stateful or x.shape[0] == 4)
            np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
            for row_x, row_y in zip(x, y):
                text = task.vocabulary.decode(np.append(row_x, row_y[-1]))
                assert text in HELLO
            seen += len(x)
    assert seen == 2 * prepared.num_train


# ---- the corpus loader -----------------------------------------------------------------------------

def test_packaged_sample_is_tiny_shakespeare_split_by_position():
    train, _, origin = load_text("train", data_dir="sample")
    validation, _, _ = load_text("validation", data_dir="sample")
    whole, _ = locate_and_read("sample")
    assert origin == "sample" and whole.startswith("First Citizen:\nBefore we proceed any further")
    assert train[0] + validation[0] == whole
    assert len(validation[0]) == round(len(whole) * 0.1)


def test_folder_environment_variable_and_tf_dataset(tmp_path, monkeypatch):
    (tmp_path / "tinyshakespeare.txt").write_text("To be, or not to be.\n" * 20, encoding="utf-8")
    assert load_text("train", data_dir=tmp_path)[2].endswith("tinyshakespeare.txt")
    monkeypatch.setenv("RNNZOO_DATA_DIR", str(tmp_path))
    texts = list(datasets.load("tiny_shakespeare", "validation").as_numpy_iterator())
    assert len(texts) == 1 and texts[0].decode().endswith("not to be.\n")


@pytest.mark.parametrize("content, message", [
    (None, "Text file not found"),
    (b"", "the text file is empty"),
    (b"caf\xe9 au lait", "not UTF-8 text"),
])
def test_bad_corpus_files_are_clear_errors(tmp_path, content, message, capsys):
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_text("train", data_dir=path)
    assert main(["train", "char_lstm", "--data-dir", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_missing_corpus_names_what_was_tried():
    with pytest.raises(DataError, match=r"Tiny Shakespeare not found\. Tried: \$RNNZOO_DATA_DIR \(unset\).*--data sample"):
        load_text("train", download=False)


def test_corpus_too_short_for_the_windows(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("hello\n" * 3, encoding="utf-8")
    with pytest.raises(DataError, match="needs at least"):
        rnnzoo.train("char_lstm", data_dir=path, out_dir=tmp_path / "run", **TINY)


# ---- sampling ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt", [[], [5], [3, 7, 2, 9, 11, 4]])
def test_stateful_and_stateless_sampling_give_identical_tokens(random_char_model, prompt):
    cfg, model = random_char_model
    step = sampling.StepModel(aligned_inference_models(model, cfg).step)
    start = np.log(np.arange(1, 13, dtype=np.float64))
    common = {"length": 12, "temperature": 1.0, "top_k": 0, "seed": 11, "num_samples": 3, "start_logits": start}
    stateful = sampling.generate(step, prompt, **common)
    stateless = sampling.generate_by_rerun(model, prompt, **common)
    np.testing.assert_array_equal(stateful, stateless)
    assert (stateful >= 2).all(), "padding and out-of-vocabulary ids are never generated"
    assert len({tuple(row) for row in stateful}) > 1, "the samples of a batch are independent"


def test_step_model_matches_the_trained_model_step_by_step(random_char_model):
    cfg, model = random_char_model
    step = sampling.StepModel(aligned_inference_models(model, cfg).step)
    ids = np.array([[3, 4, 5, 6, 7, 8, 9]], dtype=np.int32)
    full = model.predict(ids, verbose=0)
    states = step.zero_states(1)
    for t in range(ids.shape[1]):
        logits, states = step(ids[:, t:t + 1], states)
        np.testing.assert_allclose(logits[0, 0], full[0, t], rtol=1e-4, atol=1e-5)
    assert stream_loss(step, np.arange(2, 12, dtype=np.int32).repeat(30)) > 0


def test_sampling_is_reproducible_by_seed(run):
    first = run.generate("he", length=40, temperature=1.5, seed=5)
    assert run.generate("he", length=40, temperature=1.5, seed=5) == first
    texts = run.generate("he", length=40, temperature=3.0, seed=6, num_samples=4)
    assert len(texts) == 4 and all(len(t) == 40 for t in texts)
    assert run.generate("he", length=40, temperature=3.0, seed=6, num_samples=4) == texts


def test_pick_next_greedy_top_k_probabilities_and_banned():
    rng = np.random.default_rng(0)
    logits = np.array([[0.0, 1.0, 3.0, 2.0], [5.0, 0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(sampling.pick_next(logits, temperature=0), [2, 0])
    np.testing.assert_array_equal(sampling.pick_next(logits, temperature=0, banned=[0, 2]), [3, 3])
    draws = np.stack([sampling.pick_next(logits, temperature=1.0, top_k=2, rng=rng) for _ in range(300)])
    assert set(draws[:, 0]) == {2, 3} and set(draws[:, 1]) == {0, 3}
    probabilities = np.array([[0.0, 0.0, 1.0, 0.0]])
    assert sampling.pick_next(probabilities, from_logits=False, rng=rng)[0] == 2
    assert (sampling.pick_next(logits, temperature=1, top_k=1, rng=rng) == [2, 0]).all()


# ---- bad input to generation -------------------------------------------------------------------------

def test_empty_prompt_starts_from_the_start_state(run):
    text = run.generate("", length=20, temperature=0.5, seed=1)
    assert len(text) == 20 and set(text) <= set("hello\n")


def test_prompt_with_unseen_characters_does_not_crash(run):
    text = run.generate("Ωμέγα 🎭 xyz\x00", length=10, temperature=1.0, seed=2)
    assert len(text) == 10 and set(text) <= set("hello\n")


@pytest.mark.parametrize("kwargs, message", [
    ({"temperature": -0.5}, r"`temperature` must be a number >= 0 \(0 is greedy\). Received: temperature=-0.5"),
    ({"temperature": "warm"}, "Received: temperature='warm'"),
    ({"temperature": float("nan")}, "`temperature` must be a number"),
    ({"length": 0}, r"`length` must be an integer between 1 and 100,000 \(the documented cap\). Received: length=0"),
    ({"length": -3}, "Received: length=-3"),
    ({"length": 10**9}, "Received: length=1000000000"),
    ({"length": 2.5}, "Received: length=2.5"),
    ({"top_k": -1}, r"`top_k` must be an integer >= 0"),
    ({"seed": -1}, "`seed` must be an integer"),
    ({"num_samples": 0}, "`num_samples` must be an integer"),
    ({"prompt": 42}, "`prompt` must be a string"),
])
def test_bad_generation_arguments_are_clear_errors(run, kwargs, message):
    kwargs = {"prompt": "he", "length": 5, **kwargs}
    with pytest.raises(RnnzooError, match=message):
        run.generate(**kwargs)


@pytest.mark.parametrize("extra, message", [
    (["--temperature", "-1"], "`temperature` must be a number >= 0"),
    (["--temperature", "hot"], "Received: temperature='hot'"),
    (["--temperature", "1e-320"], "`temperature` must be 0 (greedy) or at least 0.001"),  # issue 16: printed U+FFFD
    (["--length", "0"], "`length` must be an integer between 1 and 100,000"),
    (["--length", "lots"], "Received: length='lots'"),
    (["--length", "100000000"], "Received: length=100000000"),
])
def test_cli_generate_bad_input_exits_2_with_one_line(run, capsys, extra, message):
    assert main(["generate", str(run.dir), "--prompt", "h", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_generate_needs_a_language_model(tmp_path):
    from rnnzoo.runs import Run

    class NotALanguageModel(Run):
        task = object()
        config = rnnzoo.load_config("sentiment_rnn")

    with pytest.raises(rnnzoo.ConfigError, match="not a language model"):
        NotALanguageModel(tmp_path).generate("x")


# ---- truncated BPTT with the state carried --------------------------------------------------------------

def test_stateful_training_saves_an_ordinary_model_that_generates(corpus, tmp_path):
    run = rnnzoo.train("char_gru", data_dir=corpus, out_dir=tmp_path / "run", epochs=1, verbose=0,
                       **{**TINY, "stateful": True, "batch_size": 4})
    assert run.config.train.stateful
    assert run.model.inputs[0].shape[0] is None, "the saved model takes any batch size"
    assert not any(getattr(layer, "stateful", False) for layer in run.model.layers)
    assert len(run.generate("h", length=7, seed=0)) == 7
    assert np.isfinite(run.metrics["val_nats_per_char_stream"])


def test_stateful_is_only_for_unidirectional_aligned_models():
    with pytest.raises(rnnzoo.ConfigError, match="`train.stateful` applies to unidirectional aligned models"):
        rnnzoo.load_config("sentiment_rnn", {"stateful": True})
    with pytest.raises(rnnzoo.ConfigError, match="`train.stateful`"):
        rnnzoo.load_config("tagger_bigru", {"stateful": True})


def test_vocabulary_round_trip_and_out_of_vocabulary():
    vocabulary = CharVocabulary.from_text("abcab")
    assert vocabulary.size == 5 and vocabulary.frequencies == [2, 2, 1]
    np.testing.assert_array_equal(vocabulary.encode("abz"), [2, 3, 1])
    assert vocabulary.decode([2, 3, 4]) == "abc"
    from rnnzoo.layers.text import CharsToIds

    ids = CharsToIds(vocabulary.characters)(tf.constant(["abz", "c", ""])).numpy()
    np.testing.assert_array_equal(ids, [[2, 3, 1], [4, 0, 0], [0, 0, 0]])
