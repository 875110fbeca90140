"""rnnzoo quickstart: build, train on the embedded IMDB sample, predict, export.

    python examples/quickstart.py [--epochs 2] [--out runs/quickstart]

Trains `sentiment_bilstm` (word embeddings, two bidirectional LSTM layers) on
the real IMDB reviews shipped with rnnzoo, then classifies two sentences and
exports a SavedModel that serves raw strings. For the full data set pass
`data_dir="path/to/aclImdb_v1.tar.gz"` (or set RNNZOO_DATA_DIR).
"""

import argparse

import rnnzoo
from rnnzoo.config import parse_set_values

"""## Look at the zoo"""
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--out", default="runs/quickstart")
parser.add_argument("--set", action="append", default=[], help="config overrides, key=value")
args = parser.parse_args()
print(rnnzoo.list_models("sentiment_*"))

"""## Train on the embedded sample"""
overrides = parse_set_values(args.set)
run = rnnzoo.train("sentiment_bilstm", data_dir="sample", epochs=args.epochs, out_dir=args.out, verbose=2, **overrides)
print("test accuracy on the sample:", round(run.metrics["test_accuracy"], 4))

"""## Predict raw text"""
for result in run.predict(["A moving, beautifully acted film.", "Two hours I will never get back."]):
    print(f"{result['label']:<8} {result['probability']:.3f}  {result['text']}")

"""## Export a SavedModel that takes raw strings"""
print("exported to", run.export(f"{args.out}/savedmodel"))
