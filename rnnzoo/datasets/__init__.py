"""Data sets by name: `rnnzoo.datasets.load(name, split, data_dir=...)` returns a `tf.data.Dataset`.

Each loader takes its location from `data_dir` (a folder or the publisher's
archive; `"sample"` for the small real sample shipped in the package), then
`$RNNZOO_DATA_DIR`, then its standard download route; if all fail, one
`DataError` names every path tried.
"""

from __future__ import annotations

from typing import Any

from rnnzoo.datasets.sources import SAMPLE
from rnnzoo.errors import DataError

__all__ = ["SAMPLE", "load", "load_examples", "names"]


def _loaders():
    from rnnzoo.datasets.conll2000 import load_conll2000
    from rnnzoo.datasets.imdb import load_imdb
    from rnnzoo.datasets.parallel_text import load_multi30k, load_parallel_files
    from rnnzoo.datasets.synthetic import load_addition, load_dates
    from rnnzoo.datasets.text_corpus import load_text
    from rnnzoo.datasets.adding import load_adding
    from rnnzoo.datasets.flickr import load_flickr
    from rnnzoo.datasets.scenes import load_scenes
    from rnnzoo.datasets.tracking import load_tracking

    return {"imdb": load_imdb, "addition": load_addition, "dates": load_dates, "multi30k": load_multi30k,
            "parallel": load_parallel_files, "tiny_shakespeare": load_text,
            "conll2000": load_conll2000, "tracking": load_tracking,
            "scenes": load_scenes, "flickr": load_flickr, "adding": load_adding}


def names() -> list[str]:
    """Data sets `load` knows."""
    return sorted(_loaders())


def load_examples(name: str, split: str, **kwargs: Any):
    """Raw examples as Python data: (inputs, targets, origin)."""
    loaders = _loaders()
    if name not in loaders:
        raise DataError(f"Unknown data set {name!r}. Known data sets: {', '.join(sorted(loaders))}.")
    return loaders[name](split, **kwargs)


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
