"""Decoding: step models equal teacher forcing, beam width 1 equals greedy, batching changes nothing."""

import itertools

import numpy as np
import pytest

import rnnzoo
from helpers import random_batch
from rnnzoo import RnnzooError
from rnnzoo.builders.common import head_layer
from rnnzoo.builders.seq2seq import seq2seq_inference_models
from rnnzoo.inference.decoding import Seq2SeqDecoder, beam_search, greedy_search, search

ARCHITECTURES = [
    dict(cell="gru", bidirectional=True, attention="additive", num_layers=1),
    dict(cell="lstm", bidirectional=False, attention="none", num_layers=2),
    dict(cell="lstm", bidirectional=True, attention="dot", num_layers=2),
    dict(cell="rnn", bidirectional=False, attention="general", num_layers=1),
]
TINY = dict(units=6, embedding_dim=5, vocab_size=40, target_vocab_size=12)


def tiny_seq2seq(**architecture):
    overrides = {**TINY, **architecture}
    return rnnzoo.load_config("translate_gru", overrides), rnnzoo.build("translate_gru", compile=False, **overrides)


def seq2seq_decoder(model, cfg) -> Seq2SeqDecoder:
    """The decoder over the builder's encoder and step models, as the seq2seq task makes it."""
    models = seq2seq_inference_models(model, cfg)
    return Seq2SeqDecoder(models.encoder, models.step, attention=cfg.model.attention != "none")


@pytest.mark.parametrize("architecture", ARCHITECTURES, ids=lambda a: "-".join(str(v) for v in a.values()))
def test_step_by_step_probabilities_equal_teacher_forcing(architecture):
    cfg, model = tiny_seq2seq(**architecture)
    x, _ = random_batch(cfg, batch=3, length=5)
    x["target_in"] = np.where(x["target_in"] > 0, x["target_in"], 4)  # a full prefix in every row
    teacher_forced = np.asarray(model(x, training=False))
    stepped = seq2seq_decoder(model, cfg).teacher_forced_probabilities(x["source"], x["target_in"])
    np.testing.assert_allclose(stepped, teacher_forced, atol=1e-5)


def test_step_model_shares_the_trained_weights_by_name():
    cfg, model = tiny_seq2seq(**ARCHITECTURES[0])
    decoder = seq2seq_decoder(model, cfg)
    head = head_layer(model)
    assert any(w is head.kernel for w in decoder.step_model.weights)
    head.kernel.assign(np.zeros(head.kernel.shape))  # training the model changes what the step model computes
    probabilities, _ = decoder.step(np.array([2]), decoder.encode(np.array([[5, 6, 7]])))
    np.testing.assert_allclose(np.exp(probabilities), np.exp(probabilities).max(), rtol=1e-5)


def markov_step(table):
    """A step function over a fixed table of next-token log-probabilities (state: the last token)."""
    def step(tokens, state):
        return table[tokens], state
    return step


def brute_force_best(table, start, end, max_length):
    best, best_score = None, -np.inf
    vocab = table.shape[0]
    for length in range(1, max_length + 1):
        for body in itertools.product(range(4, vocab), repeat=length - 1):
            score, previous = 0.0, start
            for token in (*body, end):
                score += table[previous, token]
                previous = token
            if score > best_score:
                best, best_score = list(body), score
    return best, best_score


def test_wide_beam_finds_the_most_probable_sequence():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(7, 7)) * 2
    table = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    step = markov_step(table)
    expected, score = brute_force_best(table, start=2, end=3, max_length=4)
    [found] = beam_search(step, [np.zeros(1)], beam_width=60, start_id=2, end_id=3, max_length=4,
                          length_penalty=0.0, banned=(0, 1, 2))
    assert found["tokens"] == expected and found["ended"]
    assert found["score"] == pytest.approx(score)


@pytest.mark.parametrize("architecture", ARCHITECTURES[:2], ids=["attention", "no-attention"])
def test_beam_width_one_equals_greedy_and_batches_change_nothing(architecture):
    cfg, model = tiny_seq2seq(**architecture)
    decoder = seq2seq_decoder(model, cfg)
    x, _ = random_batch(cfg, batch=4, length=5, seed=1)
    options = dict(start_id=2, end_id=3, max_length=6, banned=(0, 2))
    greedy = greedy_search(decoder.step, decoder.encode(x["source"]), **options)
    beam_one = beam_search(decoder.step, decoder.encode(x["source"]), beam_width=1, **options)
    assert [g["tokens"] for g in greedy] == [b["tokens"] for b in beam_one]
    np.testing.assert_allclose([g["score"] for g in greedy], [b["score"] for b in beam_one], rtol=1e-6)
    for width in (1, 3):
        batched = search(decoder.step, decoder.encode(x["source"]), beam_width=width, **options)
        for row, result in zip(x["source"], batched):
            alone = row[row > 0][None, :]  # the same source without the batch's padding
            [single] = search(decoder.step, decoder.encode(alone), beam_width=width, **options)
            assert single["tokens"] == result["tokens"]
            assert single["score"] == pytest.approx(result["score"], abs=1e-5)


@pytest.mark.parametrize("beam_width, max_length, name", [(0, 5, "beam_width"), (-2, 5, "beam_width"),
                                                          (2, 0, "max_length"), (1.5, 5, "beam_width")])
def test_search_rejects_bad_widths_and_lengths(beam_width, max_length, name):
    step = markov_step(np.zeros((5, 5)))
    with pytest.raises(RnnzooError, match=f"`{name}` must be an integer >= 1"):
        search(step, [np.zeros(1)], beam_width=beam_width, start_id=2, end_id=3, max_length=max_length)


def test_search_stops_at_max_length_when_the_end_never_comes():
    table = np.log(np.full((5, 5), 0.2))
    table[:, 3] = -np.inf  # the end token is impossible: only max_length stops the search
    for width in (1, 3):
        [found] = search(markov_step(table), [np.zeros(1)], beam_width=width, start_id=2, end_id=3, max_length=7)
        assert len(found["tokens"]) == 7 and not found["ended"]
