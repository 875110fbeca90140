"""The config schema: a TOML document validated into a frozen `Config`.

A config has four top-level keys (`description`, `io`, `task`, `base`) and
three sections: `[model]` (what `build` needs), `[data]` (what the data
pipeline needs) and `[train]` (the training recipe). Every field has a type,
a default and a range, declared once below; validation is generic over those
declarations, so adding a field is one line.

`task` names the task kind (`text_classification`, `seq2seq`, ...) and
`data.dataset` the data set. Which fields a config may change is declared
next to the code that reads them (builders, data-set table, task kinds) and
checked by `rnnzoo.tasks.check_options`; this module knows only the fields.

Overrides are flat (`units=32`, `batch_size=64`): field names are unique
across sections. `section.field` is accepted too.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from rnnzoo.errors import ConfigError

IO_CONFIGURATIONS = ("many_to_one", "aligned", "one_to_many", "seq2seq")

# Before task kinds, `task` named the data set. These names (every one a config or run folder may hold)
# map to the kind, and the data set defaults to the old name; new data sets never need a line here.
DATASET_TASK_NAMES = {
    "imdb": "text_classification", "addition": "seq2seq", "dates": "seq2seq", "multi30k": "seq2seq",
    "parallel": "seq2seq", "tiny_shakespeare": "language_model", "conll2000": "tagging", "tracking": "tracking",
    "scenes": "captioning", "flickr": "captioning", "adding": "adding",
}


def _spec(default, *, choices=None, low=None, high=None, low_open=False, high_open=False, help=""):
    """A dataclass field with its validation rule kept in the metadata."""
    rule = {"choices": choices, "low": low, "high": high, "low_open": low_open, "high_open": high_open, "help": help}
    if isinstance(default, (list, dict)):
        raise TypeError("mutable defaults are not allowed in a frozen config")
    return field(default=default, metadata=rule)


@dataclass(frozen=True)
class ModelSpec:
    """What the builders need. Each field applies to the I/O configurations named in its help."""

    cell: str = _spec("lstm", choices=("rnn", "lstm", "gru"), help="recurrent cell: SimpleRNN, LSTM or GRU")
    units: int = _spec(64, low=1, help="units per recurrent layer (per direction)")
    num_layers: int = _spec(1, low=1, high=16, help="stacked recurrent layers")
    bidirectional: bool = _spec(False, help="bidirectional encoder layers (not for generators/decoders)")
    dropout: float = _spec(0.0, low=0.0, high=1.0, high_open=True, help="dropout between layers and before the head")
    embedding_dropout: float = _spec(0.0, low=0.0, high=1.0, high_open=True, help="dropout of whole embedding channels")
    embedding_init: str = _spec("random", choices=("random", "ppmi_svd"),
                                help="word embedding start for training: random, or PPMI-SVD vectors counted on the training "
                                     "split's words (rnnzoo.preprocessing.word_vectors; text classification and tagging tasks)")
    recurrent_dropout: float = _spec(0.0, low=0.0, high=1.0, high_open=True, help="dropout on the recurrent state (disables cuDNN)")
    input_type: str = _spec("tokens", choices=("tokens", "features"), help="token ids (Embedding) or real-valued features (Masking)")
    vocab_size: int = _spec(20000, low=2, help="input vocabulary size, padding id 0 and out-of-vocabulary id 1 included")
    embedding_dim: int = _spec(128, low=1, help="embedding width for token inputs and outputs")
    num_features: int = _spec(1, low=1, help="feature width for input_type='features'")
    num_classes: int = _spec(1, low=1, help="output width of the head (many_to_one, aligned)")
    output_activation: str = _spec("sigmoid", choices=("sigmoid", "softmax", "linear"), help="head activation; linear means regression")
    logits: bool = _spec(False, help="head emits logits and the loss applies the activation")
    pooling: str = _spec("last", choices=("last", "max", "mean", "max_mean"), help="many_to_one: how the sequence becomes one vector")
    target_vocab_size: int = _spec(1000, low=4, help="output vocabulary (one_to_many, seq2seq), padding, OOV, start and end included")
    condition_input: str = _spec("features", choices=("features", "image"), help="one_to_many: a feature vector or an image")
    condition_dim: int = _spec(64, low=1, help="one_to_many: width of the condition feature vector")
    image_size: int = _spec(32, low=8, high=1024, help="one_to_many: side of the square input image")
    image_channels: int = _spec(3, choices=(1, 3), help="one_to_many: image channels")
    conditioning: str = _spec("every_step", choices=("every_step", "init_state", "both"), help="one_to_many: where the condition enters")
    attention: str = _spec("none", choices=("none", "dot", "general", "additive"), help="seq2seq: attention over encoder outputs")
    char_embedding_dim: int = _spec(0, low=0, help="aligned taggers: character embedding width of a CNN encoder of each word; 0 is off")
    char_units: int = _spec(50, low=1, help="aligned taggers: filters of the character CNN (the per-word character feature width)")
    char_vocab_size: int = _spec(100, low=2, help="aligned taggers: character ids, padding 0 and unknown 1 included (set from the data)")
    tag_feature_dim: int = _spec(0, low=0, help="aligned taggers: embedding width of a given tag column (POS for chunking) as an input; 0 is off")
    crf: bool = _spec(False, help="aligned taggers: a linear-chain CRF over the tags (learned transitions, Viterbi decoding) instead of a per-word softmax")
    tag_feature_vocab_size: int = _spec(64, low=2, help="aligned taggers: ids of the input tag column, padding and unknown included (set from the data)")


@dataclass(frozen=True)
class DataSpec:
    """What the data pipeline needs."""

    dataset: str = _spec("", help="data set or generator the recipe trains on (a row of rnnzoo.datasets.TABLE)")
    max_length: int = _spec(200, low=1, high=100_000, help="tokens kept per example")
    truncate: str = _spec("end", choices=("start", "end"), help="which end of a long example is cut")
    validation_fraction: float = _spec(0.1, low=0.0, high=1.0, high_open=True, help="share of train held out for validation")
    bucket_width: int = _spec(32, low=1, help="length buckets are this many tokens wide (0 padding waste inside a bucket)")
    seq_length: int = _spec(100, low=1, help="aligned language models: window length for truncated BPTT; adding problem: sequence length")
    num_examples: int = _spec(50_000, low=10, help="synthetic tasks (addition, dates, scenes, adding): distinct examples, all splits")
    test_fraction: float = _spec(0.1, low=0.0, high=1.0, high_open=True, help="synthetic tasks and parallel files: share held out for test")
    digits: int = _spec(3, low=1, high=9, help="addition: most digits per number")
    reverse_source: bool = _spec(False, help="seq2seq: feed source tokens in reverse order ('535+61' as '16+535')")
    source_language: str = _spec("de", help="multi30k: source language (file suffix)")
    target_language: str = _spec("en", help="multi30k: target language (file suffix)")
    source_file: str = _spec("", help="parallel: line-aligned source text file (CLI --src)")
    target_file: str = _spec("", help="parallel: line-aligned target text file (CLI --tgt)")
    min_frequency: int = _spec(1, low=1, help="seq2seq vocabularies: rarer training tokens become the unknown token")
    target: str = _spec("pos", choices=("pos", "chunk"), help="conll2000 tagging: the column to predict (part of speech or IOB2 chunks)")
    observation_noise: float = _spec(2.0, low=0.0, help="tracking: standard deviation of the position measurement noise")
    acceleration: float = _spec(0.1, low=0.0, help="tracking: standard deviation of each random acceleration (per axis)")
    maneuver_probability: float = _spec(0.05, low=0.0, high=1.0, help="tracking: chance per step that a new acceleration starts")
    miss_probability: float = _spec(0.2, low=0.0, high=1.0, high_open=True, help="tracking: chance per step of a missed detection")


@dataclass(frozen=True)
class TrainSpec:
    """The training recipe."""

    optimizer: str = _spec("adam", choices=("adam", "adamw", "rmsprop", "sgd", "nadam"))
    learning_rate: float = _spec(1e-3, low=0.0, low_open=True, high=10.0)
    lr_schedule: str = _spec("constant", choices=("constant", "cosine"), help="learning-rate schedule over all training steps")
    clipnorm: float = _spec(1.0, low=0.0, help="gradient clipping by global norm per variable; 0 turns it off")
    weight_decay: float = _spec(0.0, low=0.0, high=1.0)
    ema_momentum: float = _spec(0.0, low=0.0, high=1.0, high_open=True, help="exponential moving average of the weights, used from each epoch's end; 0 is off")
    batch_size: int = _spec(32, low=1, high=65536)
    epochs: int = _spec(2, low=1, high=100_000)
    validations_per_epoch: int = _spec(1, low=1, high=100, help="validation checks per epoch (the last at its end); the best check's weights are kept")
    early_stopping_patience: int = _spec(0, low=0, help="epochs without validation improvement before stopping; 0 is off")
    monitor: str = _spec("val_loss", choices=("val_loss", "val_accuracy"), help="validation figure that picks the best epoch's weights")
    seed: int = _spec(1337, low=0)
    deterministic: bool = _spec(False, help="TensorFlow's deterministic kernels (tf.config.experimental.enable_op_determinism): "
                                            "the same seed gives bit-identical weights on the same machine; may be slower")
    stateful: bool = _spec(False, help="aligned language models: carry the recurrent state across consecutive windows "
                                       "(truncated BPTT: gradients stop at the window boundary)")
    mixed_precision: bool = _spec(False, help="compute in float16 on GPU, bfloat16 on CPU; variables, head and loss "
                                              "stay float32 (Keras scales the float16 loss)")


SECTIONS: dict[str, type] = {"model": ModelSpec, "data": DataSpec, "train": TrainSpec}
TOP_LEVEL_KEYS = ("description", "io", "task", "base")
# Text fields are read from files of any origin: bounded, so printing or wrapping them stays fast.
MAX_DESCRIPTION_LENGTH = 10_000
MAX_NAME_LENGTH = 200


def shown(value: Any) -> str:
    """`repr(value)`, cut short: a message quotes a value from a file of any size."""
    try:
        text = repr(value)
    except RecursionError:
        return f"a {type(value).__name__} nested too deeply"
    return text if len(text) <= 60 else text[:60] + "..."


@dataclass(frozen=True)
class Config:
    """A validated, immutable model config."""

    name: str
    description: str
    io: str
    task: str
    model: ModelSpec
    data: DataSpec
    train: TrainSpec

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data (JSON- and TOML-friendly)."""
        return {
            "name": self.name,
            "description": self.description,
            "io": self.io,
            "task": self.task,
            "model": dataclasses.asdict(self.model),
            "data": dataclasses.asdict(self.data),
            "train": dataclasses.asdict(self.train),
        }

    def replace(self, **overrides: Any) -> "Config":
        """A new validated config with flat or dotted field overrides applied."""
        return from_dict(self.to_dict(), overrides=overrides)


