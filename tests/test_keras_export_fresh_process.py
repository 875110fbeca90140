"""A `.keras` export loads in a new process after `import rnnzoo` and keras alone (issue 17, point 1)."""

import json
import os
import subprocess
import sys

import numpy as np

TEXTS = ["a wonderful moving film", "a terrible boring film", ""]


def _run(script: str, path, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=180,
                          cwd=tmp_path, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_keras_export_loads_after_import_rnnzoo_and_keras(tiny_sentiment_run, tmp_path):
    path = tiny_sentiment_run.export(tmp_path / "m.keras", format="keras")
    script = (
        "import sys, json\n"
        "import rnnzoo\n"
        "assert 'keras' not in sys.modules, 'import rnnzoo must not load Keras'\n"
        "import keras, tensorflow as tf\n"
        "model = keras.saving.load_model(sys.argv[1], safe_mode=True)\n"
        f"print(json.dumps(model.predict(tf.constant({TEXTS!r}), verbose=0).ravel().tolist()))\n"
    )
    result = _run(script, path, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = [r["probabilities"]["positive"] for r in tiny_sentiment_run.predict(TEXTS)]
    np.testing.assert_allclose(json.loads(result.stdout.splitlines()[-1]), expected, rtol=1e-5, atol=1e-6)


def test_keras_imported_before_rnnzoo_registers_too(tiny_sentiment_run, tmp_path):
    path = tiny_sentiment_run.export(tmp_path / "m.keras", format="keras")
    script = "import sys, keras, rnnzoo\nkeras.saving.load_model(sys.argv[1], safe_mode=True)\nprint('ok')\n"
    result = _run(script, path, tmp_path)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_error_without_rnnzoo_does_not_carry_the_vocabulary(tiny_sentiment_run, tmp_path):
    """Without rnnzoo Keras cannot know the class; its message prints the layer config, which holds no vocabulary."""
    path = tiny_sentiment_run.export(tmp_path / "m.keras", format="keras")
    vocabulary = tiny_sentiment_run.task.to_ids.get_vocabulary()
    script = "import sys, keras\nkeras.saving.load_model(sys.argv[1], safe_mode=True)\n"
    result = _run(script, path, tmp_path)
    assert result.returncode != 0 and "Could not locate class 'TextToIds'" in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert len(message) < 1500, message
    assert not any(f"'{word}'" in message for word in vocabulary[2:]), message


def test_vocabulary_is_a_list_of_strings_never_a_path(tmp_path):
    import pytest

    from rnnzoo.layers.text import TextToIds

    secret = tmp_path / "secret.txt"
    secret.write_text("password\n")
    with pytest.raises(ValueError, match="`vocabulary` must be a list of strings"):
        TextToIds.from_config({"vocabulary": str(secret), "max_tokens": 5, "max_length": 4, "truncate": "end"})


def test_tokens_with_unicode_line_separators_survive_the_round_trip(tmp_path):
    """Keras' own vocabulary.txt splits lines at \\x85 and U+2028; the JSON asset keeps such tokens whole."""
    import keras
    import tensorflow as tf

    from rnnzoo.layers.text import TextToIds

    vocabulary = ["", "[UNK]", "wait\x85what", "a\u2028b", "film"]
    layer = TextToIds(vocabulary=vocabulary, max_tokens=len(vocabulary), max_length=5, name="text_to_ids")
    text = keras.Input(shape=(), dtype="string")
    model = keras.Model(text, layer(text))
    model.save(tmp_path / "t.keras")
    reloaded = keras.saving.load_model(tmp_path / "t.keras", safe_mode=True)
    assert reloaded.get_layer("text_to_ids").get_vocabulary() == vocabulary
    inputs = tf.constant(["film wait\x85what a\u2028b"])
    np.testing.assert_array_equal(reloaded(inputs), model(inputs))


def test_an_export_with_the_vocabulary_in_its_config_still_loads(tmp_path, monkeypatch):
    """Files exported before the vocabulary asset hold the vocabulary in the layer config."""
    import keras
    import tensorflow as tf

    from rnnzoo.layers.text import TextToIds

    vocabulary = ["", "[UNK]", "good", "film"]
    layer = TextToIds(vocabulary=vocabulary, max_tokens=len(vocabulary), max_length=5, name="text_to_ids")
    text = keras.Input(shape=(), dtype="string")
    model = keras.Model(text, layer(text))
    with monkeypatch.context() as patch:  # what the layer wrote before
        patch.setattr(TextToIds, "get_config", lambda self: {**keras.layers.Layer.get_config(self),
                                                             "vocabulary": vocabulary, "max_tokens": 4,
                                                             "max_length": 5, "truncate": "end"})
        patch.setattr(TextToIds, "save_assets", lambda self, dir_path: None)
        model.save(tmp_path / "old.keras")
    reloaded = keras.saving.load_model(tmp_path / "old.keras", safe_mode=True)
    np.testing.assert_array_equal(reloaded(tf.constant(["good film ok"])), [[2, 3, 1]])
