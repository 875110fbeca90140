"""Text classification (IMDB sentiment): raw review text in, class probabilities out.

Preprocessing (`TextToIds`) is adapted on the training split only and runs
in `tf.data`, in parallel, outside the trained graph; token ids are cached
after the first epoch and batched by length. At export the same layer is put
back in front of the trained core, so the served model takes raw strings.
"""

from __future__ import annotations

import sys
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from rnnzoo import datasets
from rnnzoo.preprocessing import batching
from rnnzoo.config import Config
from rnnzoo.tasks.base import EXPORT, PREDICT, Prepared, Task, check_texts
from rnnzoo.tasks import state_checks as checks
from rnnzoo.tasks.serving import ClassifierServing
from rnnzoo.layers.text import TextToIds

TEST_SAMPLE_SIZE = 5000
PREDICT_BATCH = 256  # reviews per call of the traced raw-text function


def fixed_sample(total: int, size: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded random sample (test files are ordered by label, so never take a prefix)."""
    return np.sort(np.random.default_rng(seed).permutation(total)[: min(size, total)])


class TextClassificationTask(Task):
    capabilities = frozenset({PREDICT, EXPORT})
    serves = "text → label, P(label)"
    supports_embedding_init = True

    def __init__(self, cfg: Config, to_ids: TextToIds | None = None):
        super().__init__(cfg)
        self.to_ids = to_ids or TextToIds(max_tokens=cfg.model.vocab_size, max_length=cfg.data.max_length,
                                          truncate=cfg.data.truncate, name="text_to_ids")
        self._predict_functions: dict[int, Any] = {}  # id(core) -> its traced raw-text function

    @property
    def labels(self) -> tuple[str, ...]:
        labels = datasets.info(self.cfg.data.dataset).labels
        return labels or tuple(str(i) for i in range(max(2, self.cfg.model.num_classes)))

    def _examples(self, split: str, data_dir, download):
        return datasets.examples(self.cfg, split, data_dir=data_dir, download=download)

    def ids_dataset(self, texts: list[str], labels: np.ndarray):
        """Unbatched (token ids, label) examples, computed in parallel once and cached."""
        dtype = "float32" if self.cfg.model.output_activation == "sigmoid" else "int32"
        ds = tf.data.Dataset.from_tensor_slices((texts, labels.astype(dtype)))
        ds = ds.batch(256).map(lambda t, y: (self.to_ids.ragged_ids(t), y), num_parallel_calls=tf.data.AUTOTUNE)
        # Unbatched ragged rows arrive as rank-0-ragged specs; the cast makes them plain int32 tensors.
        return ds.unbatch().map(lambda ids, y: (tf.cast(ids, tf.int32), y)).cache()

    def _batches(self, texts: list[str], labels: np.ndarray, *, shuffle: bool):
        return batching.length_bucketed(self.ids_dataset(texts, labels), batch_size=self.cfg.train.batch_size,
                                        max_length=self.cfg.data.max_length, bucket_width=self.cfg.data.bucket_width,
                                        shuffle=shuffle, seed=self.cfg.train.seed, epoch=self.data_epoch.variable)

    def prepare(self, *, data_dir=None, download: bool | None = None) -> Prepared:
        train_texts, train_labels, origin = self._examples("train", data_dir, download)
        test_texts, test_labels, _ = self._examples("test", data_dir, download)
        has_validation = self.cfg.data.validation_fraction > 0
        if has_validation:
            val_texts, val_labels, _ = self._examples("validation", data_dir, download)
        # The vocabulary must exist before any pipeline captures the lookup table.
        print(f"rnnzoo: adapting the vocabulary on {len(train_texts):,} training texts", file=sys.stderr)
        self.to_ids.adapt(train_texts)
        vocabulary_size = len(self.to_ids.get_vocabulary())
        sample = fixed_sample(len(test_texts), TEST_SAMPLE_SIZE, self.cfg.train.seed)
        info = {"data_source": origin, "train_examples": len(train_texts),
                "validation_examples": len(val_texts) if has_validation else 0,
                "test_examples": len(test_texts), "vocabulary_size": vocabulary_size}
        # A generator: the texts are tokenized again (whole, not truncated) only when the vectors are computed.
        word_ids = (ids for batch in tf.data.Dataset.from_tensor_slices(train_texts).batch(512)
                    for ids in self.to_ids.vectorizer(batch).numpy())
        initial_weights = self.embedding_start(word_ids, max(vocabulary_size, 2), info)
        return Prepared(
            train=self._batches(train_texts, train_labels, shuffle=True),
            validation=self._batches(val_texts, val_labels, shuffle=False) if has_validation else None,
            test=self._batches(test_texts, test_labels, shuffle=False),
            num_train=len(train_texts),
            overrides={"vocab_size": max(vocabulary_size, 2)},
            info=info,
            test_sample=self._batches([test_texts[i] for i in sample], test_labels[sample], shuffle=False),
            initial_weights=initial_weights,
        )

    def test_split(self, *, data_dir=None, download: bool | None = None):
        texts, labels, _ = self._examples("test", data_dir, download)
        return self._batches(texts, labels, shuffle=False)

    def state(self) -> dict[str, Any]:
        return {
            "kind": "text_to_ids",
            "vocabulary": self.to_ids.get_vocabulary(),
            "max_length": self.to_ids.max_length,
            "truncate": self.to_ids.truncate,
            "labels": list(self.labels),
        }

    @classmethod
    def from_state(cls, cfg: Config, state: dict[str, Any]) -> "TextClassificationTask":
        # Checked first: TextToIds reads a vocabulary given as a string from that path.
        vocabulary = checks.tokens(state, "vocabulary", most=cfg.model.vocab_size, first=("", "[UNK]"))
        max_length = checks.integer(state, "max_length", low=1, high=checks.MAX_LENGTH)
        truncate = checks.choice(state, "truncate", checks.TRUNCATE_CHOICES)
        to_ids = TextToIds(vocabulary=vocabulary, max_tokens=len(vocabulary), max_length=max_length,
                           truncate=truncate, name="text_to_ids")
        return cls(cfg, to_ids)

    def raw_text_model(self, core: keras.Model) -> keras.Model:
        """Raw strings in, the core's scores out: the preprocessing layer put back in front of the core."""
        text = keras.Input(shape=(), dtype="string", name="text")
        probabilities = core(self.to_ids(text))
        return keras.Model(text, probabilities, name=f"{self.cfg.name}_raw_text")

    def serving_model(self, core: keras.Model) -> ClassifierServing:
        """The raw-text model and the labels, for a SavedModel that also names the label (`rnnzoo.export.classifier`)."""
        return ClassifierServing(name=self.cfg.name, raw_text=self.raw_text_model(core), labels=tuple(self.labels))

    def predict(self, core: keras.Model, inputs) -> list[dict[str, Any]]:
        texts = check_texts(inputs)
        # One batch runs eagerly: tracing costs seconds, more than a few reviews take. A file of many
        # batches runs the traced function, as fast as the exported SavedModel.
        scores_of = self._predict_function(core) if len(texts) > PREDICT_BATCH else self._eager_function(core)
        results = []
        for start in range(0, len(texts), PREDICT_BATCH):
            batch = texts[start:start + PREDICT_BATCH]
            for text, score in zip(batch, np.asarray(scores_of(tf.constant(batch, dtype=tf.string)))):
                results.append(self._result(text, score))
        return results

    def _eager_function(self, core: keras.Model):
        model = self.raw_text_model(core)
        return lambda text: model(text, training=False)

    def _predict_function(self, core: keras.Model):
        """The raw-text model traced once as a tf.function (1-D strings in), as the exported SavedModel runs it.

        Calling the Keras model eagerly per batch ran ~30x slower than the SavedModel (issue 16, point 3).
        """
        if id(core) not in self._predict_functions:
            model = self.raw_text_model(core)
            self._predict_functions[id(core)] = tf.function(
                lambda text: model(text, training=False), input_signature=[tf.TensorSpec([None], tf.string)],
                reduce_retracing=True)
        return self._predict_functions[id(core)]

    def _result(self, text: str, score: np.ndarray) -> dict[str, Any]:
        if score.shape[-1] == 1:  # one sigmoid unit: P(positive)
            probabilities = [1.0 - float(score[0]), float(score[0])]
        else:
            probabilities = [float(p) for p in score]
        best = int(np.argmax(probabilities))
        return {"text": text, "label": self.labels[best], "probability": probabilities[best],
                "probabilities": dict(zip(self.labels, probabilities))}

    @staticmethod
    def format_prediction(prediction: dict[str, Any]) -> str:
        return f"{prediction['label']}\t{prediction['probability']:.4f}"

