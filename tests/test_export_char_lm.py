"""A character model's SavedModel generates in the graph: greedy text equals `Run.generate(temperature=0)`
from a process that imports only TensorFlow, sampled text repeats for the same seed, bad arguments are clear errors."""

import json

import numpy as np
import pytest

import rnnzoo

from serving_example import run_example, serve_in_tensorflow_only

TEXT = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
        "First Citizen:\nYou are all resolved rather to die than to famish?\n\n") * 20
TINY = {"units": 16, "embedding_dim": 8, "seq_length": 16, "batch_size": 16}
PROMPTS = ["First", "", "\n", "All:\nSpe", "unknown ✓ é §", "x" * 10_000]
LENGTH = 40

# Runs in a fresh interpreter: TensorFlow alone, two loads of the same SavedModel.
SERVE = """
import json, sys
import tensorflow as tf
prompts = tf.constant(json.loads(sys.stdin.read()))
first, second = tf.saved_model.load(sys.argv[1]), tf.saved_model.load(sys.argv[1])
strings = lambda tensor: [s.decode("utf-8") for s in tensor.numpy().tolist()]

def generate(model, temperature, top_k, seed, length=%(length)d, texts=prompts):
    return strings(model.signatures["generate"](prompt=texts, length=tf.constant(length),
                   temperature=tf.constant(temperature), top_k=tf.constant(top_k),
                   seed=tf.constant(seed, tf.int64))["text"])

answer = {
    "greedy": generate(first, 0.0, 0, 0),
    "top_1": generate(first, 1.5, 1, 3),
    "sampled": [generate(first, 0.8, 5, 7), generate(second, 0.8, 5, 7), generate(second, 0.8, 5, 8)],
    "next": first.signatures["serving_default"](text=prompts[:4])["output_0"].numpy().tolist(),
    "many": len(generate(first, 1.0, 0, 1, 20, tf.repeat(prompts[:1], 1000))),
    "signatures": sorted(first.signatures.keys()),
    "errors": [],
}
for arguments in [(0.0, 0, 0, 0), (-1.0, 0, 0), (0.0, -1, 0)]:
    try:
        generate(first, *arguments)
    except tf.errors.InvalidArgumentError as error:
        answer["errors"].append(error.message)
assert "rnnzoo" not in sys.modules
print(json.dumps(answer))
""" % {"length": LENGTH}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("char_lm")
    (folder / "corpus.txt").write_text(TEXT, encoding="utf-8")
    run = rnnzoo.train("char_gru", data_dir=folder / "corpus.txt", out_dir=folder / "run", epochs=1, verbose=0, **TINY)
    path = run.export(folder / "exported")
    return run, serve_in_tensorflow_only(SERVE, path, json.dumps(PROMPTS))


def test_greedy_generation_equals_run_generate(served):
    run, answer = served
    assert answer["greedy"] == [run.generate(prompt, LENGTH, temperature=0) for prompt in PROMPTS]
    assert answer["top_1"] == answer["greedy"], "top_k=1 is greedy at any temperature"


def test_sampling_repeats_for_a_seed_across_loads(served):
    _, answer = served
    seven, seven_again, eight = answer["sampled"]
    assert seven == seven_again and seven != eight
    assert all(len(text) == LENGTH for text in seven)
    assert answer["many"] == 1000


def test_next_character_signature_is_kept(served):
    run, answer = served
    assert answer["signatures"] == ["generate", "serve", "serving_default"]
    for prompt, probabilities in zip(PROMPTS[:4], answer["next"]):
        if not prompt:
            continue
        characters = np.asarray(probabilities[2:]) / np.sum(probabilities[2:])  # Run.predict leaves out pad and OOV
        character, probability = run.predict([prompt])[0]["next"][0]
        assert run.task.vocabulary.decode([2 + int(characters.argmax())]) == character
        np.testing.assert_allclose(characters.max(), probability, rtol=1e-5)


def test_bad_generation_arguments_are_clear_errors(served):
    _, answer = served
    messages = answer["errors"]
    assert len(messages) == 3
    assert "`length` must be an integer between 1 and 100,000" in messages[0]
    assert "`temperature` must be a number >= 0 (0 is greedy)" in messages[1]
    assert "`top_k` must be an integer >= 0" in messages[2]


def test_keras_export_keeps_the_next_character_model(served, tmp_path):
    import keras
    import tensorflow as tf

    run, answer = served
    reloaded = keras.saving.load_model(run.export(tmp_path / "model.keras", format="keras"), safe_mode=True)
    np.testing.assert_allclose(reloaded.predict(tf.constant(PROMPTS[:1]), verbose=0)[0], answer["next"][0], rtol=1e-5)


def test_serving_example_generates_like_run_generate(served):
    run, _ = served
    prompts = ["First", "All:\nSpe"]
    # top_k 1 is greedy at any temperature: every flag is read, and the text is Run.generate's
    printed = run_example(run.dir.parent / "exported", *prompts, "--length", LENGTH, "--temperature", "0.8",
                          "--top-k", "1", "--seed", "3")
    assert printed == "".join(f"{p}{run.generate(p, LENGTH, temperature=0)}\n" for p in prompts)
