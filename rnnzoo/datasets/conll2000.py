"""CoNLL-2000 chunking data (Tjong Kim Sang & Buchholz, 2000): `word POS chunk` lines, sentences apart by a blank line.

The publisher ships `train.txt` (WSJ sections 15-18, 8,936 sentences) and
`test.txt` (section 20, 2,012 sentences), often gzip-compressed
(`train.txt.gz`). Sources, in order: an explicit `data_dir` (that folder or
its parent holding `conll2000/`), then `$RNNZOO_DATA_DIR/conll2000`; there is
no download route. Validation is carved from train by a seeded shuffle.
Any file in the same format can be read with `read_tagged`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from rnnzoo.datasets import sources
from rnnzoo.datasets.base import carve, check_split, not_found, note_unset_data_dir
from rnnzoo.datasets.parallel_text import read_lines
from rnnzoo.errors import DataError

NAMES = ("conll2000",)
VALIDATION_SIDE = "head"  # validation is the start of the seeded permutation (the named models' numbers depend on it)
FILES = {"train": "train.txt", "validation": "train.txt", "test": "test.txt"}


class Sentence(NamedTuple):
    words: tuple[str, ...]
    pos: tuple[str, ...]
    chunks: tuple[str, ...]


def _check_chunk(tag: str, path: Path, number: int, line: str) -> None:
    if tag != "O" and not (tag[:2] in ("B-", "I-") and len(tag) > 2):
        raise DataError(f"{path}, line {number}: the chunk tag must be O, B-TYPE or I-TYPE. Received: {line!r}")


def read_tagged(path: Path) -> list[Sentence]:
    """Sentences of a `word POS chunk` file (gzip or plain); a malformed line is a DataError naming file and line."""
    path = Path(path)
    sentences, rows = [], []
    for number, line in enumerate(read_lines(path) + [""], start=1):
        if not line:
            if rows:
                sentences.append(Sentence(*(tuple(column) for column in zip(*rows))))
                rows = []
            continue
        fields = line.split()
        if len(fields) != 3:
            raise DataError(f"{path}, line {number}: expected 3 fields `word POS chunk` separated by spaces, "
                            f"found {len(fields)}. Received: {line!r}")
        _check_chunk(fields[2], path, number, line)
        rows.append(fields)
    if not sentences:
        raise DataError(f"{path}: no sentences (the file is empty); expected `word POS chunk` lines")
    return sentences


def _split_file(root: Path, split: str) -> Path | None:
    name = FILES[split]
    for candidate in (root / f"{name}.gz", root / name):
        if candidate.is_file():
            return candidate
    return None


def find_root(path: Path) -> Path | None:
    """The folder holding train.txt(.gz), given it or its parent."""
    for root in (path, path / "conll2000"):
        if _split_file(root, "train"):
            return root
    return None


def load_sentences(split: str, *, data_dir=None, seed: int = 1337,
                   validation_fraction: float = 0.1) -> tuple[list[Sentence], str]:
    """Sentences of `train`, `validation` (a seeded share of train) or `test`, and where they came from."""
    check_split(split)
    tried = []
    for _origin, path in sources.candidates(data_dir, NAMES):
        root = find_root(path) if path.is_dir() else None
        if root is None:
            tried.append(f"{path} ({'no train.txt or train.txt.gz' if path.is_dir() else 'missing'})")
            continue
        file = _split_file(root, split)
        if file is None:
            raise DataError(f"{root}: missing {FILES[split]} (or {FILES[split]}.gz)")
        sentences = read_tagged(file)
        if split == "test":
            return sentences, str(root)
        chosen = carve(len(sentences), split, seed=seed, validation_fraction=validation_fraction,
                       validation_side=VALIDATION_SIDE)
        return [sentences[i] for i in chosen], str(root)
    note_unset_data_dir(tried, data_dir)
    raise not_found("CoNLL-2000", tried, "Pass --data-dir with the folder of train.txt and test.txt (or .gz), "
                    "or set $RNNZOO_DATA_DIR.")


def load_conll2000(split: str, *, data_dir=None, seed: int = 1337,
                   validation_fraction: float = 0.1) -> tuple[list[str], list[tuple[str, str]], str]:
    """For `datasets.load`: sentences as space-joined words, targets as (space-joined POS, space-joined chunks).

    `sentences` turns them back into `Sentence`s (CoNLL words never hold a space).
    """
    sentences, origin = load_sentences(split, data_dir=data_dir, seed=seed, validation_fraction=validation_fraction)
    return ([" ".join(s.words) for s in sentences], [(" ".join(s.pos), " ".join(s.chunks)) for s in sentences],
            origin)


def sentences(words: list[str], targets: list[tuple[str, str]]) -> list[Sentence]:
    """`Sentence`s from `load_conll2000`'s inputs and targets."""
    return [Sentence(tuple(w.split(" ")), tuple(pos.split(" ")), tuple(chunks.split(" ")))
            for w, (pos, chunks) in zip(words, targets)]
