"""Decoding: greedy and beam search over a step function, and the step decoders that run built step models.

The searches are generic: they only need a *step function*

    step(tokens: int array (rows,), state: list of arrays with `rows` rows) -> (log_probs (rows, vocab), state)

that advances every row by one token. Everything a row needs (recurrent
states, encoder outputs, masks) lives in `state`, so beam search can reorder
rows freely; a captioning decoder fits the same signature. One output token
costs one call of the step function.

`Seq2SeqDecoder` is that step function for a trained seq2seq model, and
`CaptionDecoder` for a trained one-to-many (captioning) model. Both take the
encoder model and the one-step decoder model the builders make out of the
trained layers (`rnnzoo.builders.inference_models`), run them on numpy
arrays, and share `StepDecoder`'s step and teacher-forcing code.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from rnnzoo.errors import RnnzooError

StepFunction = Callable[[np.ndarray, list], tuple[np.ndarray, list]]


def check_search_arguments(beam_width: int, max_length: int) -> None:
    for name, value in (("beam_width", beam_width), ("max_length", max_length)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise RnnzooError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")


def _take(state: list, rows) -> list:
    return [s[rows] for s in state]


def _banned_to_minus_infinity(log_probs: np.ndarray, banned: Sequence[int]) -> np.ndarray:
    log_probs = np.array(log_probs, dtype="float64")
    log_probs[:, list(banned)] = -np.inf
    return log_probs


def greedy_search(step: StepFunction, state: list, *, start_id: int, end_id: int, max_length: int,
                  banned: Sequence[int] = ()) -> list[dict]:
    """The most probable token at every step, per row, until `end_id` or `max_length` tokens.

    Returns one dict per row: `tokens` (end token excluded), `score` (sum of
    log-probabilities, end included) and `ended` (False if cut by max_length).
    Finished rows leave the batch, so later steps cost less.
    """
    check_search_arguments(1, max_length)
    rows = len(state[0])
    results = [{"tokens": [], "score": 0.0, "ended": False} for _ in range(rows)]
    alive = np.arange(rows)
    tokens = np.full(rows, start_id, dtype="int32")
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        log_probs = _banned_to_minus_infinity(log_probs, banned)
        chosen = np.argmax(log_probs, axis=-1)
        keep = []
        for position, (row, token) in enumerate(zip(alive, chosen)):
            results[row]["score"] += float(log_probs[position, token])
            if token == end_id:
                results[row]["ended"] = True
            else:
                results[row]["tokens"].append(int(token))
                keep.append(position)
        if not keep:
            break
        alive, tokens, state = alive[keep], chosen[keep].astype("int32"), _take(state, keep)
    return results


def normalised(score: float, length: int, length_penalty: float) -> float:
    """Sum of log-probabilities over length**alpha: alpha 0 ranks by raw score, 1 by mean log-probability."""
    return score / max(length, 1) ** length_penalty


def beam_search(step: StepFunction, state: list, *, beam_width: int, start_id: int, end_id: int, max_length: int,
                length_penalty: float = 1.0, banned: Sequence[int] = ()) -> list[dict]:
    """The best of `beam_width` hypotheses kept per row at every step (batched over rows).

    A hypothesis that emits `end_id` among the top `beam_width` candidates is
    finished; a row is done once it has `beam_width` finished hypotheses (or
    after `max_length` tokens, when the live beams count as finished too). The
    result per row is the finished hypothesis with the best length-normalised
    score (`normalised`). With `beam_width=1` this is exactly greedy search.
    """
    check_search_arguments(beam_width, max_length)
    k = beam_width
    rows = len(state[0])
    finished: list[list[dict]] = [[] for _ in range(rows)]
    alive = np.arange(rows)                                   # rows still searching
    state = _take(state, np.repeat(np.arange(rows), k))       # row r's beams at r*k ... r*k+k-1
    scores = np.full((rows, k), -np.inf)
    scores[:, 0] = 0.0                                        # all beams start equal: keep one
    histories = [[[] for _ in range(k)] for _ in range(rows)]
    tokens = np.full(rows * k, start_id, dtype="int32")
    for t in range(max_length):
        log_probs, state = step(tokens, state)
        log_probs = _banned_to_minus_infinity(log_probs, banned)
        vocab = log_probs.shape[-1]
        candidates = (scores[:, :, None] + log_probs.reshape(len(alive), k, vocab)).reshape(len(alive), k * vocab)
        best = np.argsort(-candidates, axis=1, kind="stable")[:, : 2 * k]
        next_rows, next_tokens, next_scores, next_histories, keep = [], [], [], [], []
        for position, row in enumerate(alive):
            beams = []
            for rank, flat in enumerate(best[position]):
                score = candidates[position, flat]
                if score == -np.inf:
                    break
                beam, token = divmod(int(flat), vocab)
                if token == end_id:
                    if rank < k:
                        length = len(histories[position][beam]) + 1
                        finished[row].append({"tokens": list(histories[position][beam]), "score": float(score),
                                              "ended": True, "rank": normalised(score, length, length_penalty)})
                    continue
                beams.append((beam, token, score))
                if len(beams) == k:
                    break
            if len(finished[row]) >= k or not beams:
                continue
            while len(beams) < k:  # fewer live candidates than beams: pad with impossible ones
                beams.append((beams[0][0], beams[0][1], -np.inf))
            keep.append(row)
            next_rows += [position * k + beam for beam, _, _ in beams]
            next_tokens += [token for _, token, _ in beams]
            next_scores.append([score for _, _, score in beams])
            next_histories.append([histories[position][beam] + [token] for beam, token, _ in beams])
        if not keep:
            alive = np.arange(0)
            break
        alive, histories = np.asarray(keep), next_histories
        scores, tokens = np.asarray(next_scores), np.asarray(next_tokens, dtype="int32")
        state = _take(state, np.asarray(next_rows))
    for position, row in enumerate(alive):  # cut by max_length: live beams count as finished
        for beam in range(k):
            if scores[position, beam] > -np.inf:
                history = histories[position][beam]
                finished[row].append({"tokens": list(history), "score": float(scores[position, beam]), "ended": False,
                                      "rank": normalised(scores[position, beam], len(history), length_penalty)})
    results = []
    for hypotheses in finished:
        top = max(hypotheses, key=lambda h: h["rank"])  # max keeps the first of equal ranks
        results.append({"tokens": top["tokens"], "score": top["score"], "ended": top["ended"]})
    return results


def search(step: StepFunction, state: list, *, beam_width: int = 1, **kwargs) -> list[dict]:
    """Greedy search for width 1, beam search otherwise."""
    check_search_arguments(beam_width, kwargs.get("max_length", 1))
    if beam_width == 1:
        kwargs.pop("length_penalty", None)
        return greedy_search(step, state, **kwargs)
    return beam_search(step, state, beam_width=beam_width, **kwargs)


class StepDecoder:
    """What every step-model decoder shares: `encode(condition)` gives the search state, `step` advances it.

    Subclasses define `encode` and `_run_step(tokens, state) -> (probabilities, state, extra)`.
    """

    def encode(self, condition) -> list:
        raise NotImplementedError

    def _run_step(self, tokens: np.ndarray, state: list):
        raise NotImplementedError

    def step(self, tokens: np.ndarray, state: list) -> tuple[np.ndarray, list]:
        """Log-probabilities of the next token for every row, and the advanced state."""
        probabilities, state, _ = self._run_step(tokens, state)
        return np.log(np.maximum(probabilities, 1e-30)), state

    def teacher_forced_probabilities(self, condition, target_in: np.ndarray) -> np.ndarray:
        """Step-by-step probabilities (batch, time, vocab) when the decoder is fed `target_in`."""
        state = self.encode(condition)
        steps = []
        for t in range(target_in.shape[1]):
            probabilities, state, _ = self._run_step(target_in[:, t], state)
            steps.append(probabilities)
        return np.stack(steps, axis=1)


class Seq2SeqDecoder(StepDecoder):
    """Runs a seq2seq model's encoder and one-step decoder (`rnnzoo.builders.seq2seq.seq2seq_inference_models`).

    `encode(source_ids)` returns the search state of each source row:
    `[encoder outputs, attention keys, source mask, *decoder states]` (the
    first three only with attention); `step` advances it by one token.
    `attention_weights` replays a decoded output to return its attention.

    Args:
        encoder: source ids -> `[values, keys, *states]` with attention, `[*states]` without.
        step_model: `[token, values, keys, source mask, *states]` ->
            `[probabilities, *states, attention scores]` with attention,
            `[token, *states]` -> `[probabilities, *states]` without.
        attention: whether the model attends over the source.
    """

    def __init__(self, encoder, step_model, *, attention: bool):
        self.encoder = encoder
        self.step_model = step_model
        self.attention = attention

    def encode(self, source_ids: np.ndarray) -> list:
        """The search state for a batch of right-padded source ids (batch, time)."""
        source_ids = np.asarray(source_ids, dtype="int32")
        outputs = self.encoder(source_ids, training=False)
        outputs = [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]
        if self.attention:
            return [outputs[0], outputs[1], source_ids != 0, *outputs[2:]]
        return outputs

    def _run_step(self, tokens: np.ndarray, state: list):
        outputs = self.step_model([np.asarray(tokens, dtype="int32")[:, None], *state], training=False)
        outputs = [np.asarray(o) for o in outputs]
        context = state[:3] if self.attention else []
        recurrent = outputs[1:-1] if self.attention else outputs[1:]
        scores = outputs[-1][:, 0, :] if self.attention else None
        return outputs[0][:, 0, :], context + recurrent, scores

    def attention_weights(self, source_ids: np.ndarray, tokens: list[int], start_id: int) -> np.ndarray:
        """Attention over the source (output steps, source steps) of one decoded output, end step included."""
        if not self.attention:
            raise RnnzooError("This model has no attention (model.attention='none'); there are no weights to show.")
        source_ids = np.asarray(source_ids, dtype="int32").reshape(1, -1)
        state = self.encode(source_ids)
        rows = []
        for token in [start_id, *tokens]:
            _, state, scores = self._run_step(np.asarray([token]), state)
            rows.append(scores[0])
        return np.stack(rows)


class CaptionDecoder(StepDecoder):
    """Runs a one-to-many model's condition encoder and one-step decoder (`rnnzoo.builders.one_to_many`).

    `encode(conditions)` returns the search state `[v, *decoder states]`: the
    condition vector `v` and the decoder's initial states, those the encoder
    returns (`init_state` conditioning) or zeros when it returns `v` alone.
    Each step feeds `v` to the step model again (which uses it with
    `every_step` conditioning).

    Args:
        encoder: conditions -> `[v, *initial states]` or `[v]`.
        step_model: `[token, v, *states] -> [probabilities, *states]`.
    """

    def __init__(self, encoder, step_model):
        self.encoder = encoder
        self.step_model = step_model
        # What zero states look like, from the step model's state inputs (after the token and v).
        self.state_widths = [int(tensor.shape[-1]) for tensor in step_model.inputs[2:]]

    def encode(self, conditions) -> list:
        """The search state for a batch of conditions (images or feature vectors)."""
        outputs = self.encoder(np.asarray(conditions, dtype="float32"), training=False)
        outputs = [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]
        if len(outputs) == 1:  # no initial states from the condition: the decoder starts at zeros
            outputs += [np.zeros((len(outputs[0]), width), dtype="float32") for width in self.state_widths]
        return outputs

    def _run_step(self, tokens: np.ndarray, state: list):
        outputs = self.step_model([np.asarray(tokens, dtype="int32")[:, None], *state], training=False)
        outputs = [np.asarray(o) for o in outputs]
        return outputs[0][:, 0, :], [state[0], *outputs[1:]], None
