"""Synthetic 2-D target tracking, generated from a seed: noisy detections, some missed, and the true positions.

Each target starts near the origin with a random velocity and moves with
piecewise-constant random accelerations (a maneuvering target): at every step,
with probability `maneuver_probability`, a new acceleration is drawn from
N(0, acceleration^2) per axis and held until the next maneuver. One step is
one time unit. A detection is the true position plus N(0, observation_noise^2)
noise per axis; with probability `miss_probability` a step has no detection
(NaN in the observations).

A constant-velocity Kalman filter models accelerations as white noise, so
it lags behind every maneuver: a learned tracker can do better by inferring
the held acceleration from the recent detections.
"""

from __future__ import annotations

import functools

import numpy as np

from rnnzoo.datasets.base import check_split, split_ranges

START_POSITION_STD = 5.0
START_VELOCITY_STD = 0.5


@functools.lru_cache(maxsize=4)
def generate(num_examples: int, length: int, seed: int, *, observation_noise: float = 2.0, acceleration: float = 0.1,
             maneuver_probability: float = 0.05, miss_probability: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """(observations, truth), each (num_examples, length, 2) float32; a missed detection is NaN in observations."""
    rng = np.random.default_rng(seed)
    shape = (num_examples, length, 2)
    maneuvers = rng.random((num_examples, length, 1)) < maneuver_probability
    drawn = rng.normal(0.0, acceleration, shape)
    # Hold each drawn acceleration until the next maneuver (none before the first).
    index = np.maximum.accumulate(np.where(maneuvers, np.arange(length)[None, :, None], -1), axis=1)
    accelerations = np.where(index >= 0, np.take_along_axis(drawn, np.maximum(index, 0).repeat(2, -1), axis=1), 0.0)
    velocity = rng.normal(0.0, START_VELOCITY_STD, (num_examples, 1, 2)) + np.cumsum(accelerations, axis=1)
    start = rng.normal(0.0, START_POSITION_STD, (num_examples, 1, 2))
    truth = start + np.concatenate([np.zeros((num_examples, 1, 2)), np.cumsum(velocity[:, :-1], axis=1)], axis=1)
    observations = truth + rng.normal(0.0, observation_noise, shape)
    missed = rng.random((num_examples, length, 1)) < miss_probability
    observations = np.where(missed, np.nan, observations)
    return observations.astype(np.float32), truth.astype(np.float32)


def load_tracking(split: str, *, num_examples: int = 20_000, seq_length: int = 50, seed: int = 1337,
                  validation_fraction: float = 0.1, test_fraction: float = 0.1, observation_noise: float = 2.0,
                  acceleration: float = 0.1, maneuver_probability: float = 0.05,
                  miss_probability: float = 0.2) -> tuple[np.ndarray, np.ndarray, str]:
    """Observations, true positions and origin of one split (test first, then validation, then train)."""
    check_split(split)
    observations, truth = generate(num_examples, seq_length, seed, observation_noise=observation_noise,
                                   acceleration=acceleration, maneuver_probability=maneuver_probability,
                                   miss_probability=miss_probability)
    start, stop = split_ranges(num_examples, validation_fraction, test_fraction)[split]
    return observations[start:stop], truth[start:stop], f"generated (seed {seed})"
