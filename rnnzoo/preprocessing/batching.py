"""Batches for variable-length sequences: right-padded, grouped by length.

Padding costs time linearly (an RNN runs every padded step), so examples of
similar length are batched together: `length_bucketed` shuffles, puts each
example in a bucket `bucket_width` tokens wide, and emits a batch whenever a
bucket is full, padding only to the longest example in the batch. Masks make
the padding invisible to the model; bucketing makes it cheap.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE


class DataEpoch(keras.callbacks.Callback):
    """The epoch `fit` is in, for data pipelines: their order is a function of (seed, epoch) alone.

    tf.data's own reshuffling draws a new order each time a dataset is
    iterated, counting from the process start, so a run resumed at epoch 5
    would see epoch 1's order again. Pipelines that read this epoch instead
    give a resumed epoch exactly the batches an uninterrupted run gives it.
    """

    def __init__(self):
        super().__init__()
        self.variable = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_epoch")

    def on_epoch_begin(self, epoch, logs=None):
        self.variable.assign(epoch)

    def rng(self, seed: int) -> np.random.Generator:
        """A NumPy generator for the current epoch (for Python-generator pipelines)."""
        return np.random.default_rng([seed, int(self.variable.numpy())])


def _first_length(inputs, *_):
    first = inputs if not isinstance(inputs, dict) else next(iter(inputs.values()))
    return tf.shape(first)[0]


def length_bucketed(ds: tf.data.Dataset, *, batch_size: int, max_length: int, bucket_width: int,
                    shuffle: bool, seed: int, length_fn=_first_length,
                    epoch: tf.Variable | None = None) -> tf.data.Dataset:
    """Right-padded batches of examples of similar length (ds yields unbatched variable-length examples).

    With `shuffle` and an `epoch` variable (`DataEpoch.variable`), each epoch's
    order depends on (seed, epoch) only; without `epoch`, tf.data reshuffles
    on every iteration.
    """
    boundaries = list(range(bucket_width + 1, max_length + 1, bucket_width))

    def one_epoch(epoch_value):
        examples = ds
        if shuffle:
            examples = permuted(examples, seed, epoch_value) if epoch_value is not None else \
                examples.shuffle(buffer_size=100_000, seed=seed, reshuffle_each_iteration=True)
        batches = examples.bucket_by_sequence_length(
            element_length_func=length_fn,
            bucket_boundaries=boundaries,
            bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
            drop_remainder=False,
        )
        if shuffle:
            # Buckets fill at different rates; shuffling batches mixes lengths across an epoch. Inside
            # flat_map this dataset is made anew each epoch, so a fixed seed still follows the epoch's order.
            batches = batches.shuffle(buffer_size=256, seed=seed, reshuffle_each_iteration=True)
        return batches

    if not (shuffle and epoch is not None):
        return one_epoch(None).prefetch(AUTOTUNE)
    # flat_map runs `one_epoch` each time the dataset is iterated, so it reads the epoch fit is in.
    return tf.data.Dataset.from_tensors(0).flat_map(lambda _: one_epoch(epoch)).prefetch(AUTOTUNE)


def permuted(ds: tf.data.Dataset, seed: int, epoch) -> tf.data.Dataset:
    """All of `ds` in a random order that is a function of (seed, epoch) alone (`epoch` may be a tensor).

    A stateless permutation, not `Dataset.shuffle(seed=tensor)`: TensorFlow's
    seed handling tests a tensor seed as a Python bool when the global seed is
    0 (`--seed 0`) and fails. The examples are counted, then gathered in one
    ragged batch, which holds no more than the cache before it.
    """
    def reorder(*parts):  # tf.data passes a tuple element's parts as separate arguments
        batch = parts if len(parts) > 1 else parts[0]
        first = tf.nest.flatten(batch)[0]
        count = first.nrows() if isinstance(first, tf.RaggedTensor) else tf.shape(first)[0]
        key = tf.stack([tf.constant(seed % 2**62, tf.int64), tf.cast(epoch, tf.int64)])
        order = tf.random.experimental.stateless_shuffle(tf.range(count), seed=key)
        return tf.nest.map_structure(lambda t: tf.gather(t, order), batch)

    def to_dense(t):  # rows of rank >= 2 (a word's characters) come back ragged; rank 1 as rank-0-ragged specs
        return t.to_tensor() if isinstance(t, tf.RaggedTensor) and t.ragged_rank > 0 else tf.cast(t, t.dtype)

    def dense(*parts):
        return tf.nest.map_structure(to_dense, parts if len(parts) > 1 else parts[0])

    count = ds.reduce(tf.constant(0, tf.int64), lambda n, *_: n + 1)  # one pass over the (cached) examples
    return ds.ragged_batch(count).map(reorder).unbatch().map(dense)


def padded_to_length(ds: tf.data.Dataset, *, batch_size: int, max_length: int, shuffle: bool, seed: int):
    """The plain pipeline, for comparison: every example padded to `max_length`."""
    if shuffle:
        ds = ds.shuffle(buffer_size=100_000, seed=seed, reshuffle_each_iteration=True)
    return ds.padded_batch(batch_size, padded_shapes=([max_length], [])).prefetch(AUTOTUNE)


def padding_fraction(batches: tf.data.Dataset) -> float:
    """Share of padded (id 0) positions among all positions in the batches' first input."""
    padded = total = 0
    for inputs, _ in batches:
        ids = inputs if not isinstance(inputs, dict) else next(iter(inputs.values()))
        padded += int(tf.reduce_sum(tf.cast(ids == 0, tf.int64)))
        total += int(tf.size(ids))
    return padded / max(total, 1)
