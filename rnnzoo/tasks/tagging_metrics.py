"""Tagging metrics (token accuracy; chunk precision, recall and F1 with conlleval's rules) and IOB decoding constraints.

A chunk is a maximal run of tags of one type: it starts at `B-X`, at `I-X`
after `O`, or at any tag whose type differs from the previous tag's; it ends
where the next one starts or at `O`. A predicted chunk counts as correct only
if a gold chunk has the same first word, last word and type. These are the
rules of the shared task's `conlleval` script, so ill-formed predictions
(an `I-NP` after `O`) are scored the way the published figures were.
"""

from __future__ import annotations

import numpy as np

from typing import Iterable, Sequence


def split_tag(tag: str) -> tuple[str, str]:
    """(prefix, type): 'B-NP' -> ('B', 'NP'); 'O' -> ('O', '')."""
    if tag == "O" or "-" not in tag:
        return "O", ""
    prefix, _, kind = tag.partition("-")
    return prefix, kind


def chunks(tags: Sequence[str]) -> set[tuple[int, int, str]]:
    """The chunks of one sentence's IOB tags as (first, last, type), last inclusive."""
    found, start, current = set(), None, ""
    for index, tag in enumerate([*tags, "O"]):
        prefix, kind = split_tag(tag)
        begins = prefix == "B" or (prefix != "O" and kind != current)
        if start is not None and (prefix == "O" or begins):
            found.add((start, index - 1, current))
            start, current = None, ""
        if prefix != "O" and start is None:
            start, current = index, kind
    return found


def chunk_scores(gold: Iterable[Sequence[str]], predicted: Iterable[Sequence[str]]) -> dict[str, float]:
    """Span-level precision, recall and F1 (fractions, 0 when undefined) over sentences."""
    correct = gold_count = predicted_count = 0
    for gold_tags, predicted_tags in zip(gold, predicted, strict=True):
        if len(gold_tags) != len(predicted_tags):
            raise ValueError(f"a sentence has {len(gold_tags)} gold tags and {len(predicted_tags)} predicted")
        gold_chunks, predicted_chunks = chunks(gold_tags), chunks(predicted_tags)
        correct += len(gold_chunks & predicted_chunks)
        gold_count += len(gold_chunks)
        predicted_count += len(predicted_chunks)
    precision = correct / predicted_count if predicted_count else 0.0
    recall = correct / gold_count if gold_count else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1,
            "gold_chunks": gold_count, "predicted_chunks": predicted_count, "correct_chunks": correct}


def token_accuracy(gold: Iterable[Sequence[str]], predicted: Iterable[Sequence[str]]) -> float:
    """Share of tokens whose predicted tag equals the gold tag."""
    right = total = 0
    for gold_tags, predicted_tags in zip(gold, predicted, strict=True):
        right += sum(g == p for g, p in zip(gold_tags, predicted_tags, strict=True))
        total += len(gold_tags)
    return right / total if total else 0.0


# Every tagger of IOB chunks decodes with hard IOB constraints: a softmax tagger's per-word best tags
# can form an ill-formed sequence (`O I-NP`) that conlleval scores as a wrong chunk.
def iob_transition_mask(tags: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(transitions, start) of 0 or -inf: `I-X` only after `B-X` or `I-X`, never first; id 0 never."""
    count = len(tags)
    transitions = np.zeros((count, count))
    start = np.zeros(count)
    for j, tag in enumerate(tags):
        prefix, chunk = split_tag(tag)
        if j == 0:
            transitions[:, j] = start[j] = -np.inf
            continue
        if prefix == "I":
            start[j] = -np.inf
            for i, previous in enumerate(tags):
                if split_tag(previous) not in (("B", chunk), ("I", chunk)):
                    transitions[i, j] = -np.inf
    return transitions, start
