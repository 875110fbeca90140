"""IMDB movie reviews (Maas et al., 2011): 25,000 labelled train and 25,000 test reviews.

Sources, in order: an explicit `data_dir` (the extracted `aclImdb/` folder,
its parent, or the `aclImdb_v1.tar.gz` archive), `$RNNZOO_DATA_DIR`, then
tensorflow-datasets' `imdb_reviews` (prepared data first, a download only
when allowed, never when `data_dir` was given). `data_dir="sample"` reads
the 5,000-review sample shipped in the package, in the publisher's layout. Labels: 0 negative, 1 positive. The
validation split is carved from train (never from test) by a seeded shuffle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnzoo.datasets import sources
from rnnzoo.datasets.base import carve, check_split, not_found, note_unset_data_dir
from rnnzoo.errors import DataError

NAMES = ("aclImdb", "aclImdb_v1.tar.gz", "aclImdb.tar.gz")
LABELS = ("negative", "positive")
HINT = (f"Pass --data-dir with the aclImdb folder or aclImdb_v1.tar.gz, set ${sources.DATA_DIR_ENV}, "
        "or use --data sample.")
VALIDATION_SIDE = "tail"  # validation is the end of the seeded permutation (the named models' numbers depend on it)


def find_root(path: Path) -> Path | None:
    """The folder that holds train/ and test/, given that folder, its parent, or an archive."""
    if sources.is_tar_archive(path):
        path = sources.extracted(path)
    for root in (path, path / "aclImdb"):
        if (root / "train").is_dir() and (root / "test").is_dir():
            return root
    return None


def read_split(root: Path, split: str) -> tuple[list[str], np.ndarray]:
    """Texts and labels of `train` or `test` in the publisher's layout; bytes that are not UTF-8 are replaced."""
    texts, labels = [], []
    for value, label in enumerate(("neg", "pos")):
        folder = root / split / label
        if not folder.is_dir():
            raise DataError(f"{root}: missing folder {split}/{label}/ of the aclImdb layout")
        for file in sorted(folder.glob("*.txt")):
            texts.append(file.read_bytes().decode("utf-8", errors="replace"))
            labels.append(value)
    if not texts:
        raise DataError(f"{root}: no reviews (*.txt) under {split}/pos and {split}/neg")
    return texts, np.asarray(labels, dtype="int32")


def read_tfds(split: str, download: bool) -> tuple[list[str], np.ndarray]:
    import tensorflow_datasets as tfds

    ds = tfds.load("imdb_reviews", split=split, as_supervised=True, download=download)
    texts, labels = [], []
    for text, label in tfds.as_numpy(ds):
        texts.append(text.decode("utf-8", errors="replace"))
        labels.append(int(label))
    return texts, np.asarray(labels, dtype="int32")


def _locate_and_read(source_split: str, data_dir, download: bool | None) -> tuple[list[str], np.ndarray, str]:
    if data_dir is not None and str(data_dir) == sources.SAMPLE:
        root = find_root(sources.sample_path("imdb_sample.tar.gz"))
        return (*read_split(root, source_split), "sample")
    tried = []
    for origin, path in sources.candidates(data_dir, NAMES):
        if path.exists():
            root = find_root(path)
            if root is not None:
                return (*read_split(root, source_split), str(path))
            tried.append(f"{path} (no train/ and test/ inside)")
        else:
            tried.append(f"{path} (missing)")
    note_unset_data_dir(tried, data_dir)
    if data_dir is not None:  # the user named the data: a 3-minute download attempt would only hide the mistake
        tried.append("tensorflow_datasets (not tried: data_dir was given)")
        raise not_found("IMDB", tried, HINT)
    found = sources.from_tfds(lambda download: read_tfds(source_split, download), "imdb_reviews", download, tried)
    if found is not None:
        (texts, labels), origin = found
        return texts, labels, origin
    raise not_found("IMDB", tried, HINT)


def load_imdb(split: str, *, data_dir=None, validation_fraction: float = 0.1, seed: int = 1337,
              download: bool | None = None) -> tuple[list[str], np.ndarray, str]:
    """Texts, labels and a description of the source for `train`, `validation` or `test`.

    Validation is the tail of a seeded permutation of the training reviews (`VALIDATION_SIDE`).
    """
    check_split(split)
    texts, labels, origin = _locate_and_read("test" if split == "test" else "train", data_dir, download)
    if split == "test":
        return texts, labels, origin
    chosen = carve(len(texts), split, seed=seed, validation_fraction=validation_fraction,
                   validation_side=VALIDATION_SIDE)
    return [texts[i] for i in chosen], labels[chosen], origin
