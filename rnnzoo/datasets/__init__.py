"""Data sets by name: `rnnzoo.datasets.load(name, split, data_dir=...)` returns a `tf.data.Dataset`.

`TABLE` is the one list of data sets: each row names its loader, the task
kind that trains on it (a config's `task`) and its facts. Adding a data set
to an existing task kind is its loader, one row here and its TOML file.

Each loader takes its location from `data_dir` (a folder or the publisher's
archive; `"sample"` for the small real sample shipped in the package), then
`$RNNZOO_DATA_DIR`, then its standard download route; if all fail, one
`DataError` names every path tried (`datasets.base`).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from rnnzoo.datasets.base import SPLITS
from rnnzoo.datasets.sources import SAMPLE
from rnnzoo.errors import DataError

if TYPE_CHECKING:
    from rnnzoo.config import Config

__all__ = ["SAMPLE", "TABLE", "Dataset", "config_arguments", "examples", "info", "load", "load_examples", "names",
           "register"]

LOCATION_ARGUMENTS = ("data_dir", "download")  # where the data comes from, not what it is: never config fields


@dataclass(frozen=True)
class Dataset:
    """One row of the data-set table.

    Attributes:
        name: the name configs use (`data.dataset`).
        kind: the task kind that trains on it (`task` in a config, a key of `rnnzoo.tasks.TASKS`).
        loader: `"module:function"` (imported on first use) or the function. It is called as
            `loader(split, **keywords)` and returns `(inputs, targets, origin)`; its keywords are
            config fields by name (`seed` is `train.seed`) and `data_dir`/`download`, only those it uses.
        options: the `data.*` fields the loader reads beyond the common ones (`max_length`,
            `validation_fraction`, ...): a non-default value is refused in configs of other data sets.
        splits: the splits it has.
        labels: class names, for classification data.
        tokenizer: how its texts become tokens: "words", "chars", or "" (not text).
        validation: where the validation share comes from: "head" or "tail" of the seeded carve
            (`datasets.base.split_ranges`), or "published" (a split of its own).
    """

    name: str
    kind: str
    loader: str | Callable[..., Any]
    options: tuple[str, ...] = ()
    splits: tuple[str, ...] = SPLITS
    labels: tuple[str, ...] = ()
    tokenizer: str = ""
    validation: str = "head"

    def load_function(self) -> Callable[..., Any]:
        if callable(self.loader):
            return self.loader
        module, _, function = self.loader.partition(":")
        return getattr(importlib.import_module(module), function)

    def keywords(self) -> tuple[str, ...]:
        """The keyword arguments its loader takes."""
        parameters = inspect.signature(self.load_function()).parameters.values()
        return tuple(p.name for p in parameters if p.kind == p.KEYWORD_ONLY)


_SYNTHETIC = ("num_examples", "test_fraction")
TABLE: dict[str, Dataset] = {row.name: row for row in (
    Dataset("imdb", "text_classification", "rnnzoo.datasets.imdb:load_imdb", labels=("negative", "positive"),
            tokenizer="words", validation="tail"),
    Dataset("addition", "seq2seq", "rnnzoo.datasets.synthetic:load_addition", (*_SYNTHETIC, "digits"),
            tokenizer="chars"),
    Dataset("dates", "seq2seq", "rnnzoo.datasets.synthetic:load_dates", _SYNTHETIC, tokenizer="chars"),
    Dataset("multi30k", "seq2seq", "rnnzoo.datasets.parallel_text:load_multi30k",
            ("source_language", "target_language"), tokenizer="words", validation="published"),
    Dataset("parallel", "seq2seq", "rnnzoo.datasets.parallel_text:load_parallel_files",
            ("source_file", "target_file", "test_fraction"), tokenizer="words"),
    Dataset("tiny_shakespeare", "language_model", "rnnzoo.datasets.text_corpus:load_text",
            splits=("train", "validation"), tokenizer="chars", validation="tail"),
    Dataset("conll2000", "tagging", "rnnzoo.datasets.conll2000:load_conll2000", tokenizer="words"),
    Dataset("tracking", "tracking", "rnnzoo.datasets.tracking:load_tracking",
            (*_SYNTHETIC, "seq_length", "observation_noise", "acceleration", "maneuver_probability",
             "miss_probability")),
    Dataset("scenes", "captioning", "rnnzoo.datasets.scenes:load_scenes", _SYNTHETIC, tokenizer="words"),
    Dataset("flickr", "captioning", "rnnzoo.datasets.flickr:load_flickr", ("test_fraction",), tokenizer="words"),
    Dataset("adding", "adding", "rnnzoo.datasets.adding:load_adding", (*_SYNTHETIC, "seq_length")),
)}


def names() -> list[str]:
    """Data sets `load` knows."""
    return sorted(TABLE)


def register(row: Dataset, *, replace: bool = False) -> Dataset:
    """Adds a data set to the table (a plug-in or a test); an existing name needs `replace=True`."""
    if row.name in TABLE and not replace:
        raise DataError(f"Data set {row.name!r} is already in the table. Received: {row!r}")
    TABLE[row.name] = row
    return row


def info(name: str) -> Dataset:
    """The table row of a data set, or a `DataError` naming the known ones."""
    row = TABLE.get(name)
    if row is None:
        raise DataError(f"Unknown data set {name!r}. Known data sets: {', '.join(sorted(TABLE))}.")
    return row


def load_examples(name: str, split: str, **kwargs: Any):
    """Raw examples as Python data: (inputs, targets, origin).

    `data_dir` and `download` are dropped for a loader that has no location (a generator).
    """
    row = info(name)
    keywords = row.keywords()
    unknown = sorted(k for k in kwargs if k not in keywords and k not in LOCATION_ARGUMENTS)
    if unknown:
        raise DataError(f"The {name} loader takes {', '.join(keywords) or 'no options'}. "
                        f"Received: {', '.join(f'{k}={kwargs[k]!r}' for k in unknown)}")
    return row.load_function()(split, **{k: v for k, v in kwargs.items() if k in keywords})


def config_arguments(name: str, cfg: "Config") -> dict[str, Any]:
    """The keyword arguments a data set's loader reads from a config: fields by name, `seed` from `train.seed`."""
    values = {**dataclasses.asdict(cfg.model), **dataclasses.asdict(cfg.data), "seed": cfg.train.seed}
    return {k: values[k] for k in info(name).keywords() if k in values}


def examples(cfg: "Config", split: str, *, data_dir=None, download: bool | None = None):
    """(inputs, targets, origin) of a config's data set (`data.dataset`) and split, with the config's options."""
    return load_examples(cfg.data.dataset, split, data_dir=data_dir, download=download,
                         **config_arguments(cfg.data.dataset, cfg))


def load(name: str, split: str, *, data_dir=None, **kwargs: Any):
    """A `tf.data.Dataset` of raw examples.

    (input, target) pairs for labelled data, e.g. (review text, 0/1 label) for
    "imdb"; one string, the text of the split, for a corpus such as "tiny_shakespeare".
    """
    import tensorflow as tf

    inputs, targets, _ = load_examples(name, split, data_dir=data_dir, **kwargs)
    if targets is None:
        return tf.data.Dataset.from_tensor_slices(inputs)
    return tf.data.Dataset.from_tensor_slices((inputs, targets))
