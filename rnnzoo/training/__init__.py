"""Training: the trainer (`train`), its callbacks, exact resume, distribution strategies."""

from rnnzoo.training.trainer import train

__all__ = ["train"]
