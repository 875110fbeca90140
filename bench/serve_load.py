"""Load test of an exported SavedModel of any kind with text input: latency, throughput, memory, failures.

    python bench/serve_load.py [--savedmodel DIR] [--run RUN_DIR] [--requests N] [--threads 4]

The kind (classifier, seq2seq, tagger, char LM) comes from the SavedModel's
signatures, and the calls are those of examples/serve_savedmodel.py, the
TensorFlow-only client (imported from there), so the figures are what such a
server runs. Requests, each a batch of 1 to `--max-batch` inputs (uniform):

- classifier (`serve`): texts of 0-5,000 words (uniform per text), words
  drawn from the IMDB sample, or from the test texts of `--run`;
- seq2seq (`serving_default`, or `beam` with `--beam N`): test sources of `--run`;
- tagger (`serving_default`): test sentences of `--run`, as `word/POS` tokens
  when the model reads POS;
- char LM (`generate`): prompts of 0-100 characters cut from the held-out text
  of `--run`, 1-300 characters to write (uniform, one value per request),
  temperature 0-1.2, top_k 0, 5 or 40, a seed per request.

Without `--savedmodel` or `--run`, trains a small `sentiment_gru` on the
packaged IMDB sample (1 epoch) and exports it. With `--run` alone the
SavedModel is RUN/savedmodel, where `rnnzoo export RUN --format savedmodel`
writes it. `--threads` threads send `--requests` requests in all (default
10,000 for a classifier, as its documented figures; 1,000 for the others).
Prints p50/p99 latency, throughput, peak RSS, the RSS growth between the first
and last quarter of the run (a leak shows as growth that scales with the run),
and failures: an exception, or an output that does not fit the request (a
classifier: one probability in [0, 1] per text; seq2seq: one string per
source; tagger: one non-empty tag per word it reads, the sentence's Penn
Treebank tokens; char LM: exactly the asked number of characters per prompt).
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
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

# The TensorFlow-only client: its kind detection and its calls (it imports TensorFlow without C++ log lines).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import serve_savedmodel as client  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
LOADED_KINDS = ("classifier", "seq2seq", "tagger", "char_lm")
# Per kind: requests by default, the largest batch by default, what a request's size counts.
DEFAULTS = {"classifier": (10_000, 256, "texts"), "seq2seq": (1_000, 64, "sentences"),
            "tagger": (1_000, 64, "sentences"), "char_lm": (1_000, 64, "characters")}


class Request(NamedTuple):
    call: Callable[[], object]            # the client call (timed)
    check: Callable[[object], str | None]  # a problem with its answer, or None
    size: int                              # texts, sentences or characters


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


def held_out(run_dir: str) -> tuple[list, list | None, bool]:
    """The run's test inputs and targets (a language model: its validation text), and whether it reads POS."""
    from rnnzoo import datasets
    from rnnzoo.runs import RunFolder

    folder = RunFolder(run_dir)
    cfg = folder.read_config()
    split = "validation" if cfg.task == "language_model" else "test"  # a corpus has no test split
    inputs, targets, _ = datasets.examples(cfg, split, data_dir=folder.data_dir())
    reads_pos = cfg.task == "tagging" and folder.read_task(cfg).uses_pos
    return list(inputs), targets, reads_pos


def classifier_requests(model, words: np.ndarray, args) -> Callable:
    def request(rng) -> Request:
        batch = int(rng.integers(1, args.max_batch + 1))
        lengths = rng.integers(0, args.max_words + 1, size=batch)
        starts = rng.integers(0, max(1, len(words) - args.max_words), size=batch)
        texts = [" ".join(words[s:s + n]) for s, n in zip(starts, lengths)]

        def check(scores) -> str | None:
            scores = np.asarray(scores)
            if scores.shape != (batch,) or not (np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()):
                return f"bad output shape {scores.shape} or values for a batch of {batch}"
            return None
        return Request(lambda: client.classify(model, texts), check, batch)
    return request


def sentence_requests(serve: Callable, sentences: list[str], args, fits: Callable) -> Callable:
    """Batches of sentences drawn from `sentences`; `fits(sentence, answer)` says whether one answer is right."""
    def request(rng) -> Request:
        batch = int(rng.integers(1, args.max_batch + 1))
        texts = [sentences[i] for i in rng.integers(0, len(sentences), size=batch)]

        def check(answers) -> str | None:
            if len(answers) != batch:
                return f"{len(answers)} answers for a batch of {batch}"
            wrong = [text for text, answer in zip(texts, answers) if not fits(text, answer)]
            return f"{len(wrong)} bad answers in a batch of {batch}, e.g. for {wrong[0][:60]!r}" if wrong else None
        return Request(lambda: serve(texts), check, batch)
    return request


