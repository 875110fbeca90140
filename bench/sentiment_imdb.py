"""IMDB sentiment: rnnzoo's sentiment_bilstm against the keras.io "Bidirectional LSTM on IMDB" recipe.

    python bench/sentiment_imdb.py --data-dir PATH/TO/aclImdb_v1.tar.gz [--skip-reference] [--set key=value ...]

Same data (the labelled 25k/25k split), same machine, same process. The
reference is re-implemented faithfully: top-20k-word vocabulary, sequences
pre-padded and pre-truncated to 200 with `pad_sequences`, Embedding 128,
2 x BiLSTM 64, sigmoid, Adam, batch 32, 2 epochs, no mask. Both are
evaluated on the test set after every epoch; training time excludes those
evaluations. Prints test accuracy, training time, samples/s, and the ratios,
including time-to-accuracy: rnnzoo's training time until its test accuracy
first reaches the reference's final test accuracy, over the reference's
total training time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnzoo  # noqa: E402
from rnnzoo.cli import parse_set_values  # noqa: E402
from rnnzoo.datasets import load_examples  # noqa: E402
from rnnzoo.training import TestEachEpoch, Throughput  # noqa: E402


def reference(data_dir: str, epochs: int = 2) -> list[dict]:
    """The keras.io recipe; returns per-epoch {train_seconds, test_accuracy}."""
    keras.utils.set_random_seed(1337)
    train_texts, y_train, _ = load_examples("imdb", "train", data_dir=data_dir, validation_fraction=0.0)
    test_texts, y_test, _ = load_examples("imdb", "test", data_dir=data_dir)
    vectorizer = keras.layers.TextVectorization(max_tokens=20000, output_mode="int", ragged=True)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(train_texts).batch(512))

    def encode(texts):
        ids = vectorizer(tf.constant(texts)).to_list()
        return keras.utils.pad_sequences(ids, maxlen=200)  # pre-padding and pre-truncation, as keras.io

    x_train, x_test = encode(train_texts), encode(test_texts)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(20000, 128)(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True))(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64))(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    test = tf.data.Dataset.from_tensor_slices((x_test, y_test.astype("float32"))).batch(256)
    throughput = Throughput(len(x_train))
    history = model.fit(x_train, y_train.astype("float32"), batch_size=32, epochs=epochs, verbose=2,
                        callbacks=[throughput, TestEachEpoch(test)])
    return [{"train_seconds": s, "test_accuracy": a}
            for s, a in zip(throughput.seconds, history.history["test_accuracy"])]


def summarise(label: str, epochs: list[dict], num_train: int) -> None:
    elapsed = 0.0
    for index, epoch in enumerate(epochs, start=1):
        elapsed += epoch["train_seconds"]
        print(f"{label:<10} epoch {index}: test accuracy {epoch['test_accuracy']:.4f}, "
              f"training {elapsed:7.1f} s cumulative, {num_train / epoch['train_seconds']:6.1f} samples/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("RNNZOO_DATA_DIR"), required=not os.environ.get("RNNZOO_DATA_DIR"))
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", default="runs/bench-sentiment-imdb")
    args = parser.parse_args()

    started = time.time()
    run = rnnzoo.train("sentiment_bilstm", data_dir=args.data_dir, out_dir=args.out, verbose=2,
                       test_each_epoch=True, **parse_set_values(args.set))
    ours = [{"train_seconds": row["train_seconds"], "test_accuracy": row["test_accuracy"]} for row in run.history]
    num_train = run.metrics["train_examples"]
    print(f"\nrnnzoo sentiment_bilstm: final test accuracy {run.metrics['test_accuracy']:.4f} (best epoch restored), "
          f"{run.metrics['train_seconds']:.1f} s training, {run.metrics['samples_per_second']:.1f} samples/s, "
          f"config {json.dumps(run.config.to_dict()['train'])} {json.dumps(run.config.to_dict()['data'])}")
    summarise("rnnzoo", ours, num_train)
    if args.skip_reference:
        return
    theirs = reference(args.data_dir)
    summarise("reference", theirs, 25000)
    target = theirs[-1]["test_accuracy"]
    reference_seconds = sum(e["train_seconds"] for e in theirs)
    elapsed, reached = 0.0, None
    for epoch in ours:
        elapsed += epoch["train_seconds"]
        if epoch["test_accuracy"] >= target:
            reached = elapsed
            break
    print(f"\nreference final test accuracy {target:.4f} after {reference_seconds:.1f} s training")
    print(f"accuracy: rnnzoo {run.metrics['test_accuracy']:.4f} vs reference {target:.4f} "
          f"(+{100 * (run.metrics['test_accuracy'] - target):.2f} points)")
    if reached is None:
        print("time-to-accuracy: rnnzoo never reached the reference's final accuracy")
    else:
        print(f"time-to-accuracy: rnnzoo {reached:.1f} s vs reference {reference_seconds:.1f} s "
              f"= {reached / reference_seconds:.2f}x the reference's time")
    ours_sps = run.metrics["samples_per_second"]
    theirs_sps = 25000 * len(theirs) / reference_seconds
    print(f"throughput: rnnzoo {ours_sps:.1f} samples/s vs reference {theirs_sps:.1f} samples/s = {ours_sps / theirs_sps:.2f}x")
    print(f"benchmark wall time {time.time() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
