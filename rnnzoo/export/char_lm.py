"""A character language model as a SavedModel: next-character probabilities, and generation in the graph.

Signatures:
- `serving_default` (also `serve`): `text` (1-D tf.string) -> the probabilities
  of the next character by id, as before (`Run.predict`'s numbers);
- `generate`: `prompt` (1-D tf.string, one sample per row), `length` (int32,
  1 to 100,000), `temperature` (float32 >= 0; 0 is greedy), `top_k` (int32,
  0 keeps every character) and `seed` (int64) -> `text`, the continuations.
  The prompt is read once to prime the recurrent state, then each new
  character is one recurrent step that carries the state (O(length)), as
  `Run.generate` does. Greedy output equals `Run.generate(temperature=0)`.
  Sampled text is reproducible for the same seed (a stateless TensorFlow
  stream, `seed` and the position), but it is not numpy's stream: the same
  seed gives other text than `Run.generate`.
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from rnnzoo.export import text_graph
from rnnzoo.export.graph_search import NEGATIVE_INFINITY
from rnnzoo.tasks.serving import CharLanguageModelServing

MAX_LENGTH = 100_000  # rnnzoo.inference.sampling.MAX_LENGTH: the same cap as Run.generate
PAD, OOV, RESERVED = 0, 1, 2
BANNED = (PAD, OOV)

TEXT = tf.TensorSpec([None], tf.string, name="text")
GENERATE = [tf.TensorSpec([None], tf.string, name="prompt"), tf.TensorSpec([], tf.int32, name="length"),
            tf.TensorSpec([], tf.float32, name="temperature"), tf.TensorSpec([], tf.int32, name="top_k"),
            tf.TensorSpec([], tf.int64, name="seed")]


def pick_next(logits, *, temperature, top_k, seed):
    """`rnnzoo.inference.sampling.pick_next` in TensorFlow: banned ids, top-k, greedy at 0, else one draw per row."""
    logits = tf.cast(logits, tf.float64)
    vocab = tf.shape(logits)[-1]
    impossible = tf.constant(NEGATIVE_INFINITY, tf.float64)
    logits = tf.where(tf.range(vocab)[None, :] < RESERVED, impossible, logits)
    kept = tf.where(top_k > 0, tf.minimum(top_k, vocab), vocab)
    kth = tf.math.top_k(logits, k=kept).values[:, -1:]
    logits = tf.where(logits >= kth, logits, impossible)
    greedy = tf.cast(tf.argmax(logits, axis=-1), tf.int32)
    scaled = logits / tf.cast(tf.where(temperature > 0, temperature, 1.0), tf.float64)
    probabilities = tf.exp(scaled - tf.reduce_max(scaled, axis=-1, keepdims=True))
    cumulative = tf.cumsum(probabilities, axis=-1)
    draws = tf.random.stateless_uniform([tf.shape(logits)[0], 1], seed=seed, dtype=tf.float64) * cumulative[:, -1:]
    sampled = tf.minimum(tf.reduce_sum(tf.cast(cumulative <= draws, tf.int32), axis=-1), vocab - 1)
    return tf.where(temperature > 0, sampled, greedy)


def write_char_lm(serving: CharLanguageModelServing, path: Path) -> None:
    """Writes the SavedModel of `serving` into the (empty, temporary) folder `path`."""
    table = text_graph.lookup_table(serving.characters, first_id=RESERVED)
    names = tf.constant(["\ufffd"] * RESERVED + list(serving.characters))
    start_logits = tf.constant(serving.start_logits, tf.float64)
    step = serving.step
    archive = keras.export.ExportArchive()
    archive.track_and_add_endpoint("serve", serving.next_character, [TEXT])
    archive.track(step)
    archive.track(table)

    def step_logits(ids, states):
        outputs = step([ids, *states], training=False)
        return outputs[0], list(outputs[1:])

    def generate(prompt, length, temperature, top_k, seed):
        checks = [
            tf.debugging.assert_greater_equal(length, 1, message="`length` must be an integer between 1 and 100,000"),
            tf.debugging.assert_less_equal(length, MAX_LENGTH,
                                           message="`length` must be an integer between 1 and 100,000"),
            tf.debugging.assert_greater_equal(temperature, 0.0,
                                              message="`temperature` must be a number >= 0 (0 is greedy)"),
            tf.debugging.assert_all_finite(temperature, message="`temperature` must be a number >= 0 (0 is greedy)"),
            tf.debugging.assert_greater_equal(top_k, 0, message="`top_k` must be an integer >= 0 (0 keeps every token)"),
        ]
        with tf.control_dependencies(checks):  # every later op reads a checked input
            prompt, length, temperature, top_k = (tf.identity(x) for x in (prompt, length, temperature, top_k))
        characters = tf.strings.unicode_split(prompt, "UTF-8", errors="replace")
        ids = tf.ragged.map_flat_values(table.lookup, characters)
        lengths = tf.cast(ids.row_lengths(), tf.int32)
        dense = ids.to_tensor(default_value=PAD)
        dense = tf.pad(dense, [[0, 0], [0, tf.maximum(1 - tf.shape(dense)[1], 0)]])
        batch = tf.shape(dense)[0]
        states = [tf.zeros([batch, int(s.shape[-1])]) for s in step.inputs[1:]]
        # The prompt in one call: padding is masked, so each row's state is the one after its last character.
        logits, states = step_logits(dense, states)
        last = tf.gather(logits, tf.maximum(lengths - 1, 0), axis=1, batch_dims=1)
        scores = tf.where(lengths[:, None] > 0, tf.cast(last, tf.float64), start_logits[None, :])

        def advance(position, scores, states, written):
            chosen = pick_next(scores, temperature=temperature, top_k=top_k,
                               seed=tf.stack([seed, tf.cast(position, tf.int64)]))
            written = written.write(position, chosen)
            logits, states = step_logits(chosen[:, None], states)
            return position + 1, tf.cast(logits[:, -1], tf.float64), states, written

        written = tf.TensorArray(tf.int32, size=length)
        _, _, _, written = tf.while_loop(lambda position, *_: position < length, advance,
                                         (0, scores, states, written))
        generated = tf.transpose(written.stack(), [1, 0])
        return {"text": tf.strings.reduce_join(tf.gather(names, generated), axis=1)}

    archive.add_endpoint("generate", generate, input_signature=GENERATE)
    archive.write_out(str(path), verbose=False)
