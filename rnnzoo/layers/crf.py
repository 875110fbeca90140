"""A linear-chain CRF output for taggers: the transition scores and the sequence likelihood loss.

With `model.crf = true` a tagger's head gives per-word scores (emissions)
and a `CRF` layer adds learned tag-to-tag transition scores: training
maximises the likelihood of the whole gold tag sequence (`CRFLoss`, the
forward algorithm over the masked, right-padded words), and decoding picks
the best whole sequence (`rnnzoo.inference.viterbi`, numpy, one sentence at a
time), so a chunk tagger learns that `I-NP` follows `B-NP` or `I-NP`, never `O`.
Written with `keras.ops` (any backend).
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="rnnzoo")
class CRF(keras.layers.Layer):
    """Holds the transition scores; passes the emissions (batch, words, tags) and their mask through unchanged."""

    def __init__(self, num_tags: int, **kwargs):
        super().__init__(**kwargs)
        self.num_tags = num_tags
        self.supports_masking = True

    def build(self, input_shape):
        self.transitions = self.add_weight(shape=(self.num_tags, self.num_tags), initializer="zeros",
                                           name="transitions")  # [previous tag, next tag]
        self.start = self.add_weight(shape=(self.num_tags,), initializer="zeros", name="start")
        self.end = self.add_weight(shape=(self.num_tags,), initializer="zeros", name="end")

    def call(self, emissions):
        return emissions

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_tags": self.num_tags}


def sequence_log_likelihood(emissions, tags, mask, crf: CRF):
    """log p(tags | emissions) per sentence, (batch,); `mask` (batch, words) marks the real, right-padded words."""
    emissions = ops.cast(emissions, "float32")
    mask = ops.cast(mask, "bool")
    num_tags = ops.shape(emissions)[-1]
    transitions, start, end = crf.transitions, crf.start, crf.end
    lengths = ops.sum(ops.cast(mask, "int32"), axis=1)

    # Score of the gold path: emissions of its tags, the transitions between them, start and end.
    one_hot = ops.one_hot(tags, num_tags)  # (batch, words, tags)
    real = ops.cast(mask, "float32")
    emitted = ops.sum(ops.sum(emissions * one_hot, axis=-1) * real, axis=1)
    steps = ops.einsum("bti,ij,btj->bt", one_hot[:, :-1], transitions, one_hot[:, 1:])
    moved = ops.sum(steps * real[:, 1:], axis=1)
    last = ops.take_along_axis(tags, ops.expand_dims(ops.maximum(lengths - 1, 0), 1), axis=1)[:, 0]
    gold = emitted + moved + ops.take(start, tags[:, 0]) + ops.take(end, last)

    # log Z: the forward algorithm over time; padded steps keep the previous scores.
    def step(alpha, emission, keep):
        scores = ops.logsumexp(ops.expand_dims(alpha, 2) + transitions, axis=1) + emission
        return ops.where(ops.expand_dims(keep, 1), scores, alpha)

    alpha = start + emissions[:, 0]
    if keras.backend.backend() == "tensorflow":  # the time axis is dynamic in a traced graph; scan wants it static
        _, alpha = ops.while_loop(
            lambda t, alpha: t < ops.shape(emissions)[1],
            lambda t, alpha: (t + 1, step(alpha, ops.take(emissions, t, axis=1), ops.take(mask, t, axis=1))),
            (ops.convert_to_tensor(1), alpha))
    else:  # JAX differentiates scan, not while_loop
        alpha, _ = ops.scan(lambda alpha, x: (step(alpha, *x),) * 2, alpha,
                            (ops.transpose(emissions[:, 1:], (1, 0, 2)), ops.transpose(mask[:, 1:], (1, 0))))
    log_z = ops.logsumexp(alpha + end, axis=1)
    return gold - log_z


@keras.saving.register_keras_serializable(package="rnnzoo")
class CRFLoss(keras.losses.Loss):
    """Negative log-likelihood of the gold tag sequence under the model's `CRF` layer, per real word.

    Padding has tag id 0 (no real word has it in training data). Each
    sentence's loss sits at its first word, so Keras' masked mean makes the
    batch loss the summed sequence NLL over the real words. A loss loaded
    from a file is bound to its model's CRF layer by `bind(model)`.
    """

    def __init__(self, crf: CRF | None = None, name: str = "crf_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.crf = crf

    def bind(self, model) -> None:
        """Points the loss at `model`'s CRF layer, found by its type (a tagger has one)."""
        found = [layer for layer in model.layers if isinstance(layer, CRF)]
        if len(found) != 1:
            raise ValueError(f"CRFLoss needs a model with exactly one CRF layer. "
                             f"Received: {len(found)} CRF layers in {model.name!r}")
        self.crf = found[0]

    def call(self, y_true, y_pred):
        if self.crf is None:
            raise ValueError("CRFLoss is not bound to a CRF layer; call loss.bind(model) first")
        tags = ops.cast(y_true, "int32")
        if len(tags.shape) == 3:
            tags = tags[..., 0]
        mask = tags > 0
        nll = -sequence_log_likelihood(y_pred, tags, mask, self.crf)
        at_first_word = ops.one_hot(ops.zeros_like(tags[:, 0]), ops.shape(tags)[1])
        return ops.expand_dims(nll, 1) * at_first_word

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


def bind_crf_loss(model) -> None:
    """After `load_model`: points a deserialized `CRFLoss` at the model's CRF layer."""
    if isinstance(getattr(model, "loss", None), CRFLoss):
        model.loss.bind(model)
