"""What a task hands to `rnnzoo.export`: the models and the plain facts its served graph needs.

A served model takes raw inputs and returns the final answer, and most
answers need more than one forward pass: a search loop (seq2seq,
captioning), generation (a language model), Viterbi (taggers), or input
features and a label lookup around the model. A task describes them here
(its trained or inference models, vocabularies, limits, scales) and
`rnnzoo.export` writes the TensorFlow graph around the models. Descriptions
hold Keras models but import nothing heavy: `rnnzoo.export` is imported by
the CLI at start-up.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # importing rnnzoo.export (the CLI does) must not load Keras
    from rnnzoo.builders.common import InferenceModels


@dataclasses.dataclass(frozen=True)
class GraphServing:
    """What every description shares: the named model, its graph module, and what a `.keras` file can hold.

    `writer` names the `rnnzoo.export` function that writes the SavedModel;
    `keras_model()` is the one Keras model a `.keras` export holds, or None
    when the served answer needs the graph (`loop` says what, for the refusal).
    """

    writer: ClassVar[str]
    loop: ClassVar[str] = ""
    name: str

    def keras_model(self):
        return None


@dataclasses.dataclass(frozen=True)
class Seq2SeqServing(GraphServing):
    """A seq2seq run as the exported graph needs it (`rnnzoo.export.seq2seq`).

    Attributes:
        models: the encoder and one-step decoder (`rnnzoo.builders.seq2seq.seq2seq_inference_models`).
        attention: whether the step model returns attention scores.
        tokenizer: "chars" or "words" (`rnnzoo.preprocessing.vocabulary.tokenize`).
        source_tokens, target_tokens: the vocabularies, index = id (pad, unknown, start, end first).
        reverse_source: the source tokens are fed in reverse order.
        max_output_length: decoding stops after this many tokens without the end token.
    """

    writer: ClassVar[str] = "seq2seq:write_seq2seq"
    loop: ClassVar[str] = "a search loop"
    models: InferenceModels
    attention: bool
    tokenizer: str
    source_tokens: tuple[str, ...]
    target_tokens: tuple[str, ...]
    reverse_source: bool
    max_output_length: int


@dataclasses.dataclass(frozen=True)
class CharLanguageModelServing(GraphServing):
    """A character language model as the exported graph needs it (`rnnzoo.export.char_lm`).

    Attributes:
        next_character: raw strings -> next-character probabilities (the `serve` signature, and the `.keras` export).
        step: `[ids (batch, t), *states] -> [logits (batch, t, vocab), *states]`
            (`rnnzoo.builders.aligned.aligned_inference_models`).
        characters: the vocabulary, id 2 onwards (0 padding, 1 out-of-vocabulary).
        start_logits: the first character's logits after an empty prompt (by id).
    """

    writer: ClassVar[str] = "char_lm:write_char_lm"
    next_character: Any
    step: Any
    characters: tuple[str, ...]
    start_logits: tuple[float, ...]

    def keras_model(self):
        return self.next_character


@dataclasses.dataclass(frozen=True)
class TaggerServing(GraphServing):
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

    writer: ClassVar[str] = "tagging:write_tagger"
    loop: ClassVar[str] = "Viterbi decoding"
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
class ClassifierServing(GraphServing):
    """A text classifier as the exported graph needs it (`rnnzoo.export.classifier`).

    Attributes:
        raw_text: raw strings -> the core's scores (the `serve` signature, and the `.keras` export).
        labels: the class names by index; a single sigmoid score is P(labels[1]).
    """

    writer: ClassVar[str] = "classifier:write_classifier"
    raw_text: Any
    labels: tuple[str, ...]

    def keras_model(self):
        return self.raw_text


@dataclasses.dataclass(frozen=True)
class CaptionServing(GraphServing):
    """A captioner as the exported graph needs it (`rnnzoo.export.captioning`).

    Attributes:
        models: the condition encoder and one-step decoder (`rnnzoo.builders.one_to_many`).
        image_size, image_channels: what the model reads, (size, size, channels).
        target_tokens: the caption vocabulary, index = id.
        max_output_length: decoding stops after this many words without the end token.
    """

    writer: ClassVar[str] = "captioning:write_captioner"
    loop: ClassVar[str] = "a search loop"
    models: "InferenceModels"
    image_size: int
    image_channels: int
    target_tokens: tuple[str, ...]
    max_output_length: int


@dataclasses.dataclass(frozen=True)
class TrackerServing(GraphServing):
    """A tracker as the exported graph needs it (`rnnzoo.export.tracking`): the core and the position scale."""

    writer: ClassVar[str] = "tracking:write_tracker"
    loop: ClassVar[str] = "input features computed from raw detections"
    core: Any
    scale: float
