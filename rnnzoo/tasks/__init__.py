"""Training recipes by task: which data, preprocessing and serving a named model's `task` uses."""

from __future__ import annotations

import importlib

from rnnzoo.config import Config
from rnnzoo.errors import ConfigError

# task name -> "module:Class"; imported only when a model of that task is trained or loaded.
TASKS = {
    "imdb": "rnnzoo.tasks.text_classification:TextClassificationTask",
    "addition": "rnnzoo.tasks.seq2seq:Seq2SeqTask",
    "dates": "rnnzoo.tasks.seq2seq:Seq2SeqTask",
    "multi30k": "rnnzoo.tasks.seq2seq:Seq2SeqTask",
    "parallel": "rnnzoo.tasks.seq2seq:Seq2SeqTask",
    "tiny_shakespeare": "rnnzoo.tasks.char_lm:CharLanguageModelTask",
    "conll2000": "rnnzoo.tasks.tagging:TaggingTask",
    "tracking": "rnnzoo.tasks.tracking:TrackingTask",
    "scenes": "rnnzoo.tasks.captioning:CaptioningTask",
    "flickr": "rnnzoo.tasks.captioning:CaptioningTask",
    "adding": "rnnzoo.tasks.adding:AddingTask",
}


def task_class(cfg: Config):
    """The recipe class for a config's task, or a clear error naming the tasks that can be trained."""
    target = TASKS.get(cfg.task)
    if target is None:
        raise ConfigError(
            f"Model {cfg.name!r} (task {cfg.task!r}) has no training recipe yet; it can be built with "
            f"rnnzoo.build and trained with model.fit on your own data. Tasks with recipes: {', '.join(sorted(TASKS))}."
        )
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)
