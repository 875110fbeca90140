"""Penn Treebank tokenization: the splits CoNLL-2000 uses, and the same tokens from TensorFlow's RE2 string ops."""

import pytest

from rnnzoo.preprocessing.treebank import RULES, tokenize

CASES = {
    "He reckons the current account deficit will narrow.":
        ["He", "reckons", "the", "current", "account", "deficit", "will", "narrow", "."],
    "I don't think it's \"great\" (really)... $5, 1,000 at 10:30; U.S. firms' 1/2 share!":
        ["I", "do", "n't", "think", "it", "'s", "``", "great", "''", "-LRB-", "really", "-RRB-", "...", "$", "5", ",",
         "1,000", "at", "10:30", ";", "U.S.", "firms", "'", "1\\/2", "share", "!"],
    'He said "go."': ["He", "said", "``", "go", ".", "''"],
    "S&P and AT&T paid US$5, 5% of a 60%-held unit.":
        ["S&P", "and", "AT&T", "paid", "US$", "5", ",", "5", "%", "of", "a", "60%-held", "unit", "."],
    "\u201cQuoted\u201d it\u2019s fine -- we're sure?": ["``", "Quoted", "''", "it", "'s", "fine", "--", "we", "'re", "sure", "?"],
    "Mr. Smith went to Washington.\n": ["Mr.", "Smith", "went", "to", "Washington", "."],
    "": [],
    "  \t ": [],
}


@pytest.mark.parametrize("text", CASES)
def test_sentences_split_like_the_wall_street_journal_text(text):
    assert tokenize(text) == CASES[text]


def test_text_already_in_treebank_tokens_is_unchanged():
    for tokens in CASES.values():
        assert tokenize(" ".join(tokens)) == tokens


def test_tensorflow_string_ops_give_the_same_tokens():
    import tensorflow as tf

    texts = [*CASES, "a//b", "ends with,", "x" * 10_000 + ".", "Wörds, ünïcode's end."]
    graph = tf.constant(texts)
    for pattern, replacement in RULES:
        graph = tf.strings.regex_replace(graph, pattern, replacement)
    assert [[t.decode() for t in row] for row in tf.strings.split(graph).to_list()] == [tokenize(t) for t in texts]
