"""The adding problem (Hochreiter & Schmidhuber, 1997), generated from a seed.

Each example is a sequence of `length` steps with two features: a value drawn
uniformly from [0, 1) and a marker that is 1 at exactly two steps (one in the
first half, one in the second half, as in Le et al., 2015) and 0 elsewhere.
The target is the sum of the two marked values. Answering 1.0 every time
scores an MSE of Var(U1 + U2) = 2/12 = 0.167: a model beats that only if it
carries the first marked value across at least half the sequence.
"""

from __future__ import annotations

import numpy as np

from rnnzoo.datasets.base import SPLITS, check_split, split_ranges
from rnnzoo.errors import DataError

BASELINE_MSE = 1.0 / 6.0  # always answering 1.0, the mean of the target


def adding_examples(count: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` examples: inputs (count, length, 2) float32 and targets (count, 1) float32."""
    if length < 2:
        raise DataError(f"The adding problem needs sequences of at least 2 steps (two markers). Received: length={length}")
    if count < 1:
        raise DataError(f"The adding problem needs at least one example. Received: count={count}")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(count, length)).astype("float32")
    half = length // 2
    first = rng.integers(0, half, size=count)
    second = rng.integers(half, length, size=count)
    markers = np.zeros((count, length), dtype="float32")
    rows = np.arange(count)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    targets = (values[rows, first] + values[rows, second])[:, None].astype("float32")
    return np.stack([values, markers], axis=-1), targets


def load_adding(split: str, *, num_examples: int = 12_000, seq_length: int = 100, seed: int = 1337,
                validation_fraction: float = 0.1, test_fraction: float = 0.1):
    """One split of `num_examples` adding examples: inputs, targets and origin.

    The three splits come from separate seeded streams (seed, seed+1, seed+2):
    with continuous values two splits share an example with probability 0.
    """
    check_split(split)
    start, stop = split_ranges(num_examples, validation_fraction, test_fraction)[split]  # only the sizes are used
    if stop == start:
        raise DataError(f"The {split} split of {num_examples} adding examples is empty. "
                        f"Received: validation_fraction={validation_fraction}, test_fraction={test_fraction}")
    inputs, targets = adding_examples(stop - start, seq_length, seed + SPLITS.index(split))
    return inputs, targets, f"generated (seed {seed}, length {seq_length})"
