"""Scores of decoded text against references: exact match and corpus BLEU (sacrebleu).

Every output may have several references (a Flickr image has five captions);
an output counts as exact if it equals any of them.
"""

from __future__ import annotations

from typing import Sequence


def exact_accuracy(outputs: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    """Share of outputs equal to one of their references."""
    if not outputs:
        return 0.0
    return sum(output in refs for output, refs in zip(outputs, references)) / len(outputs)


def corpus_bleu(outputs: Sequence[str], references: Sequence[Sequence[str]]) -> tuple[float, str]:
    """Corpus BLEU (sacrebleu, 13a tokenization) and its signature; any number of references per output.

    sacrebleu wants the same number of references for every output, so a
    shorter list repeats its first reference: a repeated reference changes
    neither the clipped n-gram counts (a maximum over references) nor the
    closest reference length.
    """
    import sacrebleu

    width = max(len(refs) for refs in references)
    padded = [list(refs) + [refs[0]] * (width - len(refs)) for refs in references]
    # `force`: rnnzoo scores lower-cased, word-tokenized text on purpose (as Multi30k results are usually
    # reported); without it sacrebleu warns that the text looks tokenized.
    bleu = sacrebleu.metrics.BLEU(force=True)
    score = bleu.corpus_score(list(outputs), [list(stream) for stream in zip(*padded)])
    return float(score.score), str(bleu.get_signature())
