"""Text <-> ids as TensorFlow ops, the same tokens as `rnnzoo.preprocessing.vocabulary` gives in Python.

Used inside exported SavedModels, so a served model reads raw strings and
writes text with no Python around it. Tokens match Python's for ASCII text;
beyond ASCII, TensorFlow lower-cases and splits on whitespace per character
(Python's `str.lower` and `str.split` know a few more multi-character cases).
"""

from __future__ import annotations

import tensorflow as tf

from rnnzoo.preprocessing.vocabulary import END, PUNCTUATION, UNKNOWN


def tokens(texts, tokenizer: str) -> tf.RaggedTensor:
    """(batch,) strings -> ragged (batch, tokens): characters, or lower-cased words with punctuation split off."""
    texts = tf.strings.strip(texts)
    if tokenizer == "chars":
        return tf.strings.unicode_split(texts, "UTF-8", errors="replace")
    texts = tf.strings.regex_replace(tf.strings.lower(texts, encoding="utf-8"), f"({PUNCTUATION})", r" \1 ")
    return tf.strings.split(texts)


def lookup_table(vocabulary, first_id: int = 0) -> tf.lookup.StaticHashTable:
    """Token -> id (`first_id` + index in `vocabulary`); any other token is the unknown id, as `Vocabulary.encode`."""
    keys = tf.constant(list(vocabulary), dtype=tf.string)
    values = tf.range(first_id, first_id + len(vocabulary), dtype=tf.int32)
    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, values), default_value=UNKNOWN)


def padded_ids(ragged_tokens: tf.RaggedTensor, table, *, reverse: bool):
    """Right-padded ids (batch, time >= 1) and lengths, reversed within each row if asked."""
    ids = tf.ragged.map_flat_values(table.lookup, ragged_tokens)
    lengths = tf.cast(ids.row_lengths(), tf.int32)
    dense = ids.to_tensor(default_value=0)
    if reverse:
        dense = tf.reverse_sequence(dense, lengths, seq_axis=1, batch_axis=0)
    dense = tf.pad(dense, [[0, 0], [0, tf.maximum(1 - tf.shape(dense)[1], 0)]])  # at least one step
    return dense, lengths


def detokenize(ids, vocabulary, tokenizer: str):
    """(batch, time) ids -> (batch,) strings: tokens up to the first end id, joined as `vocabulary.detokenize`."""
    ended = tf.cumsum(tf.cast(tf.equal(ids, END), tf.int32), axis=1) > 0
    lengths = tf.reduce_sum(tf.cast(~ended, tf.int32), axis=1)
    words = tf.gather(tf.constant(list(vocabulary), dtype=tf.string), ids)
    words = tf.RaggedTensor.from_tensor(words, lengths=lengths)
    return tf.strings.reduce_join(words, axis=1, separator="" if tokenizer == "chars" else " ")
