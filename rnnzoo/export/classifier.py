"""A text classifier as a SavedModel: the raw-text model as before, plus the label as a string.

Signatures (each takes `text`, a 1-D tf.string batch):
- `serving_default` (also `serve`): the model's scores, exactly what
  `model.export` wrote before (`output_0`: P(positive) for one sigmoid unit,
  else the class probabilities);
- `classify`: `label` (1-D tf.string, the most probable class),
  `probability` (its probability) and `probabilities` (batch, classes), as
  `Run.predict` gives them.
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from rnnzoo.tasks.serving import ClassifierServing

TEXT = tf.TensorSpec([None], tf.string, name="text")


def write_classifier(serving: ClassifierServing, path: Path) -> None:
    """Writes the SavedModel of `serving` into the (empty, temporary) folder `path`."""
    archive = keras.export.ExportArchive()
    archive.track_and_add_endpoint("serve", serving.raw_text, [TEXT])
    labels = tf.constant(list(serving.labels))

    def classify(text):
        scores = tf.cast(serving.raw_text(text, training=False), tf.float32)
        if scores.shape[-1] == 1:  # one sigmoid unit: P(second label)
            scores = tf.concat([1.0 - scores, scores], axis=-1)
        best = tf.argmax(scores, axis=-1, output_type=tf.int32)
        return {"label": tf.gather(labels, best), "probability": tf.gather(scores, best, batch_dims=1),
                "probabilities": scores}

    archive.add_endpoint("classify", classify, input_signature=[TEXT])
    archive.write_out(str(path), verbose=False)
