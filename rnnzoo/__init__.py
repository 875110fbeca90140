"""rnnzoo: a Keras 3 model zoo of recurrent neural networks.

    import rnnzoo
    rnnzoo.list_models("sentiment_*")
    model = rnnzoo.build("sentiment_bilstm")            # a compiled keras.Model
    model = rnnzoo.build("sentiment_bilstm", cell="gru", units=32)

Importing rnnzoo is cheap: Keras and TensorFlow load on the first build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnnzoo._version import __version__
from rnnzoo.errors import ConfigError, DataError, RnnzooError, RunFolderError
from rnnzoo.config.registry import list_models, load_config

__all__ = [
    "ConfigError", "DataError", "RnnzooError", "RunFolderError",
    "build", "get_config", "list_models", "load_config", "load_run", "train", "__version__",
]


def build(name_or_path: str | Path, *, compile: bool = True, **overrides: Any):
    """Builds a named model or a TOML config file as a Functional `keras.Model`.

    Args:
        name_or_path: a name from `list_models()` or the path of a `.toml` file.
        compile: compile with the config's optimizer (gradient clipping on by
            default), loss and metrics; `False` returns the bare model.
        **overrides: any config field, flat (`units=32`) or dotted
            (`**{"train.learning_rate": 3e-4}`), validated like the file.

    Raises:
        ConfigError: unknown name, unknown key, or a value of the wrong type or range.
    """
    cfg = load_config(name_or_path, overrides)
    from rnnzoo.builders import build_model  # Keras loads here, not at import.
    from rnnzoo.tasks import check_options

    check_options(cfg)
    return build_model(cfg, compile=compile)


def get_config(name_or_path: str | Path, **overrides: Any) -> dict[str, Any]:
    """The resolved config of a named model or TOML file, as a plain dict.

    Raises:
        ConfigError: as `build`, including a field that nothing in this config reads (`data.digits` for IMDB).
    """
    cfg = load_config(name_or_path, overrides)
    from rnnzoo.tasks import check_options  # the builders' declarations load Keras

    check_options(cfg)
    return cfg.to_dict()


def train(name_or_path: str | Path, **kwargs: Any):
    """Trains a named model on its data into a run folder; see `rnnzoo.training.train` for every argument.

        run = rnnzoo.train("sentiment_bilstm", data_dir="sample", epochs=2)   # the CLI's --data sample
        run = rnnzoo.train("sentiment_bilstm", data_dir="path/to/aclImdb_v1.tar.gz", out_dir="runs/imdb")

    `data_dir="sample"` reads the small real sample shipped with rnnzoo (where the CLI takes `--data sample`);
    a path that does not exist is a `DataError` at once.
    """
    from rnnzoo.training import train as _train

    return _train(name_or_path, **kwargs)


def load_run(run_dir: str | Path):
    """The `Run` of a run folder: `.config`, `.model`, `.history`, `.metrics`, `.predict`, `.export`."""
    from rnnzoo.runs.run import load_run as _load_run

    return _load_run(run_dir)


from rnnzoo import _registration  # noqa: E402 - after the public names: it may import rnnzoo.layers

_registration.install()  # a `.keras` export loads after `import rnnzoo, keras`, with no Keras loaded here