def _field_section() -> dict[str, str]:
    """Maps every field name to its section; names are unique across sections."""
    owners: dict[str, str] = {}
    for section, spec in SECTIONS.items():
        for f in dataclasses.fields(spec):
            assert f.name not in owners, f"field {f.name} is in two sections"
            owners[f.name] = section
    return owners


FIELD_SECTION = _field_section()


def _did_you_mean(word: str, choices) -> str:
    if not isinstance(word, (str, int, float)):
        return ""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=3, cutoff=0.6)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _check_value(section: str, f: dataclasses.Field, value: Any) -> Any:
    """Checks one value against its declared type and range; returns it normalised."""
    rule = f.metadata
    where = f"{section}.{f.name}"
    expected = f.type if isinstance(f.type, str) else f.type.__name__
    # bool is a subclass of int: reject True for an int field and 1 for a bool field.
    if expected == "bool":
        ok = isinstance(value, bool)
    elif expected == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ConfigError(f"`{where}` must be of type {expected}. Received: {f.name}={shown(value)}")
    if expected == "float" and not math.isfinite(value):  # NaN passes every range check below
        raise ConfigError(f"`{where}` must be a finite number. Received: {f.name}={shown(value)}")
    choices = rule.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(
            f"`{where}` must be one of {', '.join(repr(c) for c in choices)}.{_did_you_mean(value, choices)} "
            f"Received: {f.name}={shown(value)}"
        )
    low, high = rule.get("low"), rule.get("high")
    if low is not None and (value < low or (rule.get("low_open") and value == low)):
        bound = f"> {low}" if rule.get("low_open") else f">= {low}"
        raise ConfigError(f"`{where}` must be {bound}. Received: {f.name}={shown(value)}")
    if high is not None and (value > high or (rule.get("high_open") and value == high)):
        bound = f"< {high}" if rule.get("high_open") else f"<= {high}"
        raise ConfigError(f"`{where}` must be {bound}. Received: {f.name}={shown(value)}")
    return value


