"""Training recipes by task kind: which preprocessing, evaluation and serving a config's `task` uses.

A config's `task` names the kind; its data set (`data.dataset`) is a row of
`rnnzoo.datasets.TABLE`, which names the kind that trains on it.

`check_options` is where every declaration of who reads which field meets:
a builder module's `OPTIONS` (model fields of one I/O configuration), a
data-set row's `options` (data fields its loader reads) and a task kind's
`options` in `TASKS` (fields the kind reads). A field declared by none of them is
common to every model and always accepted.
"""

from __future__ import annotations

import dataclasses
import importlib

from rnnzoo import datasets
from rnnzoo.config import IO_CONFIGURATIONS, SECTIONS, Config
from rnnzoo.errors import ConfigError

@dataclasses.dataclass(frozen=True)
class TaskKind:
    """A kind of task: its recipe class, and the config fields only that recipe reads.

    The recipe is imported by name, only when a model of this kind is trained or loaded, so
    `check_options` (called by every `build`) reads `options` without loading TensorFlow.
    """

    recipe: str                      # "module:Class"
    options: tuple[str, ...] = ()    # dotted config fields this kind reads and no other


TASKS = {
    "text_classification": TaskKind("rnnzoo.tasks.text_classification:TextClassificationTask",
                                    ("data.truncate",)),  # TextToIds cuts long reviews at this end
    "language_model": TaskKind("rnnzoo.tasks.char_lm:CharLanguageModelTask",
                               ("data.seq_length",)),  # the window length of truncated BPTT
    "tagging": TaskKind("rnnzoo.tasks.tagging:TaggingTask", ("data.target", "data.min_frequency")),
    "tracking": TaskKind("rnnzoo.tasks.tracking:TrackingTask"),
    "seq2seq": TaskKind("rnnzoo.tasks.seq2seq:Seq2SeqTask", ("data.reverse_source", "data.min_frequency")),
    "captioning": TaskKind("rnnzoo.tasks.captioning:CaptioningTask"),
    "adding": TaskKind("rnnzoo.tasks.adding:AddingTask"),
}


def _class(kind: str):
    module, _, name = TASKS[kind].recipe.partition(":")
    return getattr(importlib.import_module(module), name)


def task_class(cfg: Config):
    """The recipe class for a config's task kind, or a clear error naming the kinds that can be trained.

    The config's data set must be one of that kind's rows in `rnnzoo.datasets.TABLE`.
    """
    if cfg.task not in TASKS:
        raise ConfigError(
            f"Model {cfg.name!r} (task {cfg.task!r}) has no training recipe yet; it can be built with "
            f"rnnzoo.build and trained with model.fit on your own data. Tasks with recipes: {', '.join(sorted(TASKS))}."
        )
    row = datasets.TABLE.get(cfg.data.dataset)
    if row is None or row.kind != cfg.task:
        choices = sorted(name for name, r in datasets.TABLE.items() if r.kind == cfg.task)
        raise ConfigError(f"`data.dataset` must name a {cfg.task} data set: {', '.join(choices)}. "
                          f"Received: dataset={cfg.data.dataset!r}, task={cfg.task!r}")
    return _class(cfg.task)


def _readers(cfg: Config) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """(category, owner, dotted fields it reads, whether it is this config's) of every declaration."""
    found = []
    for io in IO_CONFIGURATIONS:
        module = importlib.import_module(f"rnnzoo.builders.{io}")
        found.append(("io", io, getattr(module, "OPTIONS", ()), io == cfg.io))
    for row in datasets.TABLE.values():
        found.append(("dataset", row.name, tuple(f"data.{name}" for name in row.options), row.name == cfg.data.dataset))
    for kind in TASKS:
        found.append(("task", kind, TASKS[kind].options, kind == cfg.task))
    return found


def _where(category: str, owners: list[str]) -> str:
    listed = owners[0] if len(owners) == 1 else f"{', '.join(owners[:-1])} and {owners[-1]}"
    if category == "io":
        return f"{listed} models"
    if category == "task":
        return f"{listed} tasks"
    return f"the {listed} data set{'s' if len(owners) > 1 else ''}"


def check_options(cfg: Config) -> None:
    """Refuses a non-default value of a field that nothing in this config reads, naming where it applies.

    A field declared only by a task kind or data set that is not in the tables (your own task) is not judged.
    Also refuses a data set of another task kind.
    """
    row = datasets.TABLE.get(cfg.data.dataset)
    if row is not None and cfg.task in TASKS and row.kind != cfg.task:
        raise ConfigError(f"`data.dataset` {cfg.data.dataset!r} is a {row.kind} data set, not a {cfg.task} one. "
                          f"Received: dataset={cfg.data.dataset!r}, task={cfg.task!r}")
    known = {"io": True, "task": cfg.task in TASKS, "dataset": row is not None}
    declared: dict[str, dict[str, list[str]]] = {}
    readers: set[str] = set()
    for category, owner, fields, active in _readers(cfg):
        for dotted in fields:
            declared.setdefault(dotted, {}).setdefault(category, []).append(owner)
            if active:
                readers.add(dotted)
    for dotted, owners in declared.items():
        if dotted in readers or not all(known[category] for category in owners):
            continue
        section, _, name = dotted.partition(".")
        spec = getattr(cfg, section)
        value = getattr(spec, name)
        if value == next(f.default for f in dataclasses.fields(SECTIONS[section]) if f.name == name):
            continue
        context = {"io": f"io={cfg.io!r}", "task": f"task={cfg.task!r}", "dataset": f"dataset={cfg.data.dataset!r}"}
        raise ConfigError(f"`{dotted}` applies to {' and '.join(_where(c, o) for c, o in owners.items())} only. "
                          f"Received: {name}={value!r}, {', '.join(context[c] for c in owners)}")
