"""Sequence tagging (CoNLL-2000): a tag for every word, part of speech (`target="pos"`) or IOB2 chunk (`"chunk"`).

Inputs per word, all with vocabularies built on the training split only:
- the word id: lower-cased, digits mapped to 0, training words rarer than
  `data.min_frequency` and words never seen in training share the unknown
  id 1 (so the unknown embedding is trained, on rare words);
- with `model.char_embedding_dim > 0`, the word's characters (case kept) for
  the character CNN: the spelling of an unknown word still speaks;
- with `model.tag_feature_dim > 0` and `target="chunk"`, the given POS
  column (as the shared task's systems used it). With `target="pos"` that
  column is the answer, so it is never an input.

Targets are tag ids (id 0 is reserved for a tag never seen in training), the
masks keep padded words out of the loss and accuracy. After training,
metrics.json gets `test_token_accuracy` and, for chunks, conlleval's span
`test_chunk_f1` (with precision and recall), computed from the tag strings.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from rnnzoo import datasets
from rnnzoo.builders.aligned import crf_layer
from rnnzoo.preprocessing import batching, treebank
from rnnzoo.tasks import tagging_metrics
from rnnzoo.config import Config
from rnnzoo.inference.viterbi import viterbi
from rnnzoo.tasks.tagging_metrics import iob_transition_mask
from rnnzoo.datasets import conll2000
from rnnzoo.datasets.conll2000 import Sentence
from rnnzoo.errors import DataError
from rnnzoo.tasks import state_checks as checks
from rnnzoo.tasks.char_lm import RESERVED, CharVocabulary
from rnnzoo.preprocessing.vocabulary import SPECIAL_TOKENS, Vocabulary
from rnnzoo.tasks.base import EXPORT, PREDICT, Prepared, Task, check_texts
from rnnzoo.tasks.serving import TaggerServing

UNSEEN_TAG = "<unseen>"  # target id 0: a gold tag that the training split never had
MAX_WORD_CHARS = 20      # longer words keep their first and last 10 characters (prefixes and suffixes)
_DIGIT = re.compile(r"\d")


def word_key(word: str) -> str:
    """The word-vocabulary form of a word: lower-cased, every digit 0."""
    return _DIGIT.sub("0", word.lower())


def clip_word(word: str) -> str:
    half = MAX_WORD_CHARS // 2
    return word if len(word) <= MAX_WORD_CHARS else word[:half] + word[-half:]


class TaggingTask(Task):
    capabilities = frozenset({PREDICT, EXPORT})
    serves = "sentence → tags (word/POS tokens if the model reads POS)"
    supports_embedding_init = True
    state_description = "the vocabularies"

    def __init__(self, cfg: Config, tables: dict[str, Any] | None = None):
        super().__init__(cfg)
        self.tables = tables  # the vocabularies and tag list, as lists (what state() saves)
        if tables is not None:
            self._cache_lookups()

    # ---- what the model reads -----------------------------------------------------------------

    @property
    def uses_chars(self) -> bool:
        return self.cfg.model.char_embedding_dim > 0

    @property
    def uses_pos(self) -> bool:
        return self.cfg.model.tag_feature_dim > 0 and self.cfg.data.target == "chunk"

    def _targets(self, sentence: Sentence) -> tuple[str, ...]:
        return sentence.pos if self.cfg.data.target == "pos" else sentence.chunks

    def _build_state(self, train: list[Sentence]) -> None:
        d = self.cfg.data
        words = Vocabulary.build(([word_key(w) for w in s.words] for s in train),
                                 max_size=self.cfg.model.vocab_size, min_frequency=d.min_frequency)
        self.tables = {
            "target": d.target,
            "words": words.tokens,
            "characters": CharVocabulary.from_text("".join(w for s in train for w in s.words)).characters,
            "pos": Vocabulary.build((s.pos for s in train), max_size=1000).tokens,
            "tags": [UNSEEN_TAG, *sorted({t for s in train for t in self._targets(s)})],
        }
        self._cache_lookups()

    def _cache_lookups(self) -> None:
        self.words = Vocabulary(self.tables["words"])
        self.characters = CharVocabulary(self.tables["characters"])
        self.pos = Vocabulary(self.tables["pos"])
        self.tags = self.tables["tags"]
        self.tag_ids = {t: i for i, t in enumerate(self.tags)}

    def encode(self, words, pos=None) -> dict[str, np.ndarray] | np.ndarray:
        """The model inputs of one sentence: word ids, plus character ids and POS ids when the model reads them."""
        ids = np.asarray(self.words.encode([word_key(w) for w in words]), dtype=np.int32)
        if not (self.uses_chars or self.uses_pos):
            return ids
        inputs = {"inputs": ids}
        if self.uses_chars:
            clipped = [clip_word(w) for w in words]
            chars = np.zeros((len(words), max([len(w) for w in clipped] + [1])), dtype=np.int32)
            for row, word in enumerate(clipped):
                chars[row, :len(word)] = self.characters.encode(word)
            inputs["chars"] = chars
        if self.uses_pos:
            inputs["tag_features"] = np.asarray(self.pos.encode(list(pos)), dtype=np.int32)
        return inputs

    def _signature(self):
        word = tf.TensorSpec((None,), tf.int32)
        if not (self.uses_chars or self.uses_pos):
            return word
        spec = {"inputs": word}
        if self.uses_chars:
            spec["chars"] = tf.TensorSpec((None, None), tf.int32)
        if self.uses_pos:
            spec["tag_features"] = tf.TensorSpec((None,), tf.int32)
        return spec

    def _batches(self, sentences: list[Sentence], *, shuffle: bool):
        limit = self.cfg.data.max_length

        def examples():
            for s in sentences:
                targets = np.asarray([self.tag_ids.get(t, 0) for t in self._targets(s)], dtype=np.int32)
                inputs = self.encode(s.words[:limit], s.pos[:limit])
                yield inputs, targets[:limit]

        ds = tf.data.Dataset.from_generator(
            examples, output_signature=(self._signature(), tf.TensorSpec((None,), tf.int32))).cache()
        return batching.length_bucketed(ds, batch_size=self.cfg.train.batch_size, max_length=limit,
                                        bucket_width=self.cfg.data.bucket_width, shuffle=shuffle,
                                        seed=self.cfg.train.seed, epoch=self.data_epoch.variable)

    # ---- data -----------------------------------------------------------------------------------

    def _load(self, split: str, data_dir) -> tuple[list[Sentence], str]:
        words, targets, origin = datasets.examples(self.cfg, split, data_dir=data_dir)
        return conll2000.sentences(words, targets), origin

    def prepare(self, *, data_dir=None, download: bool | None = None) -> Prepared:
        train, origin = self._load("train", data_dir)
        test, _ = self._load("test", data_dir)
        validation = self._load("validation", data_dir)[0] if self.cfg.data.validation_fraction > 0 else []
        self._build_state(train)
        overrides = {"vocab_size": len(self.words), "num_classes": len(self.tags),
                     "char_vocab_size": self.characters.size, "tag_feature_vocab_size": len(self.pos)}
        if self.cfg.model.tag_feature_dim > 0 and not self.uses_pos:
            print("rnnzoo: target=pos: the POS column is the answer, so it is not an input (tag_feature_dim=0)",
                  file=sys.stderr)
            overrides["tag_feature_dim"] = 0
        print(f"rnnzoo: {len(train):,} training sentences, {len(self.words):,} word ids, "
              f"{len(self.tags) - 1} {self.cfg.data.target} tags", file=sys.stderr)
        info = {"data_source": origin, "target": self.cfg.data.target, "train_sentences": len(train),
                "validation_sentences": len(validation), "test_sentences": len(test),
                "train_tokens": sum(len(s.words) for s in train), "vocabulary_size": len(self.words)}
        # A generator: the ids are computed only when the vectors are.
        initial_weights = self.embedding_start((self.words.encode([word_key(w) for w in s.words]) for s in train),
                                               len(self.words), info)
        return Prepared(
            train=self._batches(train, shuffle=True),
            validation=self._batches(validation, shuffle=False) if validation else None,
            test=self._batches(test, shuffle=False),
            num_train=len(train),
            overrides=overrides,
            info=info,
            initial_weights=initial_weights,
            evaluation={"test_sentences": test},
        )

    def test_split(self, *, data_dir=None, download: bool | None = None):
        return self._batches(self._load("test", data_dir)[0], shuffle=False)

    def tag(self, core, sentences: list[tuple[list[str], list[str] | None]], batch_size: int = 64) -> list[list[str]]:
        """Predicted tags of (words, POS or None) sentences, in order; sentences are padded per batch.

        Each sentence's tags are its best whole sequence (`crf.viterbi`): under
        the CRF's learned transitions where the model has one, and for IOB
        chunk tags only well-formed sequences (`I-X` continues an `X` chunk).
        A softmax tagger of unconstrained tags gets its per-word best tags.
        """
        # One traced graph for every batch shape (an eager call runs the recurrent loop step by step in Python).
        forward = tf.function(lambda x: core(x, training=False), reduce_retracing=True)
        crf = crf_layer(core)
        transitions, start, end = self._decoding_potentials(crf)
        results = []
        for first in range(0, len(sentences), batch_size):
            batch = sentences[first:first + batch_size]
            encoded = [self.encode(words, pos) for words, pos in batch]
            scores = np.asarray(forward(_pad(encoded)), dtype="float64")
            if crf is None:  # softmax probabilities to log scores
                scores = np.log(np.clip(scores, 1e-30, 1.0))
            for row, (words, _) in enumerate(batch):
                path = viterbi(scores[row, :len(words)], transitions, start, end)
                results.append([self.tags[i] for i in path])
        return results

    def _decoding_potentials(self, crf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(transitions, start, end) scores for Viterbi: the CRF layer's if any, IOB constraints for chunk tags."""
        count = len(self.tags)
        transitions, start, end = np.zeros((count, count)), np.zeros(count), np.zeros(count)
        if crf is not None:
            transitions, start, end = (np.asarray(keras.ops.convert_to_numpy(v), dtype="float64")
                                       for v in (crf.transitions, crf.start, crf.end))
        if self.cfg.data.target == "chunk":
            allowed_transitions, allowed_start = iob_transition_mask(self.tags)
            transitions, start = transitions + allowed_transitions, start + allowed_start
        else:  # never predict the reserved unseen-tag id
            transitions[:, 0] = start[0] = -np.inf
        return transitions, start, end

    def summary_metrics(self, model, prepared: Prepared) -> dict[str, Any]:
        """Token accuracy and (chunks) conlleval span scores on the whole test split, from tag strings."""
        sentences = prepared.evaluation.get("test_sentences")
        if not sentences:
            return {}
        predicted = self.tag(model, [(list(s.words), list(s.pos)) for s in sentences])
        gold = [self._targets(s) for s in sentences]
        metrics = {"test_token_accuracy": tagging_metrics.token_accuracy(gold, predicted)}
        if self.cfg.data.target == "chunk":
            scores = tagging_metrics.chunk_scores(gold, predicted)
            metrics.update({f"test_chunk_{k}": v for k, v in scores.items()})
        return metrics

    # ---- state ----------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {"kind": "tagging", **self.tables}

    @classmethod
    def from_state(cls, cfg: Config, state: dict[str, Any]) -> "TaggingTask":
        m = cfg.model
        return cls(cfg, {
            "target": checks.choice(state, "target", ("pos", "chunk")),
            "words": checks.tokens(state, "words", most=m.vocab_size, first=SPECIAL_TOKENS),
            "characters": checks.tokens(state, "characters", most=m.char_vocab_size - RESERVED, single_characters=True),
            "pos": checks.tokens(state, "pos", most=m.tag_feature_vocab_size, first=SPECIAL_TOKENS),
            "tags": checks.tokens(state, "tags", most=m.num_classes, first=(UNSEEN_TAG,)),
        })

    # ---- prediction -----------------------------------------------------------------------------

    def _parse(self, text: str) -> tuple[list[str], list[str] | None]:
        """Words as CoNLL-2000 writes them (Penn Treebank tokens); a chunker that reads POS wants word/POS tokens."""
        tokens = text.split() if self.uses_pos else treebank.tokenize(text)
        if not tokens:
            raise DataError("Cannot tag an empty text: pass at least one word (words separated by spaces).")
        if not self.uses_pos:
            return tokens, None
        pairs = [token.rpartition("/") for token in tokens]
        bad = [token for token, (word, slash, _) in zip(tokens, pairs) if not (slash and word)]
        if bad:
            raise DataError("This chunker reads each word's part of speech: write tokens as word/POS "
                            f"(e.g. He/PRP reckons/VBZ). Received: {bad[0]!r}")
        return [word for word, _, _ in pairs], [pos for _, _, pos in pairs]

    def predict(self, core, inputs) -> list[dict[str, Any]]:
        texts = check_texts(inputs)
        parsed = [self._parse(text) for text in texts]
        tags = self.tag(core, parsed)
        return [{"text": text, "words": words, "tags": sentence_tags}
                for text, (words, _), sentence_tags in zip(texts, parsed, tags)]

    @staticmethod
    def format_prediction(prediction: dict[str, Any]) -> str:
        return " ".join(f"{word}/{tag}" for word, tag in zip(prediction["words"], prediction["tags"]))

    def serving_model(self, core) -> TaggerServing:
        """The core, the vocabularies and the Viterbi potentials of `tag` (`rnnzoo.export.tagging`)."""
        crf = crf_layer(core)
        transitions, start, end = self._decoding_potentials(crf)
        return TaggerServing(
            name=self.cfg.name, core=core, words=tuple(self.words.tokens),
            characters=tuple(self.characters.characters) if self.uses_chars else None,
            pos=tuple(self.pos.tokens), reads_pos=self.uses_pos, tags=tuple(self.tags), softmax=crf is None,
            transitions=transitions, start=start, end=end, max_word_chars=MAX_WORD_CHARS)


def _pad(encoded: list) -> dict[str, np.ndarray] | np.ndarray:
    """Right-pads a list of encoded sentences (arrays, or dicts of arrays) into one batch."""
    if isinstance(encoded[0], dict):
        return {key: _pad([e[key] for e in encoded]) for key in encoded[0]}
    shape = tuple(max(e.shape[axis] for e in encoded) for axis in range(encoded[0].ndim))
    batch = np.zeros((len(encoded), *shape), dtype=np.int32)
    for row, array in enumerate(encoded):
        batch[(row, *(slice(0, n) for n in array.shape))] = array
    return batch
