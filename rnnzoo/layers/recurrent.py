"""rnnzoo's LSTM and GRU: Keras' layers plus a right-padded fast path for backends whose fused kernels take no mask."""

from __future__ import annotations

import keras
from keras import ops


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
        # output held from the step before. Before a row's first real step there is no output to hold, and
        # Keras holds zeros there, whatever the initial state (rows with no real step; the padded steps a
        # backward layer meets first).
        zeros = ops.zeros_like(outputs)
        valid = ops.expand_dims(mask, -1)
        if backwards:  # Keras' backward loop meets the padding first and returns outputs in processing order
            outputs = ops.flip(ops.where(valid, reverse_within_length(outputs, lengths), zeros), axis=1)
        else:
            if self.zero_output_for_mask:
                held = zeros
            else:
                last_index = ops.broadcast_to(ops.reshape(ops.maximum(lengths - 1, 0), (-1, 1, 1)),
                                              (ops.shape(outputs)[0], 1, ops.shape(outputs)[2]))
                last_real = ops.take_along_axis(outputs, last_index, axis=1)
                held = ops.where(ops.reshape(lengths > 0, (-1, 1, 1)), last_real, zeros)
            outputs = ops.where(valid, outputs, held)
        last_output = outputs[:, -1]
        return last_output, outputs, list(states)


@keras.saving.register_keras_serializable(package="rnnzoo")
class LSTM(RightPaddedFastPath, keras.layers.LSTM):
    """`keras.layers.LSTM` with the right-padded fast path on JAX and torch (see `RightPaddedFastPath`)."""


@keras.saving.register_keras_serializable(package="rnnzoo")
class GRU(RightPaddedFastPath, keras.layers.GRU):
    """`keras.layers.GRU` with the right-padded fast path on JAX and torch (see `RightPaddedFastPath`)."""
