"""`--set key=value` pairs (CLI, benchmarks, examples) as typed config overrides."""

from __future__ import annotations

from rnnzoo.errors import RnnzooError


def parse_set_values(pairs: list[str]) -> dict:
    """`--set key=value` pairs, with values read as TOML scalars (3, 0.5, true, "gru")."""
    from rnnzoo.config.schema import tomllib

    overrides = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise RnnzooError(f"--set expects key=value. Received: {pair!r}")
        try:
            value = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()  # a bare word such as gru is a string
        overrides[key.strip()] = value
    return overrides
