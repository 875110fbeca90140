"""Sampling with feedback: pick a token, feed it back, carry the recurrent state.

    step = StepModel(inference_models(model, cfg).step)  # rnnzoo.builders makes the Keras step model
    ids = generate(step, prompt_ids, length=200, temperature=0.8, top_k=0, seed=7)

`generate` costs one recurrent step per new token (O(n) for n tokens): the
step model takes the state the previous call ended in and returns the new
one. `generate_by_rerun` is the textbook loop it replaces (the keras.io
"character-level text generation with LSTM" example): every new token re-runs
the model over the whole prefix, or over its last `window` tokens. Both pick
tokens with `pick_next` from the same random stream, so for the same weights
and seed they give the same tokens.

`pick_next` is generic (any next-token distribution of any decoder):
temperature 0 is greedy, `top_k > 0` keeps the k most likely tokens, and a
`numpy.random.Generator` makes every draw reproducible.
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence

import numpy as np

from rnnzoo.errors import RnnzooError

MAX_LENGTH = 100_000      # tokens generated per call; longer requests are an error, not a silent cut
MAX_SAMPLES = 1_024       # independent samples per call
MIN_TEMPERATURE = 1e-3    # the smallest positive temperature; lower ones are as good as greedy (0)


def check_temperature(temperature) -> float:
    """A finite number >= 0 (0 means greedy)."""
    if isinstance(temperature, str):
        try:
            temperature = float(temperature)
        except ValueError:
            raise RnnzooError(f"`temperature` must be a number >= 0 (0 is greedy). Received: temperature={temperature!r}") from None
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) or not math.isfinite(temperature) \
            or temperature < 0:
        raise RnnzooError(f"`temperature` must be a number >= 0 (0 is greedy). Received: temperature={temperature!r}")
    if 0 < temperature < MIN_TEMPERATURE:  # logits / 1e-320 overflow to inf and NaN: refused, not sampled as garbage
        raise RnnzooError(f"`temperature` must be 0 (greedy) or at least {MIN_TEMPERATURE}. "
                          f"Received: temperature={temperature!r}")
    return float(temperature)


def _check_int(value, name: str, low: int, high: int | None, meaning: str) -> int:
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low \
            or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high:,}"
        raise RnnzooError(f"`{name}` must be an integer {bound}{meaning}. Received: {name}={value!r}")
    return int(value)


def check_length(length) -> int:
    """Tokens to generate: 1 to `MAX_LENGTH`."""
    return _check_int(length, "length", 1, MAX_LENGTH, " (the documented cap)")


def check_top_k(top_k) -> int:
    """0 (off) or the number of most likely tokens to sample from."""
    return _check_int(top_k, "top_k", 0, None, " (0 keeps every token)")


def check_num_samples(num_samples) -> int:
    return _check_int(num_samples, "num_samples", 1, MAX_SAMPLES, "")


def check_seed(seed) -> int | None:
    if seed is None:
        return None
    return _check_int(seed, "seed", 0, None, " or None")


def _logits(scores, from_logits: bool) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    return scores if from_logits else np.log(np.maximum(scores, 1e-300))


def pick_next(scores, *, temperature: float = 1.0, top_k: int = 0, rng: np.random.Generator | None = None,
              from_logits: bool = True, banned: Sequence[int] = ()) -> np.ndarray:
    """Picks one token per row of `scores` (batch, vocab); returns int64 ids (batch,).

    Args:
        scores: logits (`from_logits=True`) or probabilities, one row per sample.
        temperature: 0 picks the most likely token (ties: the lowest id);
            otherwise samples from softmax(logits / temperature).
        top_k: when > 0, only the `top_k` most likely tokens of each row can be drawn.
        rng: the random stream; one uniform draw per row and call, so a seeded
            generator reproduces every sample.
        banned: ids never picked (padding, out-of-vocabulary).
    """
    logits = np.array(_logits(scores, from_logits), ndmin=2)  # a copy, safe to edit
    if len(banned):
        logits[:, list(banned)] = -np.inf
    if top_k and top_k < logits.shape[-1]:
        kth = np.partition(logits, -top_k, axis=-1)[:, -top_k][:, None]
        logits = np.where(logits >= kth, logits, -np.inf)
    if temperature == 0:
        return np.argmax(logits, axis=-1)
    rng = rng if rng is not None else np.random.default_rng()
    scaled = logits / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    probabilities = np.exp(scaled)
    cumulative = np.cumsum(probabilities, axis=-1)
    draws = rng.random(len(cumulative))[:, None] * cumulative[:, -1:]
    picks = (cumulative <= draws).sum(axis=-1)
    return np.minimum(picks, logits.shape[-1] - 1)


class StepModel:
    """A language model's Keras step model as `(ids, states) -> (logits, states)` on numpy arrays.

    The step model (`rnnzoo.builders.aligned.aligned_inference_models`) takes
    token ids (batch, t) for any t (a whole prompt at once, or one token) and
    the states to start from, `[ids, *states] -> [logits, *states]`, and
    returns the logits at every step and the states after the last one.
    """

    def __init__(self, model):
        self.model = model
        self.num_states = len(model.inputs) - 1
        self.units = int(model.inputs[1].shape[-1])
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            signature = [tf.TensorSpec((None, None), tf.int32)] + \
                [tf.TensorSpec((None, self.units), tf.float32)] * self.num_states
            self._call = tf.function(lambda ids, *states: model([ids, *states], training=False),
                                     input_signature=signature, autograph=False)
        else:  # pragma: no cover - other backends run eagerly
            self._call = lambda ids, *states: model([ids, *states], training=False)

    def zero_states(self, batch: int) -> list[np.ndarray]:
        return [np.zeros((batch, self.units), dtype=np.float32) for _ in range(self.num_states)]

    def __call__(self, ids: np.ndarray, states: list) -> tuple[np.ndarray, list]:
        """Logits (batch, t, vocab) and the states after step t."""
        outputs = self._call(np.asarray(ids, dtype=np.int32), *states)
        return np.asarray(outputs[0]), list(outputs[1:])


def generate(step: StepModel, prompt_ids: Sequence[int], *, length: int, temperature: float = 1.0, top_k: int = 0,
             seed: int | None = None, num_samples: int = 1, start_logits=None, banned: Sequence[int] = (0, 1),
             from_logits: bool = True) -> np.ndarray:
    """Token ids (num_samples, length) generated after `prompt_ids`, one recurrent step per token.

    The prompt (any length) is read in one call to prime the state. With an
    empty prompt the state is the model's start state (zeros) and the first
    token is drawn from `start_logits` (for a character model, the character
    frequencies of its training text).
    """
    length, temperature, top_k = check_length(length), check_temperature(temperature), check_top_k(top_k)
    num_samples, seed = check_num_samples(num_samples), check_seed(seed)
    rng = np.random.default_rng(seed)
    states = step.zero_states(num_samples)
    if len(prompt_ids):
        prompt = np.tile(np.asarray(prompt_ids, dtype=np.int32)[None], (num_samples, 1))
        logits, states = step(prompt, states)
        scores = _logits(logits[:, -1], from_logits)
    else:
        if start_logits is None:
            raise RnnzooError("An empty prompt needs `start_logits`, the distribution of the first token.")
        scores = np.tile(np.asarray(start_logits, dtype=np.float64)[None], (num_samples, 1))
    generated = np.zeros((num_samples, length), dtype=np.int64)
    for position in range(length):
        ids = pick_next(scores, temperature=temperature, top_k=top_k, rng=rng, banned=banned)
        generated[:, position] = ids
        if position + 1 < length:
            logits, states = step(ids[:, None], states)
            scores = _logits(logits[:, -1], from_logits)
    return generated


def generate_by_rerun(model, prompt_ids: Sequence[int], *, length: int, temperature: float = 1.0, top_k: int = 0,
                      seed: int | None = None, num_samples: int = 1, start_logits=None, window: int | None = None,
                      banned: Sequence[int] = (0, 1), from_logits: bool = True) -> np.ndarray:
    """The same as `generate`, the keras.io way: each new token re-runs `model.predict` over the prefix.

    `window` keeps only the last `window` tokens of the prefix (keras.io uses
    40); `None` re-runs the whole prefix, which gives exactly the tokens
    `generate` gives. O(n^2) for n tokens; kept as the reference and for tests.
    """
    length, temperature, top_k = check_length(length), check_temperature(temperature), check_top_k(top_k)
    num_samples, seed = check_num_samples(num_samples), check_seed(seed)
    rng = np.random.default_rng(seed)
    prefix = np.tile(np.asarray(prompt_ids, dtype=np.int32).reshape(1, -1), (num_samples, 1))
    generated = np.zeros((num_samples, length), dtype=np.int64)
    for position in range(length):
        if prefix.shape[1] == 0:
            if start_logits is None:
                raise RnnzooError("An empty prompt needs `start_logits`, the distribution of the first token.")
            scores = np.tile(np.asarray(start_logits, dtype=np.float64)[None], (num_samples, 1))
        else:
            context = prefix if window is None else prefix[:, -window:]
            scores = _logits(model.predict(context, verbose=0)[:, -1], from_logits)
        ids = pick_next(scores, temperature=temperature, top_k=top_k, rng=rng, banned=banned)
        generated[:, position] = ids
        prefix = np.concatenate([prefix, ids[:, None].astype(np.int32)], axis=1)
    return generated
