"""Decoding speed of an exported seq2seq SavedModel against `Run.decode`, and whether every output matches.

    python bench/export_decoding.py RUN_DIR [--split test] [--limit N] [--beam-width 5] [--batch-size 128]

Exports the run to a temporary folder, decodes the split's sources (whole,
as both read them) with `Run.decode` and with the SavedModel's signatures in batches of `--batch-size`, greedy and
beam, in this one process, and prints sentences/s for both and how many output
strings are identical. Without RUN_DIR it trains a small `dates_gru` (1 epoch on
3,000 examples) first, so the script runs anywhere.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

import rnnzoo  # noqa: E402
from rnnzoo import datasets  # noqa: E402


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=0, help="decode only the first N sources (0: all)")
    parser.add_argument("--beam-width", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="rnnzoo-export-decoding-"))
    try:
        return compare(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def compare(args, scratch: Path) -> int:
    if args.run_dir:
        run = rnnzoo.load_run(args.run_dir)
    else:
        run = rnnzoo.train("dates_gru", out_dir=scratch / "run", epochs=1, num_examples=3000, verbose=0)
    sources = list(datasets.examples(run.config, args.split, data_dir=run.folder.data_dir())[0])
    sources = [s for s in sources if s.strip()][: args.limit or None]
    served = tf.saved_model.load(str(run.export(scratch / "savedmodel")))
    print(f"{run.config.name}: {len(sources):,} {args.split} sources, batches of {args.batch_size}, "
          f"{os.cpu_count()} CPUs, TensorFlow {tf.__version__}")

    def in_batches(signature, **extra):
        outputs = []
        for start in range(0, len(sources), args.batch_size):
            batch = tf.constant(sources[start:start + args.batch_size])
            result = signature(text=batch, **extra)
            outputs += [s.decode("utf-8") for s in result["output"].numpy().tolist()]
        return outputs

    for width in (1, args.beam_width):
        python, python_seconds = timed(lambda: [r["output"] for r in run.decode(
            sources, beam_width=width, batch_size=args.batch_size)])
        if width == 1:
            graph, graph_seconds = timed(lambda: in_batches(served.signatures["serving_default"]))
        else:
            graph, graph_seconds = timed(lambda: in_batches(served.signatures["beam"],
                                                            beam_width=tf.constant(width)))
        same = sum(a == b for a, b in zip(python, graph))
        name = "greedy" if width == 1 else f"beam {width}"
        print(f"{name:>8}: Run.decode {len(sources) / python_seconds:8.1f} sentences/s | SavedModel "
              f"{len(sources) / graph_seconds:8.1f} sentences/s (x{python_seconds / graph_seconds:.2f}) | "
              f"identical outputs {same}/{len(sources)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
