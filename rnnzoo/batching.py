"""Batches for variable-length sequences: right-padded, grouped by length.

Padding costs time linearly (an RNN runs every padded step), so examples of
similar length are batched together: `length_bucketed` shuffles, puts each
example in a bucket `bucket_width` tokens wide, and emits a batch whenever a
bucket is full, padding only to the longest example in the batch. Masks make
the padding invisible to the model; bucketing makes it cheap.
"""

from __future__ import annotations

import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE


def _first_length(inputs, *_):
    first = inputs if not isinstance(inputs, dict) else next(iter(inputs.values()))
    return tf.shape(first)[0]


def length_bucketed(ds: tf.data.Dataset, *, batch_size: int, max_length: int, bucket_width: int,
                    shuffle: bool, seed: int, length_fn=_first_length) -> tf.data.Dataset:
    """Right-padded batches of examples of similar length (ds yields unbatched variable-length examples)."""
    if shuffle:
        ds = ds.shuffle(buffer_size=100_000, seed=seed, reshuffle_each_iteration=True)
    boundaries = list(range(bucket_width + 1, max_length + 1, bucket_width))
    ds = ds.bucket_by_sequence_length(
        element_length_func=length_fn,
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        drop_remainder=False,
    )
    if shuffle:
        # Buckets fill at different rates; shuffling batches mixes lengths across an epoch.
        ds = ds.shuffle(buffer_size=256, seed=seed, reshuffle_each_iteration=True)
    return ds.prefetch(AUTOTUNE)


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
