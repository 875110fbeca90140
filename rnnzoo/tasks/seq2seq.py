"""Sequence to sequence: addition, dates, Multi30k or any parallel files; raw text in, decoded text out.

Sources and targets are tokenized in Python (characters for the synthetic
tasks, words for translation) and mapped to ids with vocabularies built on
the training split (`rnnzoo.preprocessing.vocabulary`: 0 pad, 1 unknown, 2 start, 3 end).
Training pairs longer than `data.max_length` tokens on either side are left
out; the decoder is fed `<start> y_1 ... y_n` and learns `y_1 ... y_n <end>`
(teacher forcing). Batches are bucketed by source length.

Decoding (`decode`) runs greedy or beam search (`rnnzoo.inference.decoding`) and
stops at the end token or after `max_target_length + 10` tokens. Test
metrics: exact-sequence accuracy for the synthetic tasks, corpus BLEU
(sacrebleu) for translation, both over the whole test split.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import numpy as np

from rnnzoo import datasets
from rnnzoo.builders.seq2seq import seq2seq_inference_models
from rnnzoo.preprocessing import batching
from rnnzoo.config import Config
from rnnzoo.inference.decoding import Seq2SeqDecoder, check_search_arguments, search
from rnnzoo.errors import DataError
from rnnzoo.inference.scores import corpus_bleu, exact_accuracy
from rnnzoo.tasks import state_checks as checks
from rnnzoo.tasks.base import DECODE, EXPORT, PREDICT, DecodingTask, Prepared, check_texts
from rnnzoo.tasks.serving import Seq2SeqServing
from rnnzoo.preprocessing.vocabulary import END, PAD, SPECIAL_TOKENS, START, Vocabulary, detokenize, tokenize

logger = logging.getLogger("rnnzoo")

EXTRA_DECODE_STEPS = 10  # decoding may run this many tokens past the longest training target


class Seq2SeqTask(DecodingTask):

    capabilities = frozenset({PREDICT, DECODE, EXPORT})
    serves = "text → text (greedy, or beam; attention weights)"

    def __init__(self, cfg: Config, source_vocabulary: Vocabulary | None = None,
                 target_vocabulary: Vocabulary | None = None, max_target_length: int | None = None):
        super().__init__(cfg)
        self.tokenizer = datasets.info(cfg.data.dataset).tokenizer
        self.source_vocabulary, self.target_vocabulary = source_vocabulary, target_vocabulary
        self.max_target_length = max_target_length
        self._decoders: dict[int, Seq2SeqDecoder] = {}

    # -- data ---------------------------------------------------------------

    def _examples(self, split: str, data_dir, download):
        return datasets.examples(self.cfg, split, data_dir=data_dir, download=download)

    def source_tokens(self, text: str) -> list[str]:
        tokens = tokenize(text.strip(), self.tokenizer)
        return tokens[::-1] if self.cfg.data.reverse_source else tokens

    def _encoded_pairs(self, sources: list[str], targets: list[str]):
        """(source ids, target ids) of the pairs that fit `max_length`, and how many were left out."""
        kept, limit = [], self.cfg.data.max_length
        for source, target in zip(sources, targets):
            s, t = self.source_tokens(source), tokenize(target, self.tokenizer)
            if 0 < len(s) <= limit and 0 < len(t) <= limit:
                kept.append((self.source_vocabulary.encode(s), self.target_vocabulary.encode(t)))
        return kept, len(sources) - len(kept)

    def _batches(self, pairs, *, shuffle: bool):
        import tensorflow as tf

        def ragged(rows):
            return tf.RaggedTensor.from_row_lengths(np.concatenate(rows).astype("int32"), [len(r) for r in rows])

        source = ragged([s for s, _ in pairs])
        target_in = ragged([[START, *t] for _, t in pairs])
        target_out = ragged([[*t, END] for _, t in pairs])
        ds = tf.data.Dataset.from_tensor_slices(({"source": source, "target_in": target_in}, target_out))
        # Unbatched ragged rows arrive as rank-0-ragged specs; the cast makes them plain int32 tensors.
        ds = ds.map(lambda x, y: ({k: tf.cast(v, tf.int32) for k, v in x.items()}, tf.cast(y, tf.int32))).cache()
        return batching.length_bucketed(ds, batch_size=self.cfg.train.batch_size, max_length=self.cfg.data.max_length,
                                        bucket_width=self.cfg.data.bucket_width, shuffle=shuffle,
                                        seed=self.cfg.train.seed, epoch=self.data_epoch.variable)

    def prepare(self, *, data_dir=None, download: bool | None = None) -> Prepared:
        m, d = self.cfg.model, self.cfg.data
        train_sources, train_targets, origin = self._examples("train", data_dir, download)
        test_sources, test_targets, _ = self._examples("test", data_dir, download)
        has_validation = d.validation_fraction > 0 or d.dataset == "multi30k"
        print(f"rnnzoo: building vocabularies on {len(train_sources):,} training pairs", file=sys.stderr)
        self.source_vocabulary = Vocabulary.build((self.source_tokens(s) for s in train_sources),
                                                  max_size=m.vocab_size, min_frequency=d.min_frequency)
        self.target_vocabulary = Vocabulary.build((tokenize(t, self.tokenizer) for t in train_targets),
                                                  max_size=m.target_vocab_size, min_frequency=d.min_frequency)
        train, dropped = self._encoded_pairs(train_sources, train_targets)
        if not train:
            raise DataError(f"No training pair has between 1 and data.max_length={d.max_length} tokens on both sides.")
        self.max_target_length = max(len(t) for _, t in train)
        test, test_dropped = self._encoded_pairs(test_sources, test_targets)
        validation = None
        if has_validation:
            validation, _ = self._encoded_pairs(*self._examples("validation", data_dir, download)[:2])
        return Prepared(
            train=self._batches(train, shuffle=True),
            validation=self._batches(validation, shuffle=False) if validation else None,
            test=self._batches(test, shuffle=False) if test else None,
            num_train=len(train),
            overrides={"vocab_size": len(self.source_vocabulary), "target_vocab_size": len(self.target_vocabulary)},
            target_counts=np.bincount(np.concatenate([[*t, END] for _, t in train]),
                                      minlength=len(self.target_vocabulary)),
            info={"data_source": origin, "train_examples": len(train), "train_pairs_too_long_or_empty": dropped,
                  "validation_examples": len(validation or []), "test_examples": len(test_sources),
                  "test_pairs_outside_max_length_in_loss": test_dropped,
                  "source_vocabulary_size": len(self.source_vocabulary),
                  "target_vocabulary_size": len(self.target_vocabulary)},
            evaluation={"test_examples": (test_sources, test_targets)},
        )

    def test_evaluation(self, *, data_dir=None, download: bool | None = None) -> dict[str, Any]:
        return {"test_examples": self._examples("test", data_dir, download)[:2]}

    def test_split(self, *, data_dir=None, download: bool | None = None):
        pairs, _ = self._encoded_pairs(*self._examples("test", data_dir, download)[:2])
        return self._batches(pairs, shuffle=False)

    # -- state --------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "kind": "seq2seq", "tokenizer": self.tokenizer, "reverse_source": self.cfg.data.reverse_source,
            "max_target_length": self.max_target_length,
            "source_vocabulary": self.source_vocabulary.tokens, "target_vocabulary": self.target_vocabulary.tokens,
        }

    @classmethod
    def from_state(cls, cfg: Config, state: dict[str, Any]) -> "Seq2SeqTask":
        m = cfg.model
        source = checks.tokens(state, "source_vocabulary", most=m.vocab_size, first=SPECIAL_TOKENS)
        target = checks.tokens(state, "target_vocabulary", most=m.target_vocab_size, first=SPECIAL_TOKENS)
        return cls(cfg, Vocabulary(source), Vocabulary(target),
                   checks.integer(state, "max_target_length", low=1, high=checks.MAX_DECODE_LENGTH))

    # -- decoding -----------------------------------------------------------

    def decoder(self, core) -> Seq2SeqDecoder:
        if id(core) not in self._decoders:
            models = seq2seq_inference_models(core, self.cfg)
            self._decoders[id(core)] = Seq2SeqDecoder(models.encoder, models.step,
                                                      attention=self.cfg.model.attention != "none")
        return self._decoders[id(core)]

    def serving_model(self, core) -> Seq2SeqServing:
        """What the exported graph needs: the inference models, vocabularies and limits (`rnnzoo.export.seq2seq`)."""
        return Seq2SeqServing(
            name=self.cfg.name, models=seq2seq_inference_models(core, self.cfg),
            attention=self.cfg.model.attention != "none", tokenizer=self.tokenizer,
            source_tokens=tuple(self.source_vocabulary.tokens), target_tokens=tuple(self.target_vocabulary.tokens),
            reverse_source=self.cfg.data.reverse_source,
            max_output_length=self.max_target_length + EXTRA_DECODE_STEPS)

    def _source_ids(self, texts: list[str], *, truncate: bool = False) -> list[list[int]]:
        """Ids per text; unseen tokens become the unknown id. An empty source is an error.

        A source longer than the training cap (`data.max_length`) is read whole, with one warning
        line: the recurrent encoder reads any length, and a user decoding a file of real sentences
        expects every line decoded. `truncate=True` cuts it to the cap instead, silently (the test
        metrics score what training saw).
        """
        rows, limit = [], self.cfg.data.max_length
        for index, text in enumerate(texts):
            ids = self.source_vocabulary.encode(self.source_tokens(text))
            if not ids:
                raise DataError(f"Input {index} is empty: a source needs at least one token. Received: {text!r}")
            if len(ids) > limit:
                if truncate:
                    ids = ids[:limit]
                else:
                    logger.warning("rnnzoo: input %d has %d tokens, more than the model was trained on "
                                   "(data.max_length=%d); decoding all of it", index, len(ids), limit)
            rows.append(ids)
        return rows

    def decode(self, core, inputs, *, beam_width: int = 1, max_length: int | None = None,
               length_penalty: float = 1.0, batch_size: int = 128, return_attention: bool = False,
               truncate: bool = False) -> list[dict[str, Any]]:
        """One result per input text, in order: `output` (text), `tokens`, `score` (log-probability), `ended`."""
        texts = check_texts(inputs)
        max_length = self.max_target_length + EXTRA_DECODE_STEPS if max_length is None else max_length
        check_search_arguments(beam_width, max_length)
        rows = self._source_ids(texts, truncate=truncate)
        decoder = self.decoder(core)
        order = np.argsort([len(r) for r in rows], kind="stable")  # similar lengths together: less padding
        results: list[dict[str, Any] | None] = [None] * len(rows)
        for start in range(0, len(rows), batch_size):
            chosen = order[start:start + batch_size]
            width = max(len(rows[i]) for i in chosen)
            source = np.zeros((len(chosen), width), dtype="int32")
            for line, i in enumerate(chosen):
                source[line, : len(rows[i])] = rows[i]
            found = search(decoder.step, decoder.encode(source), beam_width=beam_width, start_id=START, end_id=END,
                           max_length=max_length, length_penalty=length_penalty, banned=(PAD, START))
            for line, i in enumerate(chosen):
                tokens = self.target_vocabulary.decode(found[line]["tokens"])
                results[i] = {"source": texts[i], "output": detokenize(tokens, self.tokenizer), "tokens": tokens,
                              "score": found[line]["score"], "ended": found[line]["ended"]}
                if return_attention:
                    results[i]["attention"] = decoder.attention_weights(
                        np.asarray(rows[i]), found[line]["tokens"], START).tolist()
        return results

    def sequence_metrics(self, core, sources: list[str], targets: list[str], *, beam_width: int = 1,
                         **decode_options) -> dict[str, Any]:
        """Exact-sequence accuracy (synthetic tasks) or corpus BLEU (translation) of decoded sources."""
        outputs = [r["output"] for r in self.decode(core, sources, beam_width=beam_width, truncate=True,
                                                    **decode_options)]
        references = [detokenize(tokenize(t, self.tokenizer), self.tokenizer) for t in targets]
        suffix = "" if beam_width == 1 else f"_beam{beam_width}"
        if self.tokenizer == "chars":
            return {f"exact_accuracy{suffix}": exact_accuracy(outputs, [[r] for r in references])}
        # Both sides are lower-cased and split into rnnzoo's word tokens, then scored with sacrebleu's 13a.
        score, signature = corpus_bleu(outputs, [[r] for r in references])
        return {f"bleu{suffix}": score, "bleu_signature": signature}

    def summary_metrics(self, model, prepared: Prepared) -> dict[str, Any]:
        """Exact-sequence accuracy or BLEU of greedy decoding over the test split."""
        if "test_examples" not in prepared.evaluation:
            return {}
        metrics = self.sequence_metrics(model, *prepared.evaluation["test_examples"])
        return {f"test_{k}" if not k.endswith("signature") else k: v for k, v in metrics.items()}
