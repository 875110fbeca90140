"""What every loader shares: the split check, the "tried these paths" error and the seeded carve into splits.

The carve exists once so every data set splits the same way: a seeded
permutation (or the generator's own seeded order) cut into test, validation
and train. Where the validation share sits is a fact of each data set
(`validation_side`): "head" puts it before train (test, validation, train),
"tail" after train (train, validation). Both are kept because each named
model's numbers were made with its data set's side: changing one would move
examples between train and validation.
"""

from __future__ import annotations

import os
from typing import Literal

import numpy as np

from rnnzoo.datasets import sources
from rnnzoo.errors import DataError

SPLITS = ("train", "validation", "test")
Side = Literal["head", "tail"]


def check_split(split: str, splits: tuple[str, ...] = SPLITS) -> None:
    """Refuses a split the data set does not have, naming the ones it has."""
    if split not in splits:
        raise DataError(f"`split` must be one of {', '.join(splits)}. Received: split={split!r}")


def note_unset_data_dir(tried: list[str], data_dir) -> None:
    """Records, in the order tried, that neither `data_dir` nor `$RNNZOO_DATA_DIR` named a place to look."""
    if data_dir is None and not os.environ.get(sources.DATA_DIR_ENV):
        tried.append(f"${sources.DATA_DIR_ENV} (unset)")


def not_found(title: str, tried: list[str], hint: str) -> DataError:
    """The one-line error of a loader that found its data nowhere: every place tried, then what to do."""
    return DataError(f"{title} not found. Tried: " + "; ".join(tried) + ". " + hint)


def split_ranges(total: int, validation_fraction: float, test_fraction: float = 0.0, *,
                 validation_side: Side = "head") -> dict[str, tuple[int, int]]:
    """[start, stop) of each split in an ordered list of `total` examples.

    "head": test first, then validation, then train. "tail": train first,
    then validation (data sets with a published test split carve no test).
    Shares are rounded to whole examples; at least one training example must remain.
    """
    test = int(round(total * test_fraction))
    validation = int(round(total * validation_fraction))
    if total - test - validation < 1:
        raise DataError(f"No training examples left after the validation and test shares of {total} examples. "
                        f"Received: validation_fraction={validation_fraction}, test_fraction={test_fraction}")
    if validation_side == "tail":
        if test:
            raise ValueError("a tail validation carve has no test share")
        return {"train": (0, total - validation), "validation": (total - validation, total), "test": (total, total)}
    return {"test": (0, test), "validation": (test, test + validation), "train": (test + validation, total)}


def carve(total: int, split: str, *, seed: int, validation_fraction: float, test_fraction: float = 0.0,
          validation_side: Side = "head", sort: bool = True) -> np.ndarray:
    """Indices of `split` among `total` examples: a seeded permutation cut by `split_ranges`.

    `sort=True` returns them in file order (the permutation only picks them).
    """
    order = np.random.default_rng(seed).permutation(total)
    start, stop = split_ranges(total, validation_fraction, test_fraction, validation_side=validation_side)[split]
    chosen = order[start:stop]
    return np.sort(chosen) if sort else chosen
