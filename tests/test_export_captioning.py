"""A captioner's SavedModel takes encoded image bytes and writes captions in the graph: from a process that
imports only TensorFlow it gives `Run.decode`'s captions (greedy and beam) for the same files."""

import json

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from rnnzoo import ConfigError

from serving_example import example_lines, serve_in_tensorflow_only
from test_export_seq2seq import scatter_weights

RUN = dict(units=8, embedding_dim=4, condition_dim=8, image_size=16, num_examples=60, batch_size=32)

SERVE = """
import base64, json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
images = tf.constant([base64.b64decode(b) for b in json.loads(sys.stdin.read())])
strings = lambda tensor: [s.decode("utf-8") for s in tensor.numpy().tolist()]
answer = {"greedy": strings(model.signatures["serving_default"](image=images)["caption"]),
          "beam": strings(model.signatures["beam"](image=images, beam_width=tf.constant(3))["caption"]),
          "signatures": sorted(model.signatures.keys())}
try:
    model.signatures["serving_default"](image=tf.constant([b"not an image"]))
    answer["error"] = None
except tf.errors.InvalidArgumentError as error:
    answer["error"] = error.message
assert "rnnzoo" not in sys.modules
print(json.dumps(answer))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    import base64

    folder = tmp_path_factory.mktemp("caption")
    run = rnnzoo.train("caption_lstm", out_dir=folder / "run", epochs=1, verbose=0, **RUN)
    scatter_weights(run.model)
    images, _, _ = run.task.examples("test")
    files = []
    for index, image in enumerate(images[:5]):  # the model's own size, as PNG and JPEG files
        files.append(folder / f"scene{index}.png")
        files[-1].write_bytes(tf.io.encode_png(image).numpy())
    files.append(folder / "scene.jpg")
    files[-1].write_bytes(tf.io.encode_jpeg(images[0]).numpy())
    grey = np.random.default_rng(0).integers(0, 256, size=(40, 24, 1)).astype("uint8")  # resized, grey to RGB
    files.append(folder / "grey.png")
    files[-1].write_bytes(tf.io.encode_png(grey).numpy())
    rgba = np.random.default_rng(1).integers(0, 256, size=(9, 30, 4)).astype("uint8")   # alpha dropped
    files.append(folder / "rgba.png")
    files[-1].write_bytes(tf.io.encode_png(rgba).numpy())
    path = run.export(folder / "exported")
    payload = json.dumps([base64.b64encode(f.read_bytes()).decode() for f in files])
    return run, files, serve_in_tensorflow_only(SERVE, path, payload)


def test_savedmodel_captions_like_run_decode_in_a_process_without_rnnzoo(exported):
    run, files, answer = exported
    assert answer["greedy"] == [r["output"] for r in run.decode([str(f) for f in files])]
    assert answer["beam"] == [r["output"] for r in run.decode([str(f) for f in files], beam_width=3)]
    assert answer["signatures"] == ["beam", "serve", "serving_default"]


def test_bytes_that_are_not_an_image_are_a_clear_error(exported):
    _, _, answer = exported
    assert answer["error"] and "Unknown image file format" in answer["error"]


def test_keras_format_is_refused(exported, tmp_path):
    run, _, _ = exported
    with pytest.raises(ConfigError, match="use format='savedmodel'. Received: format='keras'"):
        run.export(tmp_path / "model.keras", format="keras")


def test_serving_example_captions_image_files_like_run_decode(exported):
    run, files, _ = exported
    chosen = [files[0], files[-1], files[-3]]  # PNG of the model's size, RGBA, JPEG
    lines = example_lines(run.dir.parent / "exported", *chosen, "--beam", "3")
    assert lines == [f"{r['output']}\t{f}" for f, r in zip(chosen, run.decode([str(f) for f in chosen], beam_width=3))]
