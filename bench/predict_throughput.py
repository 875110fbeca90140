"""`rnnzoo predict` against the exported SavedModel on the same reviews: reviews per second and the ratio.

    python bench/predict_throughput.py --data-dir path/to/aclImdb_v1.tar.gz [--run RUN_DIR] [--count 10000]

Without `--run`, trains `sentiment_bilstm` on the packaged IMDB sample for one
epoch. Reads the first `--count` test reviews, then times, in this process:
`Run.predict` (what `rnnzoo predict` calls) and the run's exported SavedModel
called in batches of 64, as a server that imports only TensorFlow would; and,
in a subprocess, the whole command `rnnzoo predict RUN --file reviews.txt`
(its start-up included). The target (issue 16): `rnnzoo predict` at no less
than half the SavedModel's throughput.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnzoo  # noqa: E402
from rnnzoo import datasets  # noqa: E402


def trained_run(folder: str) -> str:
    print("training sentiment_bilstm on the packaged sample, 1 epoch", file=sys.stderr)
    rnnzoo.train("sentiment_bilstm", data_dir="sample", epochs=1, out_dir=Path(folder) / "run", verbose=0)
    return str(Path(folder) / "run")


def savedmodel_scores(path: str, texts: list[str], batch: int = 64) -> np.ndarray:
    served = tf.saved_model.load(path)  # kept in a variable while it is called
    serve = served.signatures["serving_default"]
    out = []
    for start in range(0, len(texts), batch):
        result = serve(tf.constant(texts[start:start + batch]))
        out.append(next(iter(result.values())).numpy())
    return np.concatenate(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="the IMDB archive or folder (its test reviews are read)")
    parser.add_argument("--run", help="a trained text-classification run folder (default: train one on the sample)")
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="rnnzoo-predict-bench-")
    run_dir = args.run or trained_run(scratch)
    texts, _, _ = datasets.load_examples("imdb", "test", data_dir=args.data_dir)
    texts = [t.replace("\n", " ").replace("\r", " ") for t in texts[: args.count]]
    run = rnnzoo.load_run(run_dir)
    exported = str(run.export(Path(scratch) / "savedmodel"))

    run.predict(texts[:8])  # loads the model and traces once, as the first lines of a file would
    started = time.perf_counter()
    predicted = run.predict(texts)
    predict_seconds = time.perf_counter() - started

    savedmodel_scores(exported, texts[:8])
    started = time.perf_counter()
    served = savedmodel_scores(exported, texts)
    served_seconds = time.perf_counter() - started
    ours = np.array([p["probabilities"][run.task.labels[1]] for p in predicted])
    largest_difference = float(np.max(np.abs(ours - served.reshape(len(texts), -1)[:, -1])))

    reviews = Path(scratch) / "reviews.txt"
    reviews.write_text("\n".join(texts) + "\n", encoding="utf-8")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "rnnzoo.cli", "predict", run_dir, "--file", str(reviews)],
                            capture_output=True, text=True)
    cli_seconds = time.perf_counter() - started
    lines = result.stdout.count("\n")

    n = len(texts)
    print(f"reviews: {n:,} IMDB test reviews (model {run.config.name}, run {run_dir})")
    print(f"SavedModel, batches of 64:       {n / served_seconds:8.1f} reviews/s ({served_seconds:.1f} s)")
    print(f"Run.predict (rnnzoo predict):    {n / predict_seconds:8.1f} reviews/s ({predict_seconds:.1f} s); "
          f"ratio to the SavedModel {served_seconds / predict_seconds:.2f} (target >= 0.5)")
    print(f"rnnzoo predict --file (process): {n / cli_seconds:8.1f} reviews/s ({cli_seconds:.1f} s with start-up, "
          f"exit {result.returncode}, {lines:,} lines); ratio {served_seconds / cli_seconds:.2f}")
    print(f"largest |P(positive)| difference between the two: {largest_difference:.2e}")
    return 0 if result.returncode == 0 and lines == n else 1


if __name__ == "__main__":
    sys.exit(main())
