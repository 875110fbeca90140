"""A seq2seq run as a SavedModel: raw source strings in, decoded strings out, the whole search in the graph.

Signatures (each takes `text`, a 1-D tf.string batch):
- `serving_default` (also `serve`): greedy decoding -> `output` (1-D tf.string);
- `beam`: `text` and `beam_width` (int32 scalar >= 1) -> `output`, beam search
  with length penalty 1.0 (what `Run.decode(beam_width=K)` does);
- `attention` (models with attention): greedy `output`, `attention` weights
  (batch, output steps, source steps; the end step included, zeros after it)
  and `source_tokens` (batch, source steps; the tokens as fed, "" padding).

Tokenization is the task's own (characters or words, the source vocabulary,
`reverse_source`); a source longer than the training cap (`data.max_length`)
is read whole, as `Run.decode` reads it; an empty source decodes to "".
Decoding stops at the end token or after `max_target_length + 10` tokens.
"""

from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from rnnzoo.export import graph_search, text_graph
from rnnzoo.preprocessing.vocabulary import END, PAD, START
from rnnzoo.tasks.serving import Seq2SeqServing

TEXT = tf.TensorSpec([None], tf.string, name="text")
BEAM_WIDTH = tf.TensorSpec([], tf.int32, name="beam_width")


class _Graph:
    """The ops of one exported seq2seq model: source ids, the search state, and the step function."""

    def __init__(self, serving: Seq2SeqServing):
        self.serving = serving
        self.table = text_graph.lookup_table(serving.source_tokens)

    def source(self, text):
        tokens = text_graph.tokens(text, self.serving.tokenizer)
        ids, lengths = text_graph.padded_ids(tokens, self.table, reverse=self.serving.reverse_source)
        return tokens, ids, lengths

    def encode(self, ids) -> list:
        outputs = self.serving.models.encoder(ids, training=False)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        if self.serving.attention:
            return [outputs[0], outputs[1], tf.not_equal(ids, PAD), *outputs[2:]]
        return outputs

    def step(self, tokens, state):
        outputs = self.serving.models.step([tokens[:, None], *state], training=False)
        context = state[:3] if self.serving.attention else []
        recurrent = outputs[1:-1] if self.serving.attention else outputs[1:]
        scores = outputs[-1][:, 0, :] if self.serving.attention else None
        log_probs = graph_search.log_probabilities(outputs[0][:, 0, :], banned=(PAD, START))
        return log_probs, [*context, *recurrent], scores

    def text_of(self, ids, lengths):
        text = text_graph.detokenize(ids, self.serving.target_tokens, self.serving.tokenizer)
        return tf.where(lengths > 0, text, "")  # an empty source has nothing to decode

    def greedy(self, text, keep_scores: bool = False):
        tokens, ids, lengths = self.source(text)
        found, scores = graph_search.greedy(self.step, self.encode(ids), batch=tf.shape(ids)[0], start_id=START,
                                            end_id=END, max_length=self.serving.max_output_length,
                                            keep_scores=keep_scores)
        return tokens, lengths, found, scores

    def beam(self, text, beam_width):
        _, ids, lengths = self.source(text)
        check = tf.debugging.assert_greater_equal(beam_width, 1, message="`beam_width` must be an integer >= 1")
        with tf.control_dependencies([check]):
            beam_width = tf.identity(beam_width)
        found = graph_search.beam(self.step, self.encode(ids), batch=tf.shape(ids)[0], beam_width=beam_width,
                                  start_id=START, end_id=END, max_length=self.serving.max_output_length)
        return self.text_of(found, lengths)


def write_seq2seq(serving: Seq2SeqServing, path: Path) -> None:
    """Writes the SavedModel of `serving` into the (empty, temporary) folder `path`."""
    graph = _Graph(serving)
    archive = keras.export.ExportArchive()
    archive.track(serving.models.encoder)
    archive.track(serving.models.step)
    archive.track(graph.table)

    def serve(text):
        _, lengths, found, _ = graph.greedy(text)
        return {"output": graph.text_of(found, lengths)}

    def beam(text, beam_width):
        return {"output": graph.beam(text, beam_width)}

    def attention(text):
        tokens, lengths, found, scores = graph.greedy(text, keep_scores=True)
        fed = tokens.to_tensor(default_value="")
        if serving.reverse_source:
            fed = tf.reverse_sequence(fed, tf.cast(tokens.row_lengths(), tf.int32), seq_axis=1, batch_axis=0)
        return {"output": graph.text_of(found, lengths), "attention": scores[:, :, :tf.shape(fed)[1]],
                "source_tokens": fed}

    archive.add_endpoint("serve", serve, input_signature=[TEXT])
    archive.add_endpoint("serving_default", serve, input_signature=[TEXT])
    archive.add_endpoint("beam", beam, input_signature=[TEXT, BEAM_WIDTH])
    if serving.attention:
        archive.add_endpoint("attention", attention, input_signature=[TEXT])
    archive.write_out(str(path), verbose=False)
