"""Synthetic seq2seq data generated from a seed: `addition` ("535+61" -> "596") and `dates` (-> ISO 8601).

A generator draws `num_examples` distinct examples (a source string is never
drawn twice), shuffles them with the seed and cuts them into test,
validation and train, so the three splits never share an example and the
same seed always gives the same splits.
"""

from __future__ import annotations

import datetime
import functools

import numpy as np

from rnnzoo.datasets.base import check_split, split_ranges
from rnnzoo.errors import DataError

FIRST_DAY, LAST_DAY = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)  # two-digit years stay unambiguous
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _date_formats(day: datetime.date) -> list[str]:
    """Human ways to write a date (US month/day order wherever the order is numeric and unmarked)."""
    d, m, y = day.day, day.month, day.year
    month, weekday = MONTHS[m - 1], WEEKDAYS[day.weekday()]
    return [
        f"{weekday}, {d} {month} {y}", f"{m}/{d}/{y % 100:02d}", f"{month} {d}, {y}", f"{d} {month[:3]} {y}",
        f"{d:02d}.{m:02d}.{y}", f"{weekday[:3]} {month[:3]} {d} {y}", f"{y}/{m:02d}/{d:02d}",
        f"{d:02d} {month} {y}", f"{month[:3]} {d:02d}, {y % 100:02d}", f"{weekday} {month} {d} {y}",
    ]


def _addition_example(rng: np.random.Generator, digits: int) -> tuple[str, str]:
    a, b = (int(rng.integers(0, 10 ** int(rng.integers(1, digits + 1)))) for _ in range(2))
    return f"{a}+{b}", str(a + b)


def _date_example(rng: np.random.Generator) -> tuple[str, str]:
    day = FIRST_DAY + datetime.timedelta(days=int(rng.integers(0, (LAST_DAY - FIRST_DAY).days + 1)))
    formats = _date_formats(day)
    return formats[int(rng.integers(0, len(formats)))], day.isoformat()


def possible_examples(task: str, digits: int) -> int:
    if task == "addition":
        return (10 ** digits) ** 2
    return ((LAST_DAY - FIRST_DAY).days + 1) * len(_date_formats(FIRST_DAY))


@functools.lru_cache(maxsize=4)
def generate(task: str, num_examples: int, seed: int, digits: int = 3) -> tuple[tuple[str, str], ...]:
    """`num_examples` distinct (source, target) pairs in a seeded order."""
    if num_examples > possible_examples(task, digits) // 2:
        raise DataError(f"`data.num_examples` must be at most half of the {possible_examples(task, digits):,} "
                        f"distinct {task} examples (so drawing stays fast). Received: num_examples={num_examples}")
    rng = np.random.default_rng(seed)
    examples: dict[str, str] = {}
    while len(examples) < num_examples:
        source, target = _addition_example(rng, digits) if task == "addition" else _date_example(rng)
        examples.setdefault(source, target)
    # Shuffled before the splits are cut: in drawing order, kinds with few distinct
    # examples (the 100 sums of two one-digit numbers) run out early, so the first
    # examples (the test split) would hold most of them and train almost none.
    pairs = list(examples.items())
    return tuple(pairs[i] for i in rng.permutation(len(pairs)))


def _split(task: str, split: str, num_examples: int, seed: int, digits: int, validation_fraction: float,
           test_fraction: float) -> tuple[list[str], list[str], str]:
    check_split(split)
    examples = generate(task, num_examples, seed, digits)
    start, stop = split_ranges(len(examples), validation_fraction, test_fraction)[split]
    chosen = examples[start:stop]  # the generator's order is already seeded and shuffled
    return [s for s, _ in chosen], [t for _, t in chosen], f"generated (seed {seed})"


def load_addition(split: str, *, num_examples: int = 50_000, seed: int = 1337, digits: int = 3,
                  validation_fraction: float = 0.1, test_fraction: float = 0.1) -> tuple[list[str], list[str], str]:
    """Sources ("535+61"), targets ("596") and origin of one split of the addition problems."""
    return _split("addition", split, num_examples, seed, digits, validation_fraction, test_fraction)


def load_dates(split: str, *, num_examples: int = 50_000, seed: int = 1337, validation_fraction: float = 0.1,
               test_fraction: float = 0.1) -> tuple[list[str], list[str], str]:
    """Sources (human dates), targets (ISO 8601) and origin of one split of the dates problems."""
    return _split("dates", split, num_examples, seed, 0, validation_fraction, test_fraction)
