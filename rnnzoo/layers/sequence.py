"""The few layers Keras lacks, written with `keras.ops` only (any backend).

They are registered serializables, so `.keras` files that contain them load
with `safe_mode=True`.
"""

from __future__ import annotations

import keras
from keras import ops


def masked_max(values, real, axis: int):
    """Max of `values` over `axis` where `real` (broadcastable) is true; zeros where nothing is real, never -inf."""
    very_negative = ops.cast(-1e9, values.dtype)
    maxed = ops.max(ops.where(real, values, very_negative), axis=axis)
    return ops.where(ops.any(real, axis=axis), maxed, ops.zeros_like(maxed))


@keras.saving.register_keras_serializable(package="rnnzoo")
class MaskedPooling1D(keras.layers.Layer):
    """Pools a masked sequence over time: `max`, `mean`, or both concatenated.

    Padded steps never contribute: they are excluded from the max and from the
    mean's numerator and denominator, so a padded sequence pools exactly like
    the same sequence unpadded. A sequence whose every step is masked pools to
    zeros (never NaN or -inf).
    """

    def __init__(self, mode: str = "max", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("max", "mean", "max_mean"):
            raise ValueError(f"`mode` must be 'max', 'mean' or 'max_mean'. Received: mode={mode!r}")
        self.mode = mode
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        weights = ops.cast(ops.expand_dims(mask, -1), inputs.dtype)
        pooled = []
        if self.mode in ("max", "max_mean"):
            pooled.append(masked_max(inputs, ops.expand_dims(mask, -1), axis=1))
        if self.mode in ("mean", "max_mean"):
            total = ops.sum(inputs * weights, axis=1)
            count = ops.maximum(ops.sum(weights, axis=1), 1.0)
            pooled.append(total / count)
        return pooled[0] if len(pooled) == 1 else ops.concatenate(pooled, axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        width = input_shape[-1] * (2 if self.mode == "max_mean" and input_shape[-1] is not None else 1)
        return (input_shape[0], width)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package="rnnzoo")
class LastRealStep(keras.layers.Layer):
    """`[outputs (batch, time, d), ids (batch, time)] -> (batch, d)`: what a masked layer returns as its last output.

    Right padding (id 0) is assumed: a forward layer's last output is the one
    at each row's last real step; with `bidirectional=True` the second half of
    the features (the backward layer) is the one at step 0, where the backward
    layer ends. A row without a real step gives zeros. For an export graph
    whose recurrent layers take no Keras mask (`rnnzoo.builders.common.ExportGraph`).
    """

    def __init__(self, bidirectional: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.bidirectional = bidirectional

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs):
        outputs, ids = inputs
        lengths = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=1)
        index = ops.reshape(ops.maximum(lengths - 1, 0), (-1, 1, 1))
        last = ops.take_along_axis(outputs, ops.broadcast_to(index, (ops.shape(outputs)[0], 1, ops.shape(outputs)[2])),
                                   axis=1)[:, 0]
        if self.bidirectional:
            half = outputs.shape[-1] // 2
            last = ops.concatenate([last[:, :half], outputs[:, 0, half:]], axis=-1)
        return ops.where(ops.expand_dims(lengths > 0, -1), last, ops.zeros_like(last))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[0][-1])

    def get_config(self):
        return {**super().get_config(), "bidirectional": self.bidirectional}


@keras.saving.register_keras_serializable(package="rnnzoo")
class RepeatAlongTime(keras.layers.Layer):
    """Repeats a vector `v` (batch, d) at every step of a sequence (batch, T, ...).

    Called as `RepeatAlongTime()([v, sequence])`; returns (batch, T, d). This
    is how a one-to-many model feeds its condition at every step, the
    lecture's `W_ih v` term. The output carries the sequence's mask.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        vector, sequence = inputs
        steps = ops.shape(sequence)[1]
        return ops.repeat(ops.expand_dims(vector, 1), steps, axis=1)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return mask[1]

    def compute_output_shape(self, input_shape):
        vector_shape, sequence_shape = input_shape
        return (vector_shape[0], sequence_shape[1], vector_shape[-1])


@keras.saving.register_keras_serializable(package="rnnzoo")
class MaskedMaxOverCharacters(keras.layers.Layer):
    """Max over each word's characters: `[features (batch, words, chars, d), char_ids (batch, words, chars)] -> (batch, words, d)`.

    Padding characters (id 0) never win the max; a word with no characters
    (a padded word) gets zeros, never -inf. The output carries no mask (the
    word embedding's mask decides which words are real).
    """

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs):
        features, ids = inputs
        return masked_max(features, ops.expand_dims(ops.not_equal(ids, 0), -1), axis=2)

    def compute_output_shape(self, input_shape):
        features_shape, _ = input_shape
        return (features_shape[0], features_shape[1], features_shape[3])


@keras.saving.register_keras_serializable(package="rnnzoo")
class ConcatenateFeatures(keras.layers.Layer):
    """Concatenates (batch, time, d_i) inputs on the last axis, keeping the FIRST input's mask.

    `keras.layers.Concatenate` ORs its inputs' masks and counts an input
    without a mask as all-true, so the word mask would be lost as soon as an
    unmasked feature joins it; here the first input's mask decides.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return ops.concatenate(inputs, axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else mask[0]

    def compute_output_shape(self, input_shape):
        widths = [shape[-1] for shape in input_shape]
        width = None if None in widths else sum(widths)
        return (*input_shape[0][:-1], width)


@keras.saving.register_keras_serializable(package="rnnzoo")
class ZeroPaddingCharacters(keras.layers.Layer):
    """`[embedded (batch, words, chars, d), char_ids (batch, words, chars)]` -> embedded with padding (id 0) set to 0.

    A convolution over characters then sees the same zeros past a word's end
    whatever the longest word of the batch is, so a word's feature does not
    depend on the batch it is in.
    """

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs):
        embedded, ids = inputs
        return embedded * ops.cast(ops.expand_dims(ops.not_equal(ids, 0), -1), embedded.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]
