"""IMDB sentiment: rnnzoo's sentiment_bilstm against the keras.io "Bidirectional LSTM on IMDB" recipe.

    python bench/sentiment_imdb.py --data-dir PATH/TO/aclImdb_v1.tar.gz [--skip-reference] [--set key=value ...]

Same data (the labelled 25k/25k split), same machine, same process. The
reference is re-implemented faithfully: top-20k-word vocabulary, sequences
pre-padded and pre-truncated to 200 with `pad_sequences`, Embedding 128,
2 x BiLSTM 64, sigmoid, Adam, batch 32, 2 epochs, no mask. Both are
evaluated on the same fixed random sample of 5,000 test reviews four times
per epoch, on a training clock that stops during evaluations and
validation. Prints test accuracy (all 25,000 test reviews), training time,
samples/s, and the ratios, including time-to-accuracy: rnnzoo's training
time until its test-sample accuracy first reaches the reference's final
test-sample accuracy, over the reference's total training time. Seconds
spent computing starting word vectors (`embedding_init`) count as rnnzoo
training time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnzoo  # noqa: E402
from rnnzoo.config.overrides import parse_set_values  # noqa: E402
from rnnzoo.datasets import load_examples  # noqa: E402
from rnnzoo.tasks.text_classification import TEST_SAMPLE_SIZE, fixed_sample  # noqa: E402
from rnnzoo.training.callbacks import TestCheckpoints  # noqa: E402


def reference(data_dir: str, sample: np.ndarray, checkpoints_per_epoch: int, epochs: int = 2):
    """The keras.io recipe; returns (test-sample checkpoints, full test accuracy, training seconds)."""
    keras.utils.set_random_seed(1337)
    train_texts, y_train, _ = load_examples("imdb", "train", data_dir=data_dir, validation_fraction=0.0)
    test_texts, y_test, _ = load_examples("imdb", "test", data_dir=data_dir)
    vectorizer = keras.layers.TextVectorization(max_tokens=20000, output_mode="int", ragged=True)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(train_texts).batch(512))

    def encode(texts):
        ids = vectorizer(tf.constant(texts)).to_list()
        return keras.utils.pad_sequences(ids, maxlen=200)  # pre-padding and pre-truncation, as keras.io

    x_train, x_test = encode(train_texts), encode(test_texts)
    y_train, y_test = y_train.astype("float32"), y_test.astype("float32")
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(20000, 128)(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True))(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64))(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    test_sample = tf.data.Dataset.from_tensor_slices((x_test[sample], y_test[sample])).batch(256)
    checkpoints = TestCheckpoints(test_sample, math.ceil(math.ceil(len(x_train) / 32) / checkpoints_per_epoch))
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=2, callbacks=[checkpoints])
    full = model.evaluate(x_test, y_test, batch_size=256, return_dict=True, verbose=0)["accuracy"]
    return checkpoints.points, full


def show(label: str, points: list[dict]) -> None:
    for point in points:
        print(f"{label:<10} {point['train_seconds']:7.1f} s training: test-sample accuracy {point['test_accuracy']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("RNNZOO_DATA_DIR"), required=not os.environ.get("RNNZOO_DATA_DIR"))
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--checkpoints-per-epoch", type=int, default=4)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", default="runs/bench-sentiment-imdb")
    args = parser.parse_args()

    started = time.time()
    run = rnnzoo.train("sentiment_bilstm", data_dir=args.data_dir, out_dir=args.out, verbose=2,
                       test_checkpoints_per_epoch=args.checkpoints_per_epoch, **parse_set_values(args.set))
    metrics = run.metrics
    # Time spent computing starting word vectors (embedding_init) is training time too.
    head_start = metrics.get("embedding_init_seconds", 0.0)
    ours = [{**point, "train_seconds": point["train_seconds"] + head_start} for point in metrics["test_checkpoints"]]
    print(f"\nrnnzoo sentiment_bilstm: test accuracy {metrics['test_accuracy']:.4f} on all "
          f"{metrics['test_examples']:,} test reviews, {metrics['train_seconds']:.1f} s training, "
          f"{metrics['samples_per_second']:.1f} samples/s, {metrics['epochs_run']} epoch(s)"
          + (f", after {head_start:.1f} s computing the starting word vectors" if head_start else ""))
    print("rnnzoo config:", json.dumps(run.config.to_dict()["train"]), json.dumps(run.config.to_dict()["data"]))
    show("rnnzoo", ours)
    if args.skip_reference:
        return
    sample = fixed_sample(metrics["test_examples"], TEST_SAMPLE_SIZE, run.config.train.seed)
    theirs, reference_full = reference(args.data_dir, sample, args.checkpoints_per_epoch)
    show("reference", theirs)
    target, reference_seconds = theirs[-1]["test_accuracy"], theirs[-1]["train_seconds"]
    reached = next((p["train_seconds"] for p in ours if p["test_accuracy"] >= target), None)
    print(f"\nreference (keras.io): test accuracy {reference_full:.4f} on all test reviews after "
          f"{reference_seconds:.1f} s training, {25000 * 2 / reference_seconds:.1f} samples/s")
    print(f"accuracy: rnnzoo {metrics['test_accuracy']:.4f} vs reference {reference_full:.4f} "
          f"({100 * (metrics['test_accuracy'] - reference_full):+.2f} points)")
    if reached is None:
        print(f"time-to-accuracy: rnnzoo never reached the reference's final test-sample accuracy {target:.4f}")
    else:
        print(f"time-to-accuracy: rnnzoo reached the reference's final test-sample accuracy {target:.4f} after "
              f"{reached:.1f} s of training vs the reference's {reference_seconds:.1f} s = "
              f"{reached / reference_seconds:.2f}x the reference's time")
    print(f"throughput: rnnzoo {metrics['samples_per_second']:.1f} samples/s vs reference "
          f"{25000 * 2 / reference_seconds:.1f} samples/s = "
          f"{metrics['samples_per_second'] / (25000 * 2 / reference_seconds):.2f}x")
    print(f"benchmark wall time {time.time() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
