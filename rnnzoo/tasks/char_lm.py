"""Character language model (Tiny Shakespeare, or any UTF-8 text): next-character prediction.

Vocabulary: the characters of the training text, sorted; id 0 is padding
(masked), id 1 is out-of-vocabulary (a character never seen in training, at
prediction or sampling time), the characters follow from id 2.

Training (truncated BPTT): the training text is cut into windows of
`seq_length` characters; the target of each input character is the next
character (targets = inputs shifted by one). Every epoch starts the windows at
a fresh random offset in [0, seq_length) and shuffles them, so window
boundaries move between epochs. With `train.stateful`, the text is instead read
as `batch_size` contiguous streams: row i of batch k+1 continues row i of
batch k, the state carries over between them (gradients stop at the window
boundary), and it is reset at every epoch; this lets the model learn
dependencies longer than one window. The stateful variant is the same
aligned builder with a fixed batch size; after training its weights are
copied by layer name into the ordinary model that is saved.

Validation loss is reported in nats/char (the Keras loss) and bits/char, two
ways: `val_nats_per_char`, over windows of `seq_length` that each start from
a zero state (what `val_loss` measures during stateless training), and
`val_nats_per_char_stream`, reading the whole validation text in order with
the state carried, as the model does when it generates.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from rnnzoo import datasets
from rnnzoo.builders.aligned import aligned_inference_models
from rnnzoo.inference import sampling
from rnnzoo.config import Config
from rnnzoo.errors import DataError, RnnzooError
from rnnzoo.tasks.base import EXPORT, GENERATE, PREDICT, Prepared, Task, check_texts
from rnnzoo.tasks import state_checks as checks
from rnnzoo.tasks.serving import CharLanguageModelServing

PAD, OOV = 0, 1
RESERVED = 2


class CharVocabulary:
    """Characters <-> ids; 0 padding, 1 out-of-vocabulary, characters from 2 in sorted order."""

    def __init__(self, characters, frequencies=None):
        self.characters = list(characters)
        self.index = {c: i + RESERVED for i, c in enumerate(self.characters)}
        if len(self.index) != len(self.characters) or any(len(c) != 1 for c in self.characters):
            raise DataError("A character vocabulary holds distinct single characters.")
        self.frequencies = list(frequencies) if frequencies is not None else [1] * len(self.characters)

    @classmethod
    def from_text(cls, text: str) -> "CharVocabulary":
        counts: dict[str, int] = {}
        for character in text:
            counts[character] = counts.get(character, 0) + 1
        characters = sorted(counts)
        return cls(characters, [counts[c] for c in characters])

    @property
    def size(self) -> int:
        """Ids in use, padding and out-of-vocabulary included."""
        return len(self.characters) + RESERVED

    def encode(self, text: str) -> np.ndarray:
        index = self.index
        return np.fromiter((index.get(c, OOV) for c in text), dtype=np.int32, count=len(text))

    def decode(self, ids) -> str:
        chars = self.characters
        return "".join(chars[i - RESERVED] if i >= RESERVED else "\ufffd" for i in np.asarray(ids).tolist())

    def start_logits(self) -> np.ndarray:
        """Log-frequencies of the training characters, by id (padding and OOV impossible)."""
        logits = np.full(self.size, -np.inf)
        logits[RESERVED:] = np.log(np.asarray(self.frequencies, dtype=np.float64))
        return logits


def windows(ids: np.ndarray, seq_length: int, offset: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` consecutive windows from `offset`: inputs (count, seq_length) and targets shifted by one."""
    end = offset + count * seq_length
    if count < 1 or end + 1 > len(ids):
        raise ValueError(f"windows: {count} windows of {seq_length} from {offset} need {end + 1} ids, have {len(ids)}")
    inputs = ids[offset:end].reshape(count, seq_length)
    targets = ids[offset + 1:end + 1].reshape(count, seq_length)
    return inputs, targets


