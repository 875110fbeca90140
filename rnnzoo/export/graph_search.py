"""Greedy and beam search as TensorFlow loops: the same results as `rnnzoo.inference.decoding`, inside a graph.

A step function `step(tokens (rows,), state) -> (log_probs float64 (rows, vocab), state, scores)`
advances every row by one token (`scores`: attention scores or None). The
searches keep every row in the batch until the last one is done (finished
rows are frozen, not removed), so shapes stay fixed and one `tf.while_loop`
runs the whole search. The rules are those of the Python searches, step for
step, so the same model gives the same tokens: greedy takes the first most
probable token; beam search keeps `beam_width` live hypotheses, a
hypothesis that ends among the top `beam_width` candidates is finished, a
row is done with `beam_width` finished hypotheses or none live, and the
answer is the first finished hypothesis with the best length-normalised score.
"""

from __future__ import annotations

import tensorflow as tf

NEGATIVE_INFINITY = float("-inf")


def log_probabilities(probabilities, banned) -> tf.Tensor:
    """float64 log-probabilities of a step's probabilities (batch, vocab), the banned ids at -inf (as numpy does)."""
    log_probs = tf.cast(tf.math.log(tf.maximum(probabilities, 1e-30)), tf.float64)
    vocab = tf.shape(log_probs)[-1]
    banned_mask = tf.reduce_any(tf.equal(tf.range(vocab)[:, None], tf.constant(list(banned), tf.int32)[None, :]), 1)
    return tf.where(banned_mask[None, :], tf.constant(NEGATIVE_INFINITY, tf.float64), log_probs)


def greedy(step, state: list, *, batch, start_id: int, end_id: int, max_length: int, keep_scores: bool = False):
    """Token ids (batch, steps), each row ending at its first `end_id` (or cut at `max_length`), and the scores.

    Finished rows are fed and write `end_id`; `scores` stacks the step
    function's extra output (batch, steps, ...) when `keep_scores`.
    """
    tokens = tf.fill([batch], tf.constant(start_id, tf.int32))
    finished = tf.zeros([batch], tf.bool)
    written = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    kept = tf.TensorArray(tf.float32, size=0, dynamic_size=True)

    def more(t, tokens, finished, state, written, kept):
        return tf.logical_and(t < max_length, tf.logical_not(tf.reduce_all(finished)))

    def advance(t, tokens, finished, state, written, kept):
        log_probs, state, scores = step(tokens, state)
        chosen = tf.cast(tf.argmax(log_probs, axis=-1), tf.int32)
        chosen = tf.where(finished, end_id, chosen)
        written = written.write(t, chosen)
        if keep_scores:
            kept = kept.write(t, tf.where(finished[:, None], tf.zeros_like(scores), scores))
        return t + 1, chosen, tf.logical_or(finished, tf.equal(chosen, end_id)), state, written, kept

    _, _, _, _, written, kept = tf.while_loop(more, advance, (0, tokens, finished, state, written, kept))
    ids = tf.transpose(written.stack(), [1, 0])
    return ids, (tf.transpose(kept.stack(), [1, 0, 2]) if keep_scores else None)


def normalised(score, length, length_penalty):
    """`rnnzoo.inference.decoding.normalised`: score over max(length, 1)**length_penalty."""
    return score / tf.pow(tf.cast(tf.maximum(length, 1), tf.float64), length_penalty)


def _first_best(values, usable):
    """Per row: the best usable value and the first position holding it (-inf and 0 where none is usable)."""
    masked = tf.where(usable, values, NEGATIVE_INFINITY)
    best = tf.reduce_max(masked, axis=1)
    positions = tf.range(tf.shape(values)[1])[None, :]
    first = tf.reduce_min(tf.where(usable & tf.equal(masked, best[:, None]), positions, tf.shape(values)[1]), axis=1)
    return best, tf.minimum(first, tf.shape(values)[1] - 1)