def _build_section(section: str, values: Mapping[str, Any]) -> Any:
    spec = SECTIONS[section]
    known = {f.name: f for f in dataclasses.fields(spec)}
    checked = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(
                f"Unknown key `{key}` in [{section}].{_did_you_mean(key, known)} "
                f"Valid keys: {', '.join(sorted(known))}."
            )
        checked[key] = _check_value(section, known[key], value)
    return spec(**checked)


def _apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    for key, value in overrides.items():
        if key in ("description", "task"):
            raw[key] = value
            continue
        section, _, name = key.rpartition(".")
        if not section:
            section = FIELD_SECTION.get(name)
        if section not in SECTIONS or name not in FIELD_SECTION or FIELD_SECTION[name] != section:
            raise ConfigError(
                f"Unknown config key `{key}`.{_did_you_mean(name, FIELD_SECTION)} "
                f"Valid keys: {', '.join(sorted(FIELD_SECTION))}."
            )
        raw.setdefault(section, {})[name] = value


def _check_combination(cfg: Config) -> None:
    """Rules that involve more than one field (a field read by one I/O or task kind only is declared there)."""
    m, io = cfg.model, cfg.io
    if m.bidirectional and io == "one_to_many":
        raise ConfigError(
            "`model.bidirectional` applies to encoders only; a one_to_many model is a generator whose "
            "decoder must run forward in time. Received: bidirectional=True"
        )
    if io in ("many_to_one", "aligned"):
        if m.output_activation == "softmax" and m.num_classes < 2:
            raise ConfigError(
                "`model.num_classes` must be >= 2 with a softmax head (use output_activation='sigmoid' "
                "for one binary output). Received: num_classes=1"
            )
        if m.output_activation == "linear" and m.logits:
            raise ConfigError("`model.logits` needs a sigmoid or softmax head, not a linear one. Received: logits=True")
    if cfg.train.stateful and (io != "aligned" or m.bidirectional):
        raise ConfigError(
            "`train.stateful` applies to unidirectional aligned models (language models) only. "
            f"Received: stateful=True, io={io!r}, bidirectional={m.bidirectional}"
        )
    if (m.char_embedding_dim or m.tag_feature_dim) and (io != "aligned" or m.input_type != "tokens"):
        raise ConfigError(
            "`model.char_embedding_dim` and `model.tag_feature_dim` apply to aligned models over tokens (taggers) only. "
            f"Received: char_embedding_dim={m.char_embedding_dim}, tag_feature_dim={m.tag_feature_dim}, io={io!r}, "
            f"input_type={m.input_type!r}"
        )
    if m.crf and (io != "aligned" or m.input_type != "tokens" or m.output_activation != "softmax"):
        raise ConfigError(
            "`model.crf` applies to aligned taggers over tokens with a softmax head only. "
            f"Received: crf=True, io={io!r}, input_type={m.input_type!r}, output_activation={m.output_activation!r}"
        )
    if io in ("one_to_many", "seq2seq") and m.input_type != "tokens":
        raise ConfigError(
            f"`model.input_type` must be 'tokens' for {io} models (their sequences are token ids). "
            f"Received: input_type={m.input_type!r}"
        )