def streams(ids: np.ndarray, seq_length: int, batch_size: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Batches for stateful training: (num_batches, batch_size, seq_length) inputs and targets.

    Row i of batch k+1 continues row i of batch k: the text from `offset` is
    cut into `batch_size` contiguous streams, each read window by window.
    """
    per_stream = (len(ids) - 1 - offset) // batch_size
    count = per_stream // seq_length
    if count < 1:
        raise ValueError("too short")
    rows = [ids[offset + r * per_stream: offset + r * per_stream + count * seq_length + 1] for r in range(batch_size)]
    block = np.stack(rows)  # (batch, count * seq_length + 1)
    inputs = block[:, :-1].reshape(batch_size, count, seq_length).transpose(1, 0, 2)
    targets = block[:, 1:].reshape(batch_size, count, seq_length).transpose(1, 0, 2)
    return np.ascontiguousarray(inputs), np.ascontiguousarray(targets)


class ResetStates(keras.callbacks.Callback):
    """Stateful training: zero states at each epoch and around each validation pass."""

    def _reset(self, *_args, **_kwargs):
        for layer in self.model.layers:
            if getattr(layer, "stateful", False):
                layer.reset_state()

    on_epoch_begin = on_test_begin = on_test_end = _reset


class CharLanguageModelTask(Task):
    capabilities = frozenset({PREDICT, GENERATE, EXPORT})
    serves = "prompt, length, temperature, top-k, seed → generated text"

    def __init__(self, cfg: Config, vocabulary: CharVocabulary | None = None):
        super().__init__(cfg)
        self.vocabulary = vocabulary

    # ---- data -------------------------------------------------------------------------------------

    def _texts(self, data_dir, download) -> tuple[str, str, str]:
        (train,), _, origin = datasets.examples(self.cfg, "train", data_dir=data_dir, download=download)
        (validation,), _, _ = datasets.examples(self.cfg, "validation", data_dir=data_dir, download=download)
        return train, validation, origin

    def _too_short(self, what: str, characters: int, needed: int) -> DataError:
        d, t = self.cfg.data, self.cfg.train
        return DataError(
            f"The {what} text has {characters:,} characters; seq_length={d.seq_length}"
            + (f" with stateful batch_size={t.batch_size}" if t.stateful else "")
            + f" needs at least {needed:,}. Use a longer corpus or a smaller seq_length"
            + (" or batch_size." if t.stateful else ".")
        )

    def _train_batches(self, ids: np.ndarray) -> tuple[tf.data.Dataset, int]:
        """Batches re-cut at a random offset every epoch (an epoch iterates the dataset once)."""
        T, B = self.cfg.data.seq_length, self.cfg.train.batch_size
        if self.cfg.train.stateful:
            needed = T + B * T
            if len(ids) < needed:
                raise self._too_short("training", len(ids), needed)
            num_batches = ((len(ids) - T) // B) // T

            def epoch():
                rng = self.data_epoch.rng(self.cfg.train.seed)  # order by (seed, epoch): resumable
                inputs, targets = streams(ids, T, B, int(rng.integers(0, T)))  # >= num_batches windows
                for k in range(num_batches):
                    yield inputs[k], targets[k]
            count = num_batches * B
            shape = (B, T)
        else:
            count = (len(ids) - T) // T
            if count < 1:
                raise self._too_short("training", len(ids), 2 * T)
            num_batches = math.ceil(count / B)

            def epoch():
                rng = self.data_epoch.rng(self.cfg.train.seed)  # order by (seed, epoch): resumable
                inputs, targets = windows(ids, T, int(rng.integers(0, T)), count)
                order = rng.permutation(count)
                for start in range(0, count, B):
                    chosen = order[start:start + B]
                    yield inputs[chosen], targets[chosen]
            shape = (None, T)
        spec = tf.TensorSpec(shape, tf.int32)
        ds = tf.data.Dataset.from_generator(epoch, output_signature=(spec, spec))
        ds = ds.apply(tf.data.experimental.assert_cardinality(num_batches))
        return ds.prefetch(2), count

    def _validation_batches(self, ids: np.ndarray, *, stateful: bool) -> tf.data.Dataset:
        T, B = self.cfg.data.seq_length, self.cfg.train.batch_size
        if stateful:
            try:
                inputs, targets = streams(ids, T, B)
            except ValueError:
                raise self._too_short("validation", len(ids), B * T + 1) from None
            return tf.data.Dataset.from_tensor_slices((inputs, targets))
        count = (len(ids) - 1) // T
        if count < 1:
            raise self._too_short("validation", len(ids), T + 1)
        inputs, targets = windows(ids, T, 0, count)
        return tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(B)

    def prepare(self, *, data_dir=None, download: bool | None = None) -> Prepared:
        train_text, validation_text, origin = self._texts(data_dir, download)
        self.vocabulary = CharVocabulary.from_text(train_text)
        print(f"rnnzoo: {len(train_text):,} training and {len(validation_text):,} validation characters, "
              f"{len(self.vocabulary.characters)} distinct", file=sys.stderr)
        train_ids = self.vocabulary.encode(train_text)
        train, num_windows = self._train_batches(train_ids)
        validation, evaluation = None, {}
        if self.cfg.data.validation_fraction > 0:
            validation_ids = self.vocabulary.encode(validation_text)
            validation = self._validation_batches(validation_ids, stateful=self.cfg.train.stateful)
            evaluation["validation_ids"] = validation_ids
        return Prepared(
            train=train, validation=validation, test=None, num_train=num_windows,
            overrides={"vocab_size": self.vocabulary.size, "num_classes": self.vocabulary.size},
            info={"data_source": origin, "train_characters": len(train_text),
                  "validation_characters": len(validation_text), "vocabulary_size": self.vocabulary.size,
                  "train_windows": num_windows},
            evaluation=evaluation,
        )

    def test_split(self, *, data_dir=None, download: bool | None = None):
        """The validation text in windows of `seq_length` (a corpus has no separate test split)."""
        _, validation_text, _ = self._texts(data_dir, download)
        return self._validation_batches(self.vocabulary.encode(validation_text), stateful=False)

    # ---- training variants ------------------------------------------------------------------------

    def training_model(self, cfg: Config):
        if not cfg.train.stateful:
            return super().training_model(cfg)
        from rnnzoo.builders.aligned import build_aligned

        return build_aligned(cfg, batch_size=cfg.train.batch_size, stateful=True)

    def fit_callbacks(self) -> list:
        return [ResetStates()] if self.cfg.train.stateful else []

    def trained_model(self, model, cfg: Config):
        if not cfg.train.stateful:
            return model
        from rnnzoo.builders import build_model
        from rnnzoo.builders.common import copy_weights_by_name, compile_model

        final = build_model(cfg, compile=False)
        copy_weights_by_name(model, final)
        compile_model(final, cfg)
        final.optimizer.build(final.trainable_variables)  # so the saved file holds a complete optimizer
        return final

    def summary_metrics(self, model, prepared: Prepared) -> dict[str, Any]:
        ids = prepared.evaluation.get("validation_ids")
        if ids is None:
            return {}
        windowed = model.evaluate(self._validation_batches(ids, stateful=False), return_dict=True, verbose=0)["loss"]
        stream = stream_loss(sampling.StepModel(aligned_inference_models(model, self.cfg).step), ids)
        return {"val_nats_per_char": float(windowed), "val_bits_per_char": float(windowed) / math.log(2),
                "val_nats_per_char_stream": stream, "val_bits_per_char_stream": stream / math.log(2)}

    # ---- state -----------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "kind": "characters",
            "characters": self.vocabulary.characters,
            "frequencies": self.vocabulary.frequencies,
            "reserved": {"padding": PAD, "out_of_vocabulary": OOV},
        }

    @classmethod
    def from_state(cls, cfg: Config, state: dict[str, Any]) -> "CharLanguageModelTask":
        characters = checks.tokens(state, "characters", most=cfg.model.vocab_size - RESERVED, single_characters=True)
        frequencies = (checks.numbers(state, "frequencies", length=len(characters))
                       if state.get("frequencies") is not None else None)
        return cls(cfg, CharVocabulary(characters, frequencies))

    # ---- generation and prediction ----------------------------------------------------------------

    def step_model(self, core) -> sampling.StepModel:
        cached = getattr(self, "_step", None)
        if cached is None or cached[0] is not core:
            self._step = (core, sampling.StepModel(aligned_inference_models(core, self.cfg).step))
        return self._step[1]

    def generate(self, core, prompt: str = "", *, length: int = 200, temperature: float = 1.0, top_k: int = 0,
                 seed: int | None = None, num_samples: int = 1) -> list[str]:
        """`num_samples` continuations of `prompt`, one character per recurrent step."""
        if isinstance(prompt, bytes):
            prompt = prompt.decode("utf-8", errors="replace")
        if not isinstance(prompt, str):
            raise RnnzooError(f"`prompt` must be a string. Received: prompt={prompt!r} of type {type(prompt).__name__}")
        ids = sampling.generate(self.step_model(core), self.vocabulary.encode(prompt), length=length,
                                temperature=temperature, top_k=top_k, seed=seed, num_samples=num_samples,
                                start_logits=self.vocabulary.start_logits())
        return [self.vocabulary.decode(row) for row in ids]

    def next_character_model(self, core: keras.Model) -> keras.Model:
        """Raw strings in, the probabilities of the next character (by id) out."""
        from rnnzoo.layers.text import CharsToIds, LastStepSoftmax

        text = keras.Input(shape=(), dtype="string", name="text")
        ids = CharsToIds(self.vocabulary.characters, name="chars_to_ids")(text)
        probabilities = LastStepSoftmax(name="next_character")([core(ids), ids])
        return keras.Model(text, probabilities, name=f"{self.cfg.name}_raw_text")

    def serving_model(self, core: keras.Model) -> CharLanguageModelServing:
        """The next-character model and what generation needs in the graph (`rnnzoo.export.char_lm`)."""
        return CharLanguageModelServing(
            name=self.cfg.name, next_character=self.next_character_model(core),
            step=aligned_inference_models(core, self.cfg).step, characters=tuple(self.vocabulary.characters),
            start_logits=tuple(float(x) for x in self.vocabulary.start_logits()))

    def predict(self, core: keras.Model, inputs) -> list[dict[str, Any]]:
        """For each text: the most likely next characters and their probabilities."""
        texts = check_texts(inputs)
        step = self.step_model(core)
        start = self.vocabulary.start_logits()
        results = []
        for text in texts:
            ids = self.vocabulary.encode(text)
            if len(ids):
                logits = step(ids[None], step.zero_states(1))[0][0, -1].astype(np.float64)
            else:
                logits = start
            logits = logits.copy()
            logits[:RESERVED] = -np.inf
            probabilities = np.exp(logits - logits.max())
            probabilities /= probabilities.sum()
            best = np.argsort(-probabilities)[:5]
            results.append({"text": text, "next": [(self.vocabulary.decode([i]), float(probabilities[i])) for i in best]})
        return results

    @staticmethod
    def format_prediction(prediction: dict[str, Any]) -> str:
        return "\t".join(f"{character!r} {probability:.4f}" for character, probability in prediction["next"])


def stream_loss(step: sampling.StepModel, ids: np.ndarray, *, num_streams: int = 8, chunk: int = 1000) -> float:
    """Mean nats/char over `ids` read in order in `num_streams` contiguous streams, the state carried throughout."""
    per_stream = (len(ids) - 1) // num_streams
    if per_stream < 1:
        num_streams, per_stream = 1, len(ids) - 1
    block = np.stack([ids[r * per_stream: (r + 1) * per_stream + 1] for r in range(num_streams)])
    states = step.zero_states(num_streams)
    total = 0.0
    for start in range(0, per_stream, chunk):
        inputs = block[:, start:min(start + chunk, per_stream)]
        targets = block[:, start + 1:min(start + chunk, per_stream) + 1]
        logits, states = step(inputs, states)
        logits = logits.astype(np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        log_probabilities = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        total -= np.take_along_axis(log_probabilities, targets[..., None], axis=-1).sum()
    return float(total / (num_streams * per_stream))
