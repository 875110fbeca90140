"""A tagger as a SavedModel: sentence strings in, tag strings out, with Viterbi (CRF, IOB rules) in the graph.

Signature `serving_default` (also `serve`): `text` (1-D tf.string, one
sentence per row, split into Penn Treebank tokens by `preprocessing.treebank`'s
rules; `word/POS` tokens separated by spaces when the model reads the part of
speech) -> `tags` and `words` (batch, words) strings,
"" past each sentence's end, and `length` (int32) words per sentence. An
empty sentence has no tags; a token without `/POS` for a chunker that reads
POS is an InvalidArgumentError naming the expected form. The tags are
`Run.predict`'s: the same word keys (lower-cased, digits 0), character ids,
model scores and the best whole sequence under the same potentials.
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from rnnzoo.export import text_graph
from rnnzoo.preprocessing import treebank
from rnnzoo.tasks.serving import TaggerServing

TEXT = tf.TensorSpec([None], tf.string, name="text")
RESERVED_CHARACTER_IDS = 2  # character ids: 0 padding, 1 out of vocabulary (rnnzoo.tasks.char_lm.CharVocabulary)


def first_argmax(values, axis: int):
    """The first position of the maximum along `axis` (numpy's argmax rule; ties are frequent under -inf)."""
    best = tf.reduce_max(values, axis=axis, keepdims=True)
    positions = tf.range(tf.shape(values)[axis])
    shape = [1] * len(values.shape)
    shape[axis] = -1
    positions = tf.reshape(positions, shape)
    return tf.reduce_min(tf.where(tf.equal(values, best), positions, tf.shape(values)[axis]), axis=axis)


def viterbi(scores, lengths, transitions, start, end):
    """`rnnzoo.inference.viterbi.viterbi` for a right-padded batch: scores (batch, words, tags) -> tag ids."""
    best = start[None, :] + scores[:, 0]
    steps = tf.shape(scores)[1]
    pointers = tf.TensorArray(tf.int32, size=steps)
    identity = tf.broadcast_to(tf.range(tf.shape(scores)[2])[None, :], tf.shape(best))
    pointers = pointers.write(0, identity)

    def forward(t, best, pointers):
        candidates = best[:, :, None] + transitions[None, :, :]
        real = (t < lengths)[:, None]
        pointers = pointers.write(t, tf.where(real, first_argmax(candidates, 1), identity))
        return t + 1, tf.where(real, tf.reduce_max(candidates, axis=1) + scores[:, t], best), pointers

    _, best, pointers = tf.while_loop(lambda t, *_: t < steps, forward, (1, best, pointers))
    pointers = pointers.stack()                                     # (words, batch, tags)
    last = first_argmax(best + end[None, :], 1)

    def backward(t, tag, path):
        path = path.write(t, tag)
        return t - 1, tf.gather(pointers[t], tag, batch_dims=1), path

    _, _, path = tf.while_loop(lambda t, *_: t >= 0, backward,
                               (steps - 1, last, tf.TensorArray(tf.int32, size=steps)))
    return tf.transpose(path.stack(), [1, 0])


class _Graph:
    def __init__(self, serving: TaggerServing):
        self.serving = serving
        self.words = text_graph.lookup_table(serving.words)
        self.pos = text_graph.lookup_table(serving.pos)
        self.characters = (text_graph.lookup_table(serving.characters, first_id=RESERVED_CHARACTER_IDS)
                           if serving.characters is not None else None)

    def tables(self) -> list:
        return [t for t in (self.words, self.pos, self.characters) if t is not None]

    def parse(self, text):
        """Words and POS (ragged (batch, words)) as `TaggingTask._parse` splits them."""
        if not self.serving.reads_pos:
            for pattern, replacement in treebank.RULES:  # Penn Treebank tokens, as the training data has them
                text = tf.strings.regex_replace(text, pattern, replacement)
            return tf.strings.split(text), None
        tokens = tf.strings.split(text)
        flat = tokens.flat_values
        check = tf.debugging.Assert(tf.reduce_all(tf.strings.regex_full_match(flat, "(?s).+/[^/]*")), [
            "This chunker reads each word's part of speech: write tokens as word/POS (e.g. He/PRP reckons/VBZ). "
            "Received tokens:", flat], summarize=20)
        with tf.control_dependencies([check]):
            words = tf.strings.regex_replace(flat, "(?s)^(.*)/[^/]*$", r"\1")
        pos = tf.strings.regex_replace(flat, "(?s)^.*/([^/]*)$", r"\1")
        return tokens.with_flat_values(words), tokens.with_flat_values(pos)

    def character_ids(self, words):
        """(batch, words, characters) ids of each word clipped to its first and last characters (`clip_word`)."""
        characters = tf.strings.unicode_split(words.flat_values, "UTF-8", errors="replace")  # (all words, chars)
        lengths = tf.cast(characters.row_lengths(), tf.int32)
        limit, half = self.serving.max_word_chars, self.serving.max_word_chars // 2
        kept = tf.minimum(lengths, limit)
        positions = tf.ragged.range(kept)
        source = tf.where((lengths[:, None] > limit) & (positions >= half), positions + lengths[:, None] - limit,
                          positions)
        starts = tf.cast(characters.row_starts(), tf.int32)[:, None]
        flat = tf.gather(characters.flat_values, (source + starts).flat_values)
        ids = tf.RaggedTensor.from_row_lengths(self.characters.lookup(flat), tf.cast(kept, tf.int64))
        nested = words.with_values(ids)                                       # (batch, words, chars)
        dense = nested.to_tensor(default_value=0)
        return tf.pad(dense, [[0, 0], [0, tf.maximum(1 - tf.shape(dense)[1], 0)],
                              [0, tf.maximum(1 - tf.shape(dense)[2], 0)]])

    def tag(self, text):
        words, pos = self.parse(text)
        lengths = tf.cast(words.row_lengths(), tf.int32)
        keys = tf.strings.regex_replace(tf.strings.lower(words.flat_values, encoding="utf-8"), r"\p{Nd}", "0")
        ids = at_least_one_step(words.with_flat_values(self.words.lookup(keys)).to_tensor(default_value=0))
        inputs = ids
        if self.characters is not None or pos is not None:
            inputs = {"inputs": ids}
            if self.characters is not None:
                inputs["chars"] = self.character_ids(words)
            if pos is not None:
                inputs["tag_features"] = at_least_one_step(
                    pos.with_flat_values(self.pos.lookup(pos.flat_values)).to_tensor(default_value=0))
        scores = tf.cast(self.serving.core(inputs, training=False), tf.float64)
        if self.serving.softmax:  # probabilities to log scores, as TaggingTask.tag
            scores = tf.math.log(tf.clip_by_value(scores, 1e-30, 1.0))
        potentials = [tf.constant(p, tf.float64) for p in (self.serving.transitions, self.serving.start,
                                                           self.serving.end)]
        path = viterbi(scores, lengths, *potentials)
        real = tf.range(tf.shape(path)[1])[None, :] < lengths[:, None]
        tags = tf.where(real, tf.gather(tf.constant(list(self.serving.tags)), path), "")
        words = words.to_tensor(default_value="")
        width = tf.shape(words)[1]
        return {"tags": tags[:, :width], "words": words, "length": lengths}


def at_least_one_step(ids):
    """Ids (batch, words) with one padded, masked step when every sentence is empty."""
    return tf.pad(ids, [[0, 0], [0, tf.maximum(1 - tf.shape(ids)[1], 0)]])


def write_tagger(serving: TaggerServing, path: Path) -> None:
    """Writes the SavedModel of `serving` into the (empty, temporary) folder `path`."""
    graph = _Graph(serving)
    archive = keras.export.ExportArchive()
    archive.track(serving.core)
    for table in graph.tables():
        archive.track(table)
    archive.add_endpoint("serve", graph.tag, input_signature=[TEXT])
    archive.write_out(str(path), verbose=False)
