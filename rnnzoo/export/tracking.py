"""A tracker as a SavedModel: detections in (NaN where missed), estimated positions out.

Signature `serving_default` (also `serve`): `detections` (batch, steps, 2)
float32, NaN (either coordinate) for a missed detection, as `-` in
`rnnzoo predict` -> `positions` (batch, steps, 2) float64, `Run.predict`'s
numbers. The input features (increments from the last detection, divided by
the training scale, and the missed indicator) are computed in the graph as
`rnnzoo.tasks.tracking.features` computes them.
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from rnnzoo.tasks.serving import TrackerServing

DETECTIONS = tf.TensorSpec([None, None, 2], tf.float32, name="detections")


def _running_max(values):
    """Running maximum along axis 1 of (batch, steps) integers."""
    return tf.transpose(tf.scan(tf.maximum, tf.transpose(values)))


def last_detections(observations):
    """(batch, steps, 2): the most recent detection at or before each step, 0 before the first."""
    steps = tf.shape(observations)[1]
    detected = tf.logical_not(tf.reduce_any(tf.math.is_nan(observations), axis=-1))
    latest = _running_max(tf.where(detected, tf.range(steps)[None, :], -1))
    last = tf.gather(tf.where(tf.math.is_nan(observations), 0.0, observations), tf.maximum(latest, 0), batch_dims=1)
    return tf.where((latest >= 0)[..., None], last, 0.0)


def features(observations, scale: float):
    """(batch, steps, 3): the scaled increment from the previous detection and the missed indicator."""
    missed = tf.reduce_any(tf.math.is_nan(observations), axis=-1, keepdims=True)
    last = last_detections(observations)
    previous = tf.concat([tf.zeros_like(observations[:, :1]), last[:, :-1]], axis=1)
    had_previous = tf.concat([tf.zeros_like(missed[:, :1]), tf.logical_not(missed[:, :-1])], axis=1)
    had_previous = _running_max(tf.cast(had_previous[..., 0], tf.int32))[..., None] > 0
    known = tf.where(tf.math.is_nan(observations), 0.0, observations)
    increments = tf.where(missed | tf.logical_not(had_previous), 0.0, known - previous) / scale
    return tf.concat([increments, tf.cast(missed, tf.float32)], axis=-1)


def write_tracker(serving: TrackerServing, path: Path) -> None:
    """Writes the SavedModel of `serving` into the (empty, temporary) folder `path`."""
    archive = keras.export.ExportArchive()
    archive.track(serving.core)

    def serve(detections):
        scaled = serving.core(features(detections, serving.scale), training=False)
        positions = tf.cast(last_detections(detections), tf.float64) + tf.cast(scaled, tf.float64) * serving.scale
        return {"positions": positions}

    archive.add_endpoint("serve", serve, input_signature=[DETECTIONS])
    archive.write_out(str(path), verbose=False)
