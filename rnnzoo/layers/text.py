"""Word-level text preprocessing shared by training, prediction and export.

`TextToIds` wraps `keras.layers.TextVectorization` (adapted on the training
split only) with the truncation rule of the config, so the `tf.data`
pipeline, `Run.predict` and the exported SavedModel turn a review into
exactly the same ids. TensorFlow-only: it uses `tf.strings` and ragged tensors.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf

from rnnzoo.preprocessing.vocabulary import PUNCTUATION  # ASCII punctuation but the apostrophe; other scripts and emoji pass


@keras.saving.register_keras_serializable(package="rnnzoo")
def standardize_text(text):
    """Lower-cases, removes HTML line breaks (`<br />`) and splits punctuation off words."""
    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, r"<br\s*/?>", " ")
    return tf.strings.regex_replace(text, PUNCTUATION, " ")


@keras.saving.register_keras_serializable(package="rnnzoo")
class TextToIds(keras.layers.Layer):
    """Raw strings (batch,) to right-padded token ids (batch, time), 0 = padding, 1 = unknown word.

    Keeps at most `max_length` tokens: the first ones (`truncate="end"` cuts the
    end) or the last ones (`truncate="start"`). The output always has at least
    one step, so an empty text is one padded, fully masked step.
    """

    VOCABULARY_ASSET = "vocabulary.json"

    def __init__(self, vocabulary=None, max_tokens: int = 20000, max_length: int = 200, truncate: str = "end",
                 **kwargs):
        super().__init__(**kwargs)
        if vocabulary is not None and not (isinstance(vocabulary, (list, tuple))
                                           and all(isinstance(token, str) for token in vocabulary)):
            # Keras would read a string as the path of a vocabulary file: a saved file must not open other files.
            raise ValueError(f"`vocabulary` must be a list of strings. Received: vocabulary={str(vocabulary)[:80]!r}")
        self.max_tokens, self.max_length, self.truncate = max_tokens, max_length, truncate
        self.vectorizer = keras.layers.TextVectorization(
            max_tokens=max_tokens, standardize=standardize_text, output_mode="int", ragged=True,
            vocabulary=vocabulary, name="vectorizer",
        )

    def build(self, input_shape):
        # The vectorizer's lookup table is its only state; it exists from construction or adapt().
        self.built = True

    def adapt(self, texts, batch_size: int = 512) -> None:
        self.vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(batch_size))

    def get_vocabulary(self) -> list[str]:
        return self.vectorizer.get_vocabulary()

    def ragged_ids(self, texts):
        """Token ids per text as a RaggedTensor, truncated; for tf.data pipelines."""
        ids = self.vectorizer(texts)
        if self.truncate == "end":
            return ids[:, : self.max_length]
        return ids[:, -self.max_length:]

    def call(self, texts):
        texts = tf.reshape(tf.convert_to_tensor(texts, dtype=tf.string), [-1])
        ids = self.ragged_ids(texts).to_tensor(default_value=0)
        pad = tf.maximum(1 - tf.shape(ids)[1], 0)
        return tf.cast(tf.pad(ids, [[0, 0], [0, pad]]), "int32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None)

    def get_config(self):
        # The vocabulary is an asset of the file (save_assets), not config: an error that prints the config stays short.
        return {**super().get_config(), "max_tokens": self.max_tokens, "max_length": self.max_length,
                "truncate": self.truncate}

    @classmethod
    def from_config(cls, config):
        # A placeholder until load_assets (one token, " ", that whitespace splitting never yields: a lookup table
        # cannot be empty); files exported before the asset hold the vocabulary in the config.
        return cls(**{"vocabulary": ["", "[UNK]", " "], **config})

    def save_assets(self, dir_path):
        # JSON, not Keras' own vocabulary.txt: that one is split with str.splitlines, which breaks tokens holding \x85.
        with open(os.path.join(dir_path, self.VOCABULARY_ASSET), "w", encoding="utf-8") as file:
            json.dump(self.get_vocabulary(), file, ensure_ascii=False)

    def load_assets(self, dir_path):
        path = os.path.join(dir_path, self.VOCABULARY_ASSET)
        if not os.path.exists(path):  # exported before the asset: the config held the vocabulary
            return
        with open(path, encoding="utf-8") as file:
            vocabulary = json.load(file)
        if not (isinstance(vocabulary, list) and all(isinstance(token, str) for token in vocabulary)):
            raise ValueError(f"{self.VOCABULARY_ASSET} must hold a list of strings. "
                             f"Received: {type(vocabulary).__name__}")
        self.vectorizer.set_vocabulary(vocabulary)


@keras.saving.register_keras_serializable(package="rnnzoo")
class CharsToIds(keras.layers.Layer):
    """Raw strings (batch,) to right-padded character ids (batch, time): 0 padding, 1 unknown, characters from 2.

    The same ids as the character language model's vocabulary gives in
    `tf.data`; the output has at least one step (an empty text is one padded step).
    """

    def __init__(self, characters=(), **kwargs):
        super().__init__(**kwargs)
        self.characters = list(characters)
        self.lookup = keras.layers.StringLookup(vocabulary=self.characters, mask_token="", num_oov_indices=1,
                                                name="lookup")

    def build(self, input_shape):
        self.built = True

    def call(self, texts):
        texts = tf.reshape(tf.convert_to_tensor(texts, dtype=tf.string), [-1])
        characters = tf.strings.unicode_split(texts, "UTF-8", errors="replace")
        ids = tf.ragged.map_flat_values(self.lookup, characters).to_tensor(default_value=0)
        pad = tf.maximum(1 - tf.shape(ids)[1], 0)
        return tf.cast(tf.pad(ids, [[0, 0], [0, pad]]), "int32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None)

    def get_config(self):
        return {**super().get_config(), "characters": self.characters}


@keras.saving.register_keras_serializable(package="rnnzoo")
class LastStepSoftmax(keras.layers.Layer):
    """Softmax of the logits at each row's last real (non-zero id) step: `[logits, ids] -> (batch, vocab)`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the ids say where each row ends; the output has no time axis

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs, mask=None):
        logits, ids = inputs
        lengths = tf.reduce_sum(tf.cast(ids != 0, "int32"), axis=1)
        last = tf.maximum(lengths - 1, 0)
        return tf.nn.softmax(tf.gather(logits, last, axis=1, batch_dims=1), axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[0][-1])
