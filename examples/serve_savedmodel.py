"""Classify raw text with an exported rnnzoo SavedModel, using TensorFlow alone.

    python examples/serve_savedmodel.py exported/imdb "A moving, beautifully acted film." "Two hours I will never get back."

The SavedModel written by `rnnzoo export RUN --format savedmodel` holds the
text preprocessing (vocabulary, lower-casing, truncation), so a server needs
neither rnnzoo nor Keras: it feeds a 1-D batch of strings to the `serve`
signature and gets P(positive) back.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402


def main(path: str, texts: list[str]) -> None:
    model = tf.saved_model.load(path)  # keep the loaded object alive while calling it
    probabilities = model.serve(tf.constant(texts)).numpy().ravel()
    for text, positive in zip(texts, probabilities):
        label = "positive" if positive >= 0.5 else "negative"
        print(f"{label}\t{positive:.4f}\t{text}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: serve_savedmodel.py SAVEDMODEL_DIR TEXT [TEXT ...]")
    main(sys.argv[1], sys.argv[2:])
