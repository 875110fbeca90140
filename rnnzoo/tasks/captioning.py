"""Image captioning (one-to-many): synthetic scenes or a Flickr-layout folder; images in, captions out.

Captions are lower-cased words (`rnnzoo.preprocessing.vocabulary`, ids 0 padding,
1 unknown, 2 start, 3 end), with the vocabulary built on the training
captions only. Every (image, caption) pair is a training example: the
decoder is fed `<start> w_1 ... w_n` next to the image and learns
`w_1 ... w_n <end>` (teacher forcing); captions longer than `data.max_length`
words are left out of training.

Decoding (`decode`, `rnnzoo decode RUN image.png`) encodes each image once and
runs the shared greedy or beam search of `rnnzoo.inference.decoding` over the one-step
decoder (`CaptionDecoder`), until the end token or the longest training
caption + 10 words. Test metrics over the whole test split, greedy:
exact-caption accuracy (the output equals one of the image's captions) and
corpus BLEU (sacrebleu, all of an image's captions as references).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from rnnzoo import datasets
from rnnzoo.builders.one_to_many import one_to_many_inference_models
from rnnzoo.preprocessing import batching
from rnnzoo.config import Config
from rnnzoo.datasets.images import fit_image, read_image
from rnnzoo.inference.decoding import CaptionDecoder, check_search_arguments, search
from rnnzoo.errors import ConfigError, DataError
from rnnzoo.inference.scores import corpus_bleu, exact_accuracy
from rnnzoo.tasks import state_checks as checks
from rnnzoo.preprocessing.vocabulary import END, PAD, SPECIAL_TOKENS, START, Vocabulary, detokenize, tokenize
from rnnzoo.tasks.base import DECODE, EXPORT, PREDICT, DecodingTask, Prepared
from rnnzoo.tasks.serving import CaptionServing

EXTRA_DECODE_STEPS = 10  # decoding may run this many words past the longest training caption


class CaptioningTask(DecodingTask):
    capabilities = frozenset({PREDICT, DECODE, EXPORT})
    serves = "PNG/JPEG bytes → caption (greedy, or beam)"
    state_description = "the vocabulary"

    def __init__(self, cfg: Config, vocabulary: Vocabulary | None = None, max_caption_length: int | None = None):
        super().__init__(cfg)
        self.vocabulary, self.max_caption_length = vocabulary, max_caption_length
        self._decoders: dict[int, CaptionDecoder] = {}

    # -- data ---------------------------------------------------------------

    def examples(self, split: str, data_dir=None) -> tuple[np.ndarray, list[list[str]], str]:
        """Images (n, size, size, channels) uint8, the captions of each image, and where they came from."""
        m, d = self.cfg.model, self.cfg.data
        if m.condition_input != "image":
            raise ConfigError(f"Task {self.cfg.task!r} trains on images: it needs model.condition_input='image'. "
                              f"Received: condition_input={m.condition_input!r}")
        if d.dataset == "scenes" and m.image_channels != 3:
            raise ConfigError(f"Synthetic scenes are RGB: they need model.image_channels=3. "
                              f"Received: image_channels={m.image_channels}")
        return datasets.examples(self.cfg, split, data_dir=data_dir)

    def _pairs(self, captions: list[list[str]]) -> tuple[list[tuple[int, list[int]]], int]:
        """(image index, caption ids) of every caption that fits `max_length`, and how many did not."""
        pairs, limit, total = [], self.cfg.data.max_length, 0
        for index, references in enumerate(captions):
            for text in references:
                total += 1
                ids = self.vocabulary.encode(tokenize(text, "words"))
                if 0 < len(ids) <= limit:
                    pairs.append((index, ids))
        return pairs, total - len(pairs)

    def _batches(self, images: np.ndarray, pairs, *, shuffle: bool):
        import tensorflow as tf

        def ragged(rows):
            return tf.RaggedTensor.from_row_lengths(np.concatenate(rows).astype("int32"), [len(r) for r in rows])

        pixels = tf.constant(images)  # each image once, however many captions it has
        ds = tf.data.Dataset.from_tensor_slices((np.asarray([i for i, _ in pairs], dtype="int32"),
                                                 ragged([[START, *ids] for _, ids in pairs]),
                                                 ragged([[*ids, END] for _, ids in pairs])))
        if shuffle:
            ds = batching.permuted(ds, self.cfg.train.seed, self.data_epoch.variable)  # order: (seed, epoch)
        ds = ds.map(lambda i, tokens, targets: (
            {"condition": tf.cast(tf.gather(pixels, i), tf.float32), "tokens": tf.cast(tokens, tf.int32)},
            tf.cast(targets, tf.int32)), num_parallel_calls=tf.data.AUTOTUNE)
        return ds.padded_batch(self.cfg.train.batch_size).prefetch(tf.data.AUTOTUNE)

    def prepare(self, *, data_dir=None, download: bool | None = None) -> Prepared:
        m, d = self.cfg.model, self.cfg.data
        train_images, train_captions, origin = self.examples("train", data_dir)
        test_images, test_captions, _ = self.examples("test", data_dir)
        print(f"rnnzoo: building the caption vocabulary on {len(train_images):,} training images", file=sys.stderr)
        self.vocabulary = Vocabulary.build((tokenize(c, "words") for refs in train_captions for c in refs),
                                           max_size=m.target_vocab_size)
        train, dropped = self._pairs(train_captions)
        if not train:
            raise DataError(f"No training caption has between 1 and data.max_length={d.max_length} words.")
        self.max_caption_length = max(len(ids) for _, ids in train)
        test, _ = self._pairs(test_captions)
        validation = None
        if d.validation_fraction > 0:
            validation_images, validation_captions, _ = self.examples("validation", data_dir)
            pairs, _ = self._pairs(validation_captions)
            validation = self._batches(validation_images, pairs, shuffle=False) if pairs else None
        return Prepared(
            train=self._batches(train_images, train, shuffle=True),
            validation=validation,
            test=self._batches(test_images, test, shuffle=False) if test else None,
            num_train=len(train),
            overrides={"target_vocab_size": len(self.vocabulary)},
            info={"data_source": origin, "train_images": len(train_images), "train_examples": len(train),
                  "train_captions_too_long_or_empty": dropped, "test_images": len(test_images),
                  "vocabulary_size": len(self.vocabulary), "longest_train_caption": self.max_caption_length},
            evaluation={"test_images": test_images, "test_captions": test_captions},
        )

    def test_evaluation(self, *, data_dir=None, download: bool | None = None) -> dict[str, Any]:
        images, captions, _ = self.examples("test", data_dir)
        return {"test_images": images, "test_captions": captions}

    def test_split(self, *, data_dir=None, download: bool | None = None):
        images, captions, _ = self.examples("test", data_dir)
        return self._batches(images, self._pairs(captions)[0], shuffle=False)

    # -- state --------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {"kind": "captioning", "max_caption_length": self.max_caption_length,
                "vocabulary": self.vocabulary.tokens}

    @classmethod
    def from_state(cls, cfg: Config, state: dict[str, Any]) -> "CaptioningTask":
        vocabulary = checks.tokens(state, "vocabulary", most=cfg.model.target_vocab_size, first=SPECIAL_TOKENS)
        return cls(cfg, Vocabulary(vocabulary),
                   checks.integer(state, "max_caption_length", low=1, high=checks.MAX_DECODE_LENGTH))

    # -- decoding -----------------------------------------------------------

    def decoder(self, core) -> CaptionDecoder:
        if id(core) not in self._decoders:
            models = one_to_many_inference_models(core, self.cfg)
            self._decoders[id(core)] = CaptionDecoder(models.encoder, models.step)
        return self._decoders[id(core)]

    def serving_model(self, core) -> CaptionServing:
        """What the exported graph needs: the inference models, the image shape, the vocabulary, the length cap."""
        m = self.cfg.model
        return CaptionServing(name=self.cfg.name, models=one_to_many_inference_models(core, self.cfg),
                              image_size=m.image_size, image_channels=m.image_channels,
                              target_tokens=tuple(self.vocabulary.tokens),
                              max_output_length=self.max_caption_length + EXTRA_DECODE_STEPS)

    def images(self, inputs) -> np.ndarray:
        """Image files (paths) or arrays, as a batch the model takes: (n, size, size, channels) uint8."""
        m = self.cfg.model
        if isinstance(inputs, np.ndarray) and inputs.ndim == 4:
            inputs = list(inputs)
        elif isinstance(inputs, (str, Path, np.ndarray)):
            inputs = [inputs]
        inputs = list(inputs)
        if not inputs:
            raise DataError("No images to caption: pass at least one image file or array.")
        batch = []
        for index, item in enumerate(inputs):
            if isinstance(item, (str, Path)):
                batch.append(read_image(item, m.image_size, m.image_channels))
            elif isinstance(item, np.ndarray):
                batch.append(fit_image(item, m.image_size, m.image_channels, name=f"inputs[{index}]"))
            else:
                raise DataError(f"Captioning inputs are image file paths or arrays. "
                                f"Received: inputs[{index}] of type {type(item).__name__}")
        return np.stack(batch)

    def decode(self, core, inputs, *, beam_width: int = 1, max_length: int | None = None,
               length_penalty: float = 1.0, batch_size: int = 128) -> list[dict[str, Any]]:
        """One caption per image (file path or array), in order: `output` (text), `tokens`, `score`, `ended`."""
        max_length = self.max_caption_length + EXTRA_DECODE_STEPS if max_length is None else max_length
        check_search_arguments(beam_width, max_length)
        images = self.images(inputs)
        decoder = self.decoder(core)
        results = []
        for start in range(0, len(images), batch_size):
            found = search(decoder.step, decoder.encode(images[start:start + batch_size]), beam_width=beam_width,
                           start_id=START, end_id=END, max_length=max_length, length_penalty=length_penalty,
                           banned=(PAD, START))
            for row in found:
                tokens = self.vocabulary.decode(row["tokens"])
                results.append({"output": detokenize(tokens, "words"), "tokens": tokens, "score": row["score"],
                                "ended": row["ended"]})
        return results

    def caption_metrics(self, core, images: np.ndarray, captions: list[list[str]], *, beam_width: int = 1,
                        **decode_options) -> dict[str, Any]:
        """Exact-caption accuracy and corpus BLEU of the decoded images against their captions."""
        outputs = [r["output"] for r in self.decode(core, images, beam_width=beam_width, **decode_options)]
        # References go through the same tokenizer as the outputs: lower-cased words, punctuation split off.
        references = [[detokenize(tokenize(c, "words"), "words") for c in refs] for refs in captions]
        bleu, signature = corpus_bleu(outputs, references)
        suffix = "" if beam_width == 1 else f"_beam{beam_width}"
        return {f"exact_accuracy{suffix}": exact_accuracy(outputs, references), f"bleu{suffix}": bleu,
                "bleu_signature": signature}

    def summary_metrics(self, model, prepared: Prepared) -> dict[str, Any]:
        """Greedy exact-caption accuracy and BLEU over the test split."""
        images = prepared.evaluation.get("test_images")
        if images is None or not len(images):
            return {}
        metrics = self.caption_metrics(model, images, prepared.evaluation["test_captions"])
        return {k if k.endswith("signature") else f"test_{k}": v for k, v in metrics.items()}
