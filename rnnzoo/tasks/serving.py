"""What a task hands to `rnnzoo.export` when its served graph decodes: the models and the facts of its text.

A classifier serves a Keras model (preprocessing in front of the trained
core). A decoding task cannot: its search loop is not a layer. It declares
instead what the graph needs, the builders' inference models and its
preprocessing as plain values, and `rnnzoo.export` writes the tokenization,
the search and the detokenization around them into the SavedModel.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importing rnnzoo.export (the CLI does) must not load Keras
    from rnnzoo.builders.common import InferenceModels


@dataclasses.dataclass(frozen=True)
class Seq2SeqServing:
    """A seq2seq run as the exported graph needs it (`rnnzoo.export.seq2seq`).

    Attributes:
        models: the encoder and one-step decoder (`rnnzoo.builders.seq2seq.seq2seq_inference_models`).
        attention: whether the step model returns attention scores.
        tokenizer: "chars" or "words" (`rnnzoo.preprocessing.vocabulary.tokenize`).
        source_tokens, target_tokens: the vocabularies, index = id (pad, unknown, start, end first).
        reverse_source: the source tokens are fed in reverse order.
        max_source_length: longer sources keep their first this many (fed) tokens, as `decode(truncate=True)`.
        max_output_length: decoding stops after this many tokens without the end token.
    """

    name: str
    models: InferenceModels
    attention: bool
    tokenizer: str
    source_tokens: tuple[str, ...]
    target_tokens: tuple[str, ...]
    reverse_source: bool
    max_source_length: int
    max_output_length: int


@dataclasses.dataclass(frozen=True)
class CharLanguageModelServing:
    """A character language model as the exported graph needs it (`rnnzoo.export.char_lm`).

    Attributes:
        next_character: raw strings -> next-character probabilities (the `serve` signature, and the `.keras` export).
        step: `[ids (batch, t), *states] -> [logits (batch, t, vocab), *states]`
            (`rnnzoo.builders.aligned.aligned_inference_models`).
        characters: the vocabulary, id 2 onwards (0 padding, 1 out-of-vocabulary).
        start_logits: the first character's logits after an empty prompt (by id).
    """

    name: str
    next_character: Any
    step: Any
    characters: tuple[str, ...]
    start_logits: tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class TaggerServing:
    """A tagger as the exported graph needs it (`rnnzoo.export.tagging`).

    Attributes:
        core: the trained model (word ids, and `chars` / `tag_features` when it reads them).
        words, pos: the word and POS vocabularies (`Vocabulary` tokens: pad, unknown, start, end first).
        characters: the character vocabulary, id 2 onwards; None when the model reads no characters.
        reads_pos: tokens are `word/POS` and the POS is an input.
        tags: the tag strings by id.
        softmax: the model gives probabilities (their logs are the scores); else CRF emissions.
        transitions, start, end: the Viterbi potentials (float64 arrays; -inf where IOB forbids).
        max_word_chars: longer words keep their first and last half of this many characters.
    """

    name: str
    core: Any
    words: tuple[str, ...]
    characters: tuple[str, ...] | None
    pos: tuple[str, ...]
    reads_pos: bool
    tags: tuple[str, ...]
    softmax: bool
    transitions: Any
    start: Any
    end: Any
    max_word_chars: int


@dataclasses.dataclass(frozen=True)
class ClassifierServing:
    """A text classifier as the exported graph needs it (`rnnzoo.export.classifier`).

    Attributes:
        raw_text: raw strings -> the core's scores (the `serve` signature, and the `.keras` export).
        labels: the class names by index; a single sigmoid score is P(labels[1]).
    """

    name: str
    raw_text: Any
    labels: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class CaptionServing:
    """A captioner as the exported graph needs it (`rnnzoo.export.captioning`).

    Attributes:
        models: the condition encoder and one-step decoder (`rnnzoo.builders.one_to_many`).
        image_size, image_channels: what the model reads, (size, size, channels).
        target_tokens: the caption vocabulary, index = id.
        max_output_length: decoding stops after this many words without the end token.
    """

    name: str
    models: "InferenceModels"
    image_size: int
    image_channels: int
    target_tokens: tuple[str, ...]
    max_output_length: int


@dataclasses.dataclass(frozen=True)
class TrackerServing:
    """A tracker as the exported graph needs it (`rnnzoo.export.tracking`): the core and the position scale."""

    name: str
    core: Any
    scale: float
