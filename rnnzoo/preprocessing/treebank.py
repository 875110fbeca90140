"""Penn Treebank tokenization, the way CoNLL-2000's Wall Street Journal text is split.

A tagger reads words as its training data wrote them: `will narrow.` is the
two tokens `narrow` and `.`, `don't` is `do n't`, `$5` is `$ 5`, brackets are
`-LRB-`/`-RRB-`, double quotes are ``` `` ``` and `''`, and a slash is `\\/`.
The rules are (pattern, replacement) pairs applied in order, then the text is
split on white space. They are written for both Python's `re` and RE2 (the
SavedModel applies the same table with `tf.strings.regex_replace`), so they
avoid the classes where the two differ: `[0-9]` not `\\d`, an explicit blank
set not `\\s`. Text that is already tokenized this way passes through
unchanged, but for a few tokens the rules cannot tell apart (10 of
CoNLL-2000's 10,948 sentences change: `HUGO'S` in a headline, `a.m.` ending
a sentence).
"""

from __future__ import annotations

import re

BLANK = "[ \\t\\n\\r\\f]"
RULES: tuple[tuple[str, str], ...] = (
    ("\u201c", " `` "), ("\u201d", " '' "), ("\u2018", " ` "), ("\u2019", "'"),  # typographic quotes
    ('^"', " `` "), (f'({BLANK}|[(\\[{{<])"', "\\1 `` "),  # an opening double quote
    ("\\.\\.\\.", " ... "),
    ("([;@#?!])", " \\1 "),
    ("\\$", "$ "), ("([^A-Za-z ])\\$", "\\1 $"),  # $5 -> $ 5, but US$ and C$ stay one token
    ("%([^-A-Za-z0-9]|$)", " % \\1"),  # 5% -> 5 %, but 60%-held stays; & is never split (S&P, AT&T)
    ("([:,])([^0-9])", " \\1 \\2"), ("([:,])$", " \\1 "),  # not inside numbers: 1,000 and 10:30 stay
    (f"([^.])\\.([\\]\\)}}>\"']*){BLANK}*$", "\\1 .\\2 "),  # the sentence's final period only (U.S. stays)
    ("--", " -- "),
    ("\\(", " -LRB- "), ("\\)", " -RRB- "), ("\\[", " -LSB- "), ("\\]", " -RSB- "),
    ("\\{", " -LCB- "), ("\\}", " -RCB- "),
    ('"', " '' "),  # every double quote left closes
    ("(?s)^(.*)$", " \\1 "),  # blanks at both ends, so the contraction rules see word ends
    ("([^' ])('[sSmMdD]|') ", "\\1 \\2 "),
    ("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "\\1 \\2 "),
    ("(^|[^\\\\])/", "\\1\\\\/"),
)
_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in RULES)


def tokenize(text: str) -> list[str]:
    """`text` split into Penn Treebank tokens."""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text.split()
