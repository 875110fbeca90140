"""Plain-text corpora for character language models: Tiny Shakespeare, or any UTF-8 file.

Sources, in order: an explicit `data_dir` (a text file, or a folder holding
one of `FILE_NAMES`), `$RNNZOO_DATA_DIR` (a folder holding one of
`FILE_NAMES`), then tensorflow-datasets' `tiny_shakespeare` (prepared data
first, a download only when allowed). `data_dir="sample"` reads the excerpt
of Tiny Shakespeare shipped in the package. Any UTF-8 text file works the
same way as Tiny Shakespeare.

The corpus is split by position, never shuffled: the first
`1 - validation_fraction` of the characters are the training text, the rest
the validation text (90/10 by default, the char-rnn convention), so no
character of the validation text is seen in training.
"""

from __future__ import annotations

import os
from pathlib import Path

from rnnzoo.datasets import sources
from rnnzoo.datasets.base import check_split, not_found, split_ranges
from rnnzoo.errors import DataError

FILE_NAMES = ("tinyshakespeare.txt", "tiny_shakespeare.txt", "input.txt")
SAMPLE_FILE = "tiny_shakespeare_sample.txt"
SPLITS = ("train", "validation")
VALIDATION_SIDE = "tail"  # never shuffled: the validation text is the end of the corpus


def read_text_file(path: Path) -> str:
    """The text of a UTF-8 file; a missing, empty or non-UTF-8 file is a `DataError`."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"Text file not found: {path}") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder without a text corpus ({', '.join(FILE_NAMES)})") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start}); convert it to UTF-8 first") from None
    text = text.removeprefix("\ufeff")  # a byte-order mark is not part of the text
    if not text:
        raise DataError(f"{path}: the text file is empty")
    return text


def read_tfds(download: bool) -> str:
    """Tiny Shakespeare from tensorflow-datasets, its three splits joined back in order."""
    import tensorflow_datasets as tfds

    parts = []
    for split in ("train", "validation", "test"):
        ds = tfds.load("tiny_shakespeare", split=split, download=download)
        parts += [example["text"].decode("utf-8") for example in tfds.as_numpy(ds)]
    return "".join(parts)


def _file_in(folder: Path) -> Path | None:
    for name in FILE_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def locate_and_read(data_dir=None, download: bool | None = None) -> tuple[str, str]:
    """The whole corpus and a description of where it came from."""
    if data_dir is not None and str(data_dir) == sources.SAMPLE:
        return read_text_file(sources.sample_path(SAMPLE_FILE)), "sample"
    tried = []
    if data_dir is not None:
        path = Path(data_dir).expanduser()
        if path.is_dir():
            found = _file_in(path)
            if found is None:
                raise DataError(f"{path}: no text corpus inside (looked for {', '.join(FILE_NAMES)}); "
                                "pass the text file itself with --data-dir")
            return read_text_file(found), str(found)
        return read_text_file(path), str(path)  # a missing explicit file is an error, never a fallback
    env = os.environ.get(sources.DATA_DIR_ENV)
    if env:
        root = Path(env).expanduser()
        found = _file_in(root) if root.is_dir() else None
        if found is not None:
            return read_text_file(found), str(found)
        tried.append(f"${sources.DATA_DIR_ENV}={root} (no {' or '.join(FILE_NAMES)})")
    else:
        tried.append(f"${sources.DATA_DIR_ENV} (unset)")
    found = sources.from_tfds(read_tfds, "tiny_shakespeare", download, tried)
    if found is not None:
        return found
    raise not_found("Tiny Shakespeare", tried, "Pass --data-dir with a UTF-8 text file (for example "
                    f"tinyshakespeare.txt), set ${sources.DATA_DIR_ENV} to a folder holding one, or use --data sample.")


def split_text(text: str, split: str, validation_fraction: float = 0.1) -> str:
    """The training part (the first characters) or the validation part (the last ones): the shared carve, unshuffled."""
    check_split(split, SPLITS)
    start, stop = split_ranges(len(text), validation_fraction, validation_side=VALIDATION_SIDE)[split]
    return text[start:stop]


def load_text(split: str, *, data_dir=None, validation_fraction: float = 0.1,
              download: bool | None = None) -> tuple[list[str], None, str]:
    """`([text of the split], None, origin)`, in the shape of every loader's (inputs, targets, origin)."""
    check_split(split, SPLITS)
    text, origin = locate_and_read(data_dir, download)
    return [split_text(text, split, validation_fraction)], None, origin
