"""Viterbi decoding of one tagged sentence: the best whole tag sequence under emission and transition scores."""

from __future__ import annotations

import numpy as np


def viterbi(scores: np.ndarray, transitions: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[int]:
    """The best tag sequence of one sentence: scores (words, tags), transitions [previous, next]."""
    best = start + scores[0]
    back = []
    for t in range(1, len(scores)):
        candidates = best[:, None] + transitions
        back.append(candidates.argmax(0))
        best = candidates.max(0) + scores[t]
    path = [int((best + end).argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return path[::-1]
