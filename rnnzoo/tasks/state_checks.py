"""Checks of a task state read back from a run folder (preprocessing.json), which is untrusted data.

Run folders are copied and downloaded like model files, so `from_state` checks
every field before it is used: types, ranges, list lengths, and never a path
where a list is expected (Keras' TextVectorization would read a vocabulary
*file* named by a string). Each check raises ValueError naming the field;
`RunFolder.read_task` turns it into one line naming the file.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from rnnzoo.config.schema import DataSpec, shown

# The most tokens a saved decoding length may ask for (decoding runs this many steps and more).
MAX_DECODE_LENGTH = 100_000
# data.max_length and data.truncate as the config schema declares them: a saved TextToIds obeys the same rules.
MAX_LENGTH = DataSpec.__dataclass_fields__["max_length"].metadata["high"]
TRUNCATE_CHOICES = DataSpec.__dataclass_fields__["truncate"].metadata["choices"]


def field(state: Mapping[str, Any], key: str) -> Any:
    if not isinstance(state, Mapping):
        raise ValueError(f"the state must be a JSON object. Received: {shown(state)}")
    if key not in state:
        raise ValueError(f"`{key}` is missing")
    return state[key]


def tokens(state: Mapping[str, Any], key: str, *, most: int, first: Sequence[str] = (),
           single_characters: bool = False) -> list[str]:
    """A list of distinct strings (at most `most`) that starts with `first`: a vocabulary, never a file name."""
    value = field(state, key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"`{key}` must be a list of strings. Received: {key}={shown(value)}")
    if len(value) > most:
        raise ValueError(f"`{key}` must hold at most {most} entries (the model's size). Received: {len(value)} entries")
    if value[: len(first)] != list(first):
        raise ValueError(f"`{key}` must start with {list(first)!r}. Received: {key}={shown(value)}")
    if len(set(value)) != len(value):
        duplicate = next(item for index, item in enumerate(value) if item in value[:index])
        raise ValueError(f"`{key}` must not repeat an entry. Received: {duplicate!r} twice")
    if single_characters and any(len(item) != 1 for item in value):
        bad = next(item for item in value if len(item) != 1)
        raise ValueError(f"`{key}` must hold single characters. Received: {shown(bad)}")
    if len(value) <= len(first):
        raise ValueError(f"`{key}` must not be empty. Received: {key}={shown(value)}")
    return value


def integer(state: Mapping[str, Any], key: str, *, low: int, high: int) -> int:
    value = field(state, key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"`{key}` must be an integer from {low} to {high}. Received: {key}={shown(value)}")
    return value


def positive_number(value: Any, key: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"`{key}` must be a finite number > 0. Received: {key}={shown(value)}")
    return float(value)


def choice(state: Mapping[str, Any], key: str, choices: Sequence[str]) -> str:
    value = field(state, key)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{key}` must be one of {listed}. Received: {key}={shown(value)}")
    return value


def numbers(state: Mapping[str, Any], key: str, *, length: int) -> list[float]:
    """A list of `length` finite positive numbers (frequencies)."""
    value = field(state, key)
    if not isinstance(value, list) or len(value) != length:
        raise ValueError(f"`{key}` must be a list of {length} numbers. Received: {key}={shown(value)}")
    for item in value:
        positive_number(item, key)
    return value
