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


def reverse_within_length(sequences, lengths):
    """Reverses each row's first `lengths[b]` steps in place; steps past the length stay where they are."""
    steps = ops.shape(sequences)[1]
    positions = ops.expand_dims(ops.arange(steps, dtype="int32"), 0)
    lengths = ops.expand_dims(lengths, 1)
    index = ops.where(positions < lengths, lengths - 1 - positions, positions)
    index = ops.broadcast_to(ops.expand_dims(index, -1), ops.shape(sequences))
    return ops.take_along_axis(sequences, index, axis=1)


class RightPaddedFastPath:
    """Runs a masked LSTM/GRU as the unmasked (fused) kernel when the padding is on the right.

    Keras 3.15's JAX and torch backends hand a masked LSTM/GRU to their
    step-by-step loop (their cuDNN and torch-native kernels take no mask),
    which is several times slower. With padding on the right only, the same
    numbers come out of an unmasked run: a forward layer's outputs before a
    row's length do not depend on the padding after it, and a backward layer
    is a forward run over each row reversed within its length. The layer then
    reads the output at each row's last real step and fills the padded steps
    exactly as Keras' masked loop does. A mask with a hole in it, stateful
    layers, returned states and recurrent dropout take Keras' own path.

    Where it pays, measured: on one H100 (`bench/gpu_check.py`, batch 64) torch
    trains sentiment_bilstm 57x and char_lstm 12x faster with it, cuDNN instead
    of a Python loop over time steps. On torch's CPU it was 0.69x (Keras' CPU
    LSTM for unmasked input is a Python loop too; `bench/backends.py`), and on
    JAX with that GPU 0.82-0.87x (its masked `lax.scan` is already compiled),
    so only torch on a GPU takes it. TensorFlow's fused kernel takes a
    right-padded mask itself.
    """

    forced: bool | None = None  # benchmarks and tests: True or False takes or skips the path on any backend

    @staticmethod
    def backend_has_faster_unmasked_kernel(sequences) -> bool:
        device = getattr(sequences, "device", None)
        return keras.backend.backend() == "torch" and getattr(device, "type", None) == "cuda"

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        keras_loop = super().inner_loop
        if not self._fast_path_applies(sequences, mask):
            return keras_loop(sequences, initial_state, mask, training=training)
        mask = ops.cast(mask, "bool")
        lengths = ops.sum(ops.cast(mask, "int32"), axis=1)
        positions = ops.expand_dims(ops.arange(ops.shape(mask)[1], dtype="int32"), 0)
        right_padded = ops.all(ops.equal(mask, positions < ops.expand_dims(lengths, 1)))

        def masked():  # lists, not tuples, in both branches: JAX's cond compares their structure
            last_output, outputs, states = keras_loop(sequences, initial_state, mask, training=training)
            return last_output, outputs, list(states)

        return ops.cond(right_padded,
                        lambda: self._unmasked_loop(sequences, initial_state, mask, lengths, training), masked)

    def _fast_path_applies(self, sequences, mask) -> bool:
        if mask is None or not self.takes_fast_path():
            return False
        return self.backend_has_faster_unmasked_kernel(sequences) if self.forced is None else self.forced

    def takes_fast_path(self) -> bool:
        """Whether this layer's settings allow the right-padded path (the mask is checked per batch)."""
        return not (self.stateful or self.return_state or self.recurrent_dropout or self.unroll)

    def _unmasked_loop(self, sequences, initial_state, mask, lengths, training):
        backwards = self.go_backwards
        inputs = reverse_within_length(sequences, lengths) if backwards else sequences
        saved = self.go_backwards, self.return_sequences
        self.go_backwards, self.return_sequences = False, True
        try:
            _, outputs, states = super().inner_loop(inputs, initial_state, None, training=training)
        finally:
            self.go_backwards, self.return_sequences = saved
        # Fill the padded steps as Keras' masked loop does: zeros with `zero_output_for_mask`, else the
        # output held from the step before (the initial output until the first real step).
        initial_output = ops.expand_dims(ops.cast(ops.convert_to_tensor(initial_state[0]), outputs.dtype), 1)
        valid = ops.expand_dims(mask, -1)
        if backwards:  # Keras' backward loop meets the padding first and returns outputs in processing order
            held = ops.zeros_like(outputs) if self.zero_output_for_mask else initial_output
            outputs = ops.flip(ops.where(valid, reverse_within_length(outputs, lengths), held), axis=1)
        else:
            if self.zero_output_for_mask:
                held = ops.zeros_like(outputs)
            else:
                last_index = ops.broadcast_to(ops.reshape(ops.maximum(lengths - 1, 0), (-1, 1, 1)),
                                              (ops.shape(outputs)[0], 1, ops.shape(outputs)[2]))
                last_real = ops.take_along_axis(outputs, last_index, axis=1)
                held = ops.where(ops.reshape(lengths > 0, (-1, 1, 1)), last_real, initial_output)
            outputs = ops.where(valid, outputs, held)
        last_output = outputs[:, -1]
        return last_output, outputs, list(states)


@keras.saving.register_keras_serializable(package="rnnzoo")
class LSTM(RightPaddedFastPath, keras.layers.LSTM):
    """`keras.layers.LSTM` with the right-padded fast path on JAX and torch (see `RightPaddedFastPath`)."""


@keras.saving.register_keras_serializable(package="rnnzoo")
class GRU(RightPaddedFastPath, keras.layers.GRU):
    """`keras.layers.GRU` with the right-padded fast path on JAX and torch (see `RightPaddedFastPath`)."""
