"""Configs: the schema (`schema`), the registry of named models in zoo_configs/ (`registry`), `--set` parsing (`overrides`)."""

from rnnzoo.config.overrides import parse_set_values
from rnnzoo.config.registry import get_config, list_models, load_config
from rnnzoo.config.schema import (
    FIELD_SECTION, IO_CONFIGURATIONS, SECTIONS, Config, DataSpec, ModelSpec, TrainSpec, from_dict, read_toml, tomllib,
)

__all__ = [
    "FIELD_SECTION", "IO_CONFIGURATIONS", "SECTIONS", "Config", "DataSpec", "ModelSpec", "TrainSpec", "from_dict",
    "get_config", "list_models", "load_config", "parse_set_values", "read_toml", "tomllib",
]