def _rename_dataset_task(raw: dict[str, Any]) -> None:
    """An old `task = "imdb"` becomes `task = "text_classification"` with `data.dataset = "imdb"` unless set."""
    kind = DATASET_TASK_NAMES.get(raw.get("task", ""))
    if kind is None:
        return
    data = raw.get("data", {})
    if isinstance(data, Mapping) and not data.get("dataset"):
        raw["data"] = {**data, "dataset": raw["task"]}
    raw["task"] = kind


def from_dict(raw: Mapping[str, Any], *, name: str | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Validates a config document (already parsed) into a frozen `Config`."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"A config must be a table of keys (a JSON object). Received: {shown(raw)}")
    raw = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in raw.items()}
    name = name or raw.pop("name", None) or "custom"
    raw.pop("name", None)
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH:
        raise ConfigError(f"`name` must be a string of at most {MAX_NAME_LENGTH} characters. "
                          f"Received: name={shown(name)}")
    if overrides:
        _apply_overrides(raw, overrides)
    for key in raw:
        if key not in SECTIONS and key not in TOP_LEVEL_KEYS:
            raise ConfigError(
                f"Unknown top-level key `{key}` in config {name!r}.{_did_you_mean(key, [*TOP_LEVEL_KEYS, *SECTIONS])} "
                f"Valid keys: {', '.join([*TOP_LEVEL_KEYS, *('[' + s + ']' for s in SECTIONS)])}."
            )
    io = raw.get("io")
    if io not in IO_CONFIGURATIONS:
        raise ConfigError(
            f"`io` must be one of {', '.join(repr(c) for c in IO_CONFIGURATIONS)}.{_did_you_mean(io, IO_CONFIGURATIONS)} "
            f"Received: io={shown(io)}"
        )
    for key in ("description", "task"):
        if not isinstance(raw.get(key, ""), str):
            raise ConfigError(f"`{key}` must be a string. Received: {key}={shown(raw[key])}")
    if len(raw.get("description", "")) > MAX_DESCRIPTION_LENGTH:  # `rnnzoo info` wraps it (quadratic in a long word)
        raise ConfigError(f"`description` must be at most {MAX_DESCRIPTION_LENGTH:,} characters. "
                          f"Received: {len(raw['description']):,} characters")
    _rename_dataset_task(raw)
    sections = {}
    for section in SECTIONS:
        values = raw.get(section, {})
        if not isinstance(values, Mapping):
            raise ConfigError(f"`{section}` must be a table ([{section}]). Received: {section}={shown(values)}")
        sections[section] = _build_section(section, values)
    cfg = Config(name=name, description=raw.get("description", ""), io=io, task=raw.get("task", ""), **sections)
    _check_combination(cfg)
    return cfg


def read_toml(path: Path) -> dict[str, Any]:
    """Parses a TOML file; a syntax error names the file, line and parser message."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"Config file not found: {path}") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
