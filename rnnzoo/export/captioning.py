"""A captioner as a SavedModel: encoded image bytes in, caption strings out, the whole search in the graph.

Signatures (each takes `image`, a 1-D tf.string batch of PNG, JPEG, GIF or BMP bytes):
- `serving_default` (also `serve`): greedy decoding -> `caption` (1-D tf.string);
- `beam`: `image` and `beam_width` (int32 scalar >= 1) -> `caption`, beam
  search with length penalty 1.0, as `Run.decode(beam_width=K)`.
Each image is fitted to the model as `rnnzoo.datasets.images.fit_image` does
(alpha dropped, grey <-> RGB, antialiased resize to size x size, rounded to
uint8). Bytes that are not an image, or an image with 2 channels, are an
InvalidArgumentError for the request, never a crash of the server.
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from rnnzoo.export import graph_search, text_graph
from rnnzoo.preprocessing.vocabulary import END, PAD, START
from rnnzoo.tasks.serving import CaptionServing

IMAGE = tf.TensorSpec([None], tf.string, name="image")
BEAM_WIDTH = tf.TensorSpec([], tf.int32, name="beam_width")
GREY = ((0.299,), (0.587,), (0.114,))  # RGB to grey weights of fit_image


def fit_image(data, size: int, channels: int):
    """One image file's bytes as (size, size, channels) uint8, as `rnnzoo.datasets.images.fit_image`."""
    image = tf.io.decode_image(data, expand_animations=False)
    found = tf.shape(image)[-1]
    check = tf.debugging.Assert(tf.reduce_any(tf.equal(found, [1, 3, 4])),
                                ["An image must have 1, 3 or 4 channels. Received channels:", found])
    with tf.control_dependencies([check]):
        image = tf.cast(image, tf.float32)[:, :, :3]                     # alpha carries no colour
    if channels == 3:
        image = tf.cond(tf.shape(image)[-1] == 1, lambda: tf.repeat(image, 3, axis=-1), lambda: image)
    else:
        image = tf.cond(tf.shape(image)[-1] == 3, lambda: tf.tensordot(image, tf.constant(GREY), axes=1),
                        lambda: image)
    image.set_shape([None, None, channels])
    resized = tf.image.resize(image, (size, size), antialias=True)
    image = tf.cond(tf.reduce_all(tf.equal(tf.shape(image)[:2], size)), lambda: image, lambda: resized)
    return tf.cast(tf.clip_by_value(tf.math.rint(image), 0, 255), tf.uint8)


def write_captioner(serving: CaptionServing, path: Path) -> None:
    """Writes the SavedModel of `serving` into the (empty, temporary) folder `path`."""
    encoder, step_model = serving.models.encoder, serving.models.step
    widths = [int(tensor.shape[-1]) for tensor in step_model.inputs[2:]]
    archive = keras.export.ExportArchive()
    archive.track(encoder)
    archive.track(step_model)

    def encode(images):
        pixels = tf.map_fn(lambda data: fit_image(data, serving.image_size, serving.image_channels), images,
                           fn_output_signature=tf.TensorSpec(
                               [serving.image_size, serving.image_size, serving.image_channels], tf.uint8))
        outputs = encoder(tf.cast(pixels, tf.float32), training=False)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        if len(outputs) == 1:  # no initial states from the condition: the decoder starts at zeros
            outputs += [tf.zeros([tf.shape(images)[0], width]) for width in widths]
        return outputs

    def step(tokens, state):
        outputs = step_model([tokens[:, None], *state], training=False)
        log_probs = graph_search.log_probabilities(outputs[0][:, 0, :], banned=(PAD, START))
        return log_probs, [state[0], *outputs[1:]], None

    def caption(ids):
        return text_graph.detokenize(ids, serving.target_tokens, "words")

    def serve(image):
        found, _ = graph_search.greedy(step, encode(image), batch=tf.shape(image)[0], start_id=START, end_id=END,
                                       max_length=serving.max_output_length)
        return {"caption": caption(found)}

    def beam(image, beam_width):
        check = tf.debugging.assert_greater_equal(beam_width, 1, message="`beam_width` must be an integer >= 1")
        with tf.control_dependencies([check]):
            beam_width = tf.identity(beam_width)
        found = graph_search.beam(step, encode(image), batch=tf.shape(image)[0], beam_width=beam_width,
                                  start_id=START, end_id=END, max_length=serving.max_output_length)
        return {"caption": caption(found)}

    archive.add_endpoint("serve", serve, input_signature=[IMAGE])
    archive.add_endpoint("beam", beam, input_signature=[IMAGE, BEAM_WIDTH])
    archive.write_out(str(path), verbose=False)
