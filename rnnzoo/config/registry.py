"""The registry of named models: one TOML file per name in `zoo_configs/`.

Named models are data. The files ship inside the installed package as
`rnnzoo.zoo_configs`, so a wheel installed anywhere lists the same names as
a source checkout. A user's own TOML file follows the same schema and may
start from a named model with `base = "sentiment_bilstm"`.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from rnnzoo.config.schema import Config, from_dict, read_toml
from rnnzoo.errors import ConfigError


@functools.lru_cache(maxsize=1)
def _named_config_files() -> dict[str, Any]:
    """Maps each model name to its TOML resource; names are file stems."""
    files = {}
    for entry in resources.files("rnnzoo.zoo_configs").iterdir():
        if entry.name.endswith(".toml"):
            files[entry.name[: -len(".toml")]] = entry
    return files


def list_models(pattern: str = "*") -> list[str]:
    """Every named model whose name matches the shell-style `pattern`, sorted."""
    return sorted(name for name in _named_config_files() if fnmatch.fnmatchcase(name, pattern))


def _unknown_name(name: str) -> ConfigError:
    names = list_models()
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ConfigError(
        f"Unknown model name {name!r}.{hint} "
        "Run `rnnzoo list` or call rnnzoo.list_models() to see every name."
    )


def _is_file(name_or_path: str | Path) -> bool:
    return Path(str(name_or_path)).suffix == ".toml"


def _raw_document(name_or_path: str | Path, seen: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """The merged TOML document of a name or file, with `base` resolved."""
    text = str(name_or_path)
    key = str(Path(text).resolve()) if _is_file(text) else text
    if key in seen:
        raise ConfigError(f"Config {text!r} has a circular `base` chain: {' -> '.join((*seen, key))}")
    if _is_file(text):
        path = Path(text)
        name, raw = path.stem, read_toml(path)
    else:
        entry = _named_config_files().get(text)
        if entry is None:
            raise _unknown_name(text)
        name = text
        with resources.as_file(entry) as path:
            raw = read_toml(path)
    base = raw.pop("base", None)
    if base is None:
        return name, raw
    if not isinstance(base, str):
        raise ConfigError(f"`base` must be the name of a model or a .toml path. Received: base={base!r}")
    _, merged = _raw_document(base, (*seen, key))
    for section, value in raw.items():
        if isinstance(value, dict) and isinstance(merged.get(section), dict):
            merged[section] = {**merged[section], **value}
        else:
            merged[section] = value
    return name, merged


def load_config(name_or_path: str | Path, overrides: Mapping[str, Any] | None = None) -> Config:
    """A validated config for a named model or a TOML file, with overrides applied."""
    name, raw = _raw_document(name_or_path)
    return from_dict(raw, name=name, overrides=overrides)


def get_config(name_or_path: str | Path, **overrides: Any) -> dict[str, Any]:
    """The resolved config of a named model or TOML file, as a plain dict."""
    return load_config(name_or_path, overrides).to_dict()
