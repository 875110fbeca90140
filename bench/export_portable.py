"""File sizes, latency and int8 accuracy of ONNX and LiteRT exports against Keras, in one process.

    python bench/export_portable.py CLASSIFIER_RUN CHAR_LM_RUN [--data-dir IMDB] [--length 200] [--repeats 50]

Exports the classifier run (e.g. `rnnzoo train sentiment_bilstm --data sample --epochs 2 --out runs/imdb`) and
the character LM run (`rnnzoo train char_lstm --data sample --epochs 1 --out runs/char`) to ONNX and LiteRT,
float32 and dynamic-range int8, into a temporary folder, and prints:
- each file's size;
- the median latency of one review of `--length` tokens (batch 1) in Keras (the core model as a traced
  tf.function), onnxruntime and the LiteRT interpreter, and of one generation step of the character LM
  (one character in, the states carried);
- with `--data-dir` (the IMDB archive or folder), the accuracy on the whole IMDB test split of Keras and
  of each float32 and int8 file; ONNX reads each review whole (up to the run's `data.max_length`), LiteRT
  its last `--length` tokens (the task keeps the end of a long review).
Each runtime uses its default threads; the machine is shared, so latencies are medians of `--repeats` calls.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnzoo  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import portable_client  # noqa: E402  the runtimes as a client runs them


def median_ms(call, repeats: int) -> float:
    call()  # warm up (first call allocates, traces)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def exports(run, folder: Path, name: str, length: int) -> dict[str, portable_client.Export]:
    found = {}
    for format, options in (("onnx", {}), ("litert", {"length": length})):
        for quantize in (None, "int8"):
            started = time.perf_counter()
            path = run.export(folder / f"{name}-{format}-{quantize or 'float32'}", format=format, quantize=quantize,
                              **options)
            export = portable_client.Export(path)
            label = f"{format} {quantize or 'float32'}"
            found[label] = export
            sizes = ", ".join(f"{file} {(path / file).stat().st_size / 1e6:.2f} MB" for file in export.facts["files"])
            print(f"{name} {label}: {sizes} (export {time.perf_counter() - started:.0f} s)", flush=True)
    return found


def classifier_latency(run, found, length: int, repeats: int) -> None:
    ids = np.random.default_rng(0).integers(2, run.config.model.vocab_size, size=(1, length)).astype(np.int32)
    core = tf.function(lambda x: run.model(x, training=False), reduce_retracing=True)
    print(f"classifier, one review of {length} tokens: keras {median_ms(lambda: core(ids), repeats):.2f} ms", flush=True)
    for label, export in found.items():
        graph = export.graphs["model"]
        print(f"classifier, one review of {length} tokens: {label} "
              f"{median_ms(lambda: graph({'inputs': ids}), repeats):.2f} ms", flush=True)


def step_latency(run, found, repeats: int) -> None:
    from rnnzoo.builders import inference_models

    step = inference_models(run.model, run.config).step
    states = [np.zeros((1, run.config.model.units), np.float32) for _ in step.inputs[1:]]
    token = np.array([[5]], np.int32)
    traced = tf.function(lambda *x: step(list(x), training=False), reduce_retracing=True)
    print(f"char LM, one generation step: keras {median_ms(lambda: traced(token, *states), repeats):.2f} ms",
          flush=True)
    for label, export in found.items():
        graph = export.graphs["step"]
        feeds = {"inputs": token, **{t.name: s for t, s in zip(step.inputs[1:], states)}}
        print(f"char LM, one generation step: {label} {median_ms(lambda: graph(feeds), repeats):.2f} ms", flush=True)


def imdb_accuracy(run, found, data_dir: str, length: int) -> None:
    from rnnzoo import datasets

    texts, labels, origin = datasets.examples(run.config, "test", data_dir=data_dir)
    labels = np.asarray(labels)
    started = time.perf_counter()
    rows = [row.numpy() for row in run.task.to_ids.ragged_ids(tf.constant(texts))]  # the task's truncation
    print(f"IMDB test split: {len(rows):,} reviews from {origin} (tokenized in {time.perf_counter() - started:.0f} s)",
          flush=True)
    order = np.argsort([len(r) for r in rows], kind="stable")  # similar lengths together: less padding

    def accuracy(score_batch, width=None, batch=64) -> float:
        correct = 0
        for first in range(0, len(order), batch):
            chosen = order[first:first + batch]
            part = [rows[i] if width is None else rows[i][-width:] for i in chosen]
            ids = np.zeros((len(part), width or max(1, max(len(r) for r in part))), np.int32)
            for line, row in enumerate(part):
                ids[line, :len(row)] = row
            scores = np.asarray(score_batch(ids))[:, 0]
            correct += int(((scores > 0.5).astype(int) == labels[chosen]).sum())
        return correct / len(order)

    core = tf.function(lambda x: run.model(x, training=False), reduce_retracing=True)
    for label, score_batch, width in [("keras float32", core, None)] + [
            (name, (lambda e: lambda ids: e.graphs["model"]({"inputs": ids})["scores"])(export),
             length if name.startswith("litert") else None) for name, export in found.items()]:
        started = time.perf_counter()
        value = accuracy(score_batch, width)
        reads = f"last {width} tokens" if width else f"up to {run.config.data.max_length} tokens"
        print(f"IMDB test accuracy, {label} ({reads}): {value:.4f} ({time.perf_counter() - started:.0f} s)",
              flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("classifier_run")
    parser.add_argument("char_lm_run")
    parser.add_argument("--data-dir", help="the IMDB archive or folder: accuracy on its test split")
    parser.add_argument("--length", type=int, default=200, help="tokens of the review (and LiteRT's fixed length)")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    classifier, char_lm = rnnzoo.load_run(args.classifier_run), rnnzoo.load_run(args.char_lm_run)
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores; {classifier.config.name} and "
          f"{char_lm.config.name}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        found = exports(classifier, Path(folder), classifier.config.name, args.length)
        lm_found = exports(char_lm, Path(folder), char_lm.config.name, args.length)
        classifier_latency(classifier, found, args.length, args.repeats)
        step_latency(char_lm, lm_found, args.repeats)
        if args.data_dir:
            imdb_accuracy(classifier, found, args.data_dir, args.length)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
