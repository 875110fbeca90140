"""Token vocabularies for sequence-to-sequence tasks: text <-> ids, with pad, unknown, start and end.

Ids are fixed: 0 padding (masked), 1 unknown (any token not seen in training),
2 start (the decoder's first input), 3 end (the decoder says it is done).
Vocabularies are built on the training split only and saved as JSON in the
run folder. Two tokenizers: characters (synthetic tasks) and words
(translation: lower-cased, punctuation split off words).
"""

from __future__ import annotations

import collections
import re
from typing import Iterable

PAD, UNKNOWN, START, END = 0, 1, 2, 3
SPECIAL_TOKENS = ("", "[UNK]", "<start>", "<end>")
TOKENIZERS = ("chars", "words")

# ASCII punctuation except the apostrophe ("don't" stays one word); rnnzoo.layers.text uses the same class.
PUNCTUATION = r"""[!"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~]"""
_PUNCTUATION = re.compile(f"({PUNCTUATION})")


def tokenize(text: str, kind: str) -> list[str]:
    """Characters, or lower-cased words with each punctuation mark a token of its own."""
    if kind == "chars":
        return list(text)
    return _PUNCTUATION.sub(r" \1 ", text.lower()).split()


def detokenize(tokens: list[str], kind: str) -> str:
    """The text of tokens: characters joined, words joined by spaces."""
    return "".join(tokens) if kind == "chars" else " ".join(tokens)


class Vocabulary:
    """A fixed list of tokens; index = id."""

    def __init__(self, tokens: list[str]):
        if tuple(tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"a vocabulary starts with {SPECIAL_TOKENS}")
        self.tokens = list(tokens)
        self.ids = {token: index for index, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, sequences: Iterable[list[str]], *, max_size: int, min_frequency: int = 1) -> "Vocabulary":
        """The most frequent tokens (ties by first appearance), at most `max_size` ids in all."""
        counts = collections.Counter(token for tokens in sequences for token in tokens)
        kept = [t for t, n in counts.most_common() if n >= min_frequency and t not in SPECIAL_TOKENS]
        return cls([*SPECIAL_TOKENS, *kept[: max(max_size - len(SPECIAL_TOKENS), 0)]])

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: list[str]) -> list[int]:
        return [self.ids.get(token, UNKNOWN) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens up to (not including) the first end id; padding and start ids are skipped."""
        tokens = []
        for index in ids:
            index = int(index)
            if index == END:
                break
            if index not in (PAD, START):
                tokens.append(self.tokens[index])
        return tokens