def beam(step, state: list, *, batch, beam_width, start_id: int, end_id: int, max_length: int,
         length_penalty: float = 1.0):
    """The best hypothesis per row (batch, max_length) ids, padded with `end_id`, of a beam search of `beam_width`."""
    k = tf.convert_to_tensor(beam_width, tf.int32)
    lp = tf.constant(length_penalty, tf.float64)
    rows = tf.range(batch)
    state = [tf.repeat(s, k, axis=0) for s in state]                    # row r's beams at r*k ... r*k+k-1
    scores = tf.where(tf.range(k)[None, :] == 0, tf.constant(0.0, tf.float64), NEGATIVE_INFINITY)
    scores = tf.tile(scores, [batch, 1])
    history = tf.fill([batch, k, max_length], tf.constant(end_id, tf.int32))
    tokens = tf.fill([batch * k], tf.constant(start_id, tf.int32))
    alive = tf.ones([batch], tf.bool)
    finished_count = tf.zeros([batch], tf.int32)
    best = {"rank": tf.fill([batch], tf.constant(NEGATIVE_INFINITY, tf.float64)),
            "tokens": tf.fill([batch, max_length], tf.constant(end_id, tf.int32))}

    def keep_better(best, rank, history_rows, usable):
        better = usable & (rank > best["rank"])
        return {"rank": tf.where(better, rank, best["rank"]),
                "tokens": tf.where(better[:, None], history_rows, best["tokens"])}

    def more(t, tokens, alive, finished_count, scores, history, state, best):
        return tf.logical_and(t < max_length, tf.reduce_any(alive))

    def advance(t, tokens, alive, finished_count, scores, history, state, best):
        log_probs, state, _ = step(tokens, state)
        vocab = tf.shape(log_probs)[-1]
        candidates = tf.reshape(scores[:, :, None] + tf.reshape(log_probs, [batch, k, vocab]), [batch, k * vocab])
        values, flat = tf.math.top_k(candidates, k=2 * k)               # ties: the lower index first, as a stable sort
        beams, words = flat // vocab, flat % vocab
        rank = tf.range(2 * k)[None, :]
        valid = values > NEGATIVE_INFINITY
        ends = valid & tf.equal(words, end_id) & (rank < k) & alive[:, None]
        live = valid & tf.not_equal(words, end_id)
        live = live & (tf.cumsum(tf.cast(live, tf.int32), axis=1) <= k)
        # Hypotheses ending now: the best of them (the first of equals) replaces the row's best only if better.
        ranks = normalised(values, t + 1, lp)
        ending_best, ending_first = _first_best(ranks, ends)
        ending_history = tf.gather(history, tf.gather(beams, ending_first, batch_dims=1), batch_dims=1)
        best = keep_better(best, ending_best, ending_history, tf.reduce_any(ends, axis=1))
        finished_count += tf.reduce_sum(tf.cast(ends, tf.int32), axis=1)
        live_count = tf.reduce_sum(tf.cast(live, tf.int32), axis=1)
        still = alive & (finished_count < k) & (live_count > 0)
        # The live candidates in rank order; missing ones copy the first with an impossible score.
        order = tf.argsort(tf.where(live, rank, rank + 2 * k), axis=1, stable=True)[:, :k]
        taken = tf.gather(live, order, batch_dims=1)
        first = tf.gather(order, tf.zeros([batch], tf.int32)[:, None], batch_dims=1)
        order = tf.where(taken, order, first)
        next_beams = tf.gather(beams, order, batch_dims=1)
        next_words = tf.gather(words, order, batch_dims=1)
        next_scores = tf.where(taken, tf.gather(values, order, batch_dims=1), NEGATIVE_INFINITY)
        next_history = tf.gather(history, next_beams, batch_dims=1)
        next_history = tf.where(tf.range(max_length)[None, None, :] == t, next_words[:, :, None], next_history)
        source_rows = tf.reshape(rows[:, None] * k + next_beams, [-1])
        state = [tf.gather(s, source_rows) for s in state]
        # Rows that are done keep their last values (they no longer change the answer).
        scores = tf.where(still[:, None], next_scores, scores)
        history = tf.where(still[:, None, None], next_history, history)
        return t + 1, tf.reshape(next_words, [-1]), still, finished_count, scores, history, state, best

    t, _, alive, _, scores, history, _, best = tf.while_loop(
        more, advance, (0, tokens, alive, finished_count, scores, history, state, best))
    # Rows cut by max_length: their live hypotheses count as finished, in beam order.
    ranks = normalised(scores, t, lp)
    for_rows = alive[:, None] & (scores > NEGATIVE_INFINITY)
    live_best, live_first = _first_best(ranks, for_rows)
    best = keep_better(best, live_best, tf.gather(history, live_first, batch_dims=1), tf.reduce_any(for_rows, axis=1))
    return best["tokens"]
