"""Load test of an exported sentiment SavedModel: latency, throughput, memory, failures.

    python bench/serve_load.py [--savedmodel DIR] [--requests 10000] [--threads 4]

Without `--savedmodel`, trains a small `sentiment_gru` on the packaged IMDB
sample (1 epoch) and exports it. Then 4 threads send `--requests` requests
in all, each a batch of 1-256 texts (uniform) of 0-5,000 words (uniform, per
text, words drawn from the IMDB sample) to the `serve` signature, as a
server process that imports only TensorFlow would. Prints p50/p99 latency,
throughput, peak RSS, the RSS growth between the first and last quarter of
the run (a leak shows as growth that scales with the run), and failures: an
exception, or an output that is not one probability in [0, 1] per text.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / 2**20


def small_export(folder: str) -> str:
    import rnnzoo

    run = rnnzoo.train("sentiment_gru", data_dir="sample", out_dir=os.path.join(folder, "run"), epochs=1, verbose=2,
                       units=32, embedding_dim=32, vocab_size=10000)
    return str(run.export(os.path.join(folder, "savedmodel")))


def sample_words() -> np.ndarray:
    from rnnzoo.datasets import load_examples

    texts, _, _ = load_examples("imdb", "test", data_dir="sample")
    return np.asarray(" ".join(texts).split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--savedmodel", help="an exported sentiment SavedModel (default: train and export a small one)")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-batch", type=int, default=256)
    parser.add_argument("--max-words", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress-every", type=int, default=500, help="print a progress line every N requests")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="serve_load_")
    path = args.savedmodel or small_export(scratch.name)
    words = sample_words()
    model = tf.saved_model.load(path)  # kept alive while serving
    model.serve(tf.constant(["warm-up"]))  # the first call traces; not part of the figures
    print(f"serving {path}: {args.requests:,} requests from {args.threads} threads, batch 1-{args.max_batch}, "
          f"0-{args.max_words:,} words per text", file=sys.stderr)

    lock = threading.Lock()
    records: list[tuple[float, float, int, float]] = []  # (finish time, latency s, texts, rss MB)
    failures: list[str] = []

    def worker(index: int) -> None:
        rng = np.random.default_rng([args.seed, index])
        for _ in range(args.requests // args.threads + (index < args.requests % args.threads)):
            batch = int(rng.integers(1, args.max_batch + 1))
            lengths = rng.integers(0, args.max_words + 1, size=batch)
            starts = rng.integers(0, len(words) - args.max_words, size=batch)
            texts = [" ".join(words[s:s + n]) for s, n in zip(starts, lengths)]
            started = time.perf_counter()
            try:
                scores = model.serve(tf.constant(texts)).numpy().reshape(-1)
                problem = None
                if scores.shape != (batch,) or not (np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()):
                    problem = f"bad output shape {scores.shape} or values for a batch of {batch}"
            except Exception as err:  # noqa: BLE001 - every failure is counted and reported
                problem = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            latency = time.perf_counter() - started
            with lock:
                records.append((time.perf_counter(), latency, batch, rss_mb()))
                if problem:
                    failures.append(problem)
                if len(records) % args.progress_every == 0:  # a long run shows where it is and whether RSS climbs
                    print(f"  {len(records):,} requests, {time.perf_counter() - started_all:.0f} s, "
                          f"RSS {records[-1][3]:.0f} MB, failed {len(failures)}", file=sys.stderr, flush=True)

    rss_start = rss_mb()
    started = started_all = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(worker, range(args.threads)))
    wall = time.perf_counter() - started

    records.sort()
    latencies = np.asarray([r[1] for r in records]) * 1000
    texts = sum(r[2] for r in records)
    rss = np.asarray([r[3] for r in records])
    quarter = max(1, len(rss) // 4)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"requests: {len(records):,} ({texts:,} texts) in {wall:.1f} s; failed: {len(failures)}")
    print(f"latency per request: p50 {np.percentile(latencies, 50):.1f} ms, p99 {np.percentile(latencies, 99):.1f} ms, "
          f"max {latencies.max():.1f} ms")
    print(f"throughput: {len(records) / wall:.2f} requests/s, {texts / wall:.1f} texts/s")
    print(f"memory: RSS {rss_start:.0f} MB before the load, {rss.max():.0f} MB at most during it (sampled after "
          f"each request; process peak {peak_mb:.0f} MB, training included when it trained here); mean RSS first quarter {rss[:quarter].mean():.0f} MB, last quarter "
          f"{rss[-quarter:].mean():.0f} MB, growth {rss[-quarter:].mean() - rss[:quarter].mean():+.0f} MB")
    tenths = [chunk.mean() for chunk in np.array_split(rss, min(10, len(rss)))]
    print("mean RSS per tenth of the run (MB): " + " ".join(f"{value:.0f}" for value in tenths))
    for problem in sorted(set(failures))[:5]:
        print(f"failure: {problem}")
    scratch.cleanup()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