def generation_requests(model, text: str, args) -> Callable:
    def request(rng) -> Request:
        batch = int(rng.integers(1, args.max_batch + 1))
        sizes = rng.integers(0, args.max_prompt + 1, size=batch)
        starts = rng.integers(0, max(1, len(text) - args.max_prompt), size=batch)
        prompts = [text[s:s + n] for s, n in zip(starts, sizes)]
        length = int(rng.integers(1, args.max_length + 1))
        temperature, top_k = float(rng.uniform(0, 1.2)), int(rng.choice([0, 5, 40]))
        seed = int(rng.integers(0, 2**31))

        def check(texts) -> str | None:
            lengths = sorted({len(t) for t in texts})
            if len(texts) != batch or lengths != [length]:
                return f"{len(texts)} texts of {lengths} characters for {batch} prompts of length {length}"
            return None
        return Request(lambda: client.generate(model, prompts, length, temperature, top_k, seed), check,
                       batch * length)
    return request


def workload(kind: str, model, args) -> Callable:
    """A function of a random generator that makes one request of `kind`."""
    if kind == "classifier":
        words = sample_words() if not args.run else np.asarray(" ".join(held_out(args.run)[0]).split())
        return classifier_requests(model, words, args)
    if not args.run:
        sys.exit(f"a {kind} SavedModel needs --run RUN_DIR: the requests are drawn from that run's held-out data")
    inputs, targets, reads_pos = held_out(args.run)
    if kind == "seq2seq":
        return sentence_requests(lambda texts: client.translate(model, texts, args.beam), inputs, args,
                                 lambda text, output: isinstance(output, str))
    if kind == "tagger":
        from rnnzoo.preprocessing.treebank import tokenize

        words_of = str.split if reads_pos else tokenize  # the words the tagger reads, one tag each
        if reads_pos:  # a chunker reads the given POS: word/POS tokens
            inputs = [" ".join(f"{w}/{p}" for w, p in zip(words.split(" "), pos.split(" ")))
                      for words, (pos, _) in zip(inputs, targets)]
        return sentence_requests(lambda texts: client.tag(model, texts), inputs, args,
                                 lambda text, pairs: len(pairs) == len(words_of(text)) and all(t for _, t in pairs))
    return generation_requests(model, inputs[0], args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--savedmodel", help="an exported SavedModel (default: RUN/savedmodel with --run, else "
                                             "train and export a small sentiment model)")
    parser.add_argument("--run", help="the run folder the SavedModel was exported from: requests come from its "
                                      "held-out data (needed for every kind but a classifier)")
    parser.add_argument("--requests", type=int, help="default: 10,000 for a classifier, 1,000 for the others")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-batch", type=int, help="default: 256 texts for a classifier, 64 for the others")
    parser.add_argument("--max-words", type=int, default=5000, help="classifier: words per text, at most")
    parser.add_argument("--beam", type=int, default=0, help="seq2seq: beam search of this width (default: greedy)")
    parser.add_argument("--max-prompt", type=int, default=100, help="char LM: prompt characters, at most")
    parser.add_argument("--max-length", type=int, default=300, help="char LM: characters to write, at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress-every", type=int, default=500, help="print a progress line every N requests")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="serve_load_")
    path = args.savedmodel or (str(Path(args.run) / "savedmodel") if args.run else small_export(scratch.name))
    model = client.tf.saved_model.load(path)  # kept alive while serving
    kind = client.kind_of(model)
    if kind not in LOADED_KINDS:
        sys.exit(f"{path} is a {kind} SavedModel; this load test serves {', '.join(LOADED_KINDS)}")
    if args.beam and kind != "seq2seq":
        sys.exit(f"--beam applies to a seq2seq SavedModel; {path} is a {kind}")
    default_requests, default_batch, unit = DEFAULTS[kind]
    args.requests = args.requests or default_requests
    args.max_batch = args.max_batch or default_batch
    request = workload(kind, model, args)
    request(np.random.default_rng([args.seed, args.threads])).call()  # the first call traces; not in the figures
    print(f"serving {path} ({kind}): {args.requests:,} requests from {args.threads} threads, batch 1-{args.max_batch}",
          file=sys.stderr)

    lock = threading.Lock()
    records: list[tuple[float, float, int, float]] = []  # (finish time, latency s, size, rss MB)
    failures: list[str] = []

    def worker(index: int) -> None:
        rng = np.random.default_rng([args.seed, index])
        for _ in range(args.requests // args.threads + (index < args.requests % args.threads)):
            one = request(rng)
            started = time.perf_counter()
            try:
                answer = one.call()
                latency = time.perf_counter() - started
                problem = one.check(answer)
            except Exception as err:  # noqa: BLE001 - every failure is counted and reported
                latency = time.perf_counter() - started
                problem = f"{type(err).__name__}: {client.one_line(err)}"
            with lock:
                records.append((time.perf_counter(), latency, one.size, rss_mb()))
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
    sizes = sum(r[2] for r in records)
    rss = np.asarray([r[3] for r in records])
    quarter = max(1, len(rss) // 4)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"requests: {len(records):,} ({sizes:,} {unit}) in {wall:.1f} s; failed: {len(failures)}")
    print(f"latency per request: p50 {np.percentile(latencies, 50):.1f} ms, p99 {np.percentile(latencies, 99):.1f} ms, "
          f"max {latencies.max():.1f} ms")
    print(f"throughput: {len(records) / wall:.2f} requests/s, {sizes / wall:.1f} {unit}/s")
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
