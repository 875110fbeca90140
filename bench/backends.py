"""sentiment_bilstm training speed under each installed Keras backend, as ratios to TensorFlow.

    python bench/backends.py                        # every backend this Python can import
    python bench/backends.py --python torch=/path/to/venv/bin/python --steps 8

Every backend trains the same model (`sentiment_bilstm`'s layers and sizes,
vocabulary 20,000) from its own seeded start on the same batches: right-padded
token ids in four length buckets, as rnnzoo's length-bucketed pipeline makes
them, masks on. Each backend runs in its own process (the backend is fixed at
import); each bucket's first step is untimed (tracing, compilation).

On JAX and torch two paths are timed: Keras' own masked loop (those backends'
fused LSTM kernels take no mask, so Keras steps through time) and rnnzoo's
right-padded path, forced on (`rnnzoo.layers.RightPaddedFastPath`: the unmasked
kernel, each row reversed within its length for the backward direction). The
last column says which of the two rnnzoo uses by default on this machine
(the right-padded path on torch with a GPU only). Both paths start from the
same weights and see the same batches, so their losses after the timed steps
must agree; the table prints both.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

BUCKETS = (96, 160, 256, 400)  # padded lengths; a batch holds rows of lengths (previous bucket, bucket]
PATHS = {"tensorflow": ["keras"], "jax": ["keras", "right-padded"], "torch": ["keras", "right-padded"]}


def batches(steps: int, batch_size: int, vocab_size: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for step in range(steps):
        bucket = step % len(BUCKETS)
        low, high = (BUCKETS[bucket - 1] if bucket else 8) + 1, BUCKETS[bucket]
        lengths = rng.integers(low, high + 1, batch_size)
        x = np.zeros((batch_size, high), dtype="int32")
        for row, n in enumerate(lengths):
            x[row, :n] = rng.integers(1, vocab_size, n)
        y = rng.integers(0, 2, (batch_size, 1)).astype("float32")
        out.append((x, y))
    return out


def child(path: str, steps: int, batch_size: int) -> dict:
    """Runs in the subprocess: trains and times one backend on one path."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    import rnnzoo
    from rnnzoo import layers as zoo_layers

    fast = zoo_layers.RightPaddedFastPath
    probe = keras.ops.zeros((1, 1, 1))
    default = "right-padded" if fast.backend_has_faster_unmasked_kernel(probe) else "keras"
    fast.forced = path == "right-padded"
    traced = []  # the right-padded path was taken (at least traced, under JAX's jit)
    unmasked_loop = fast._unmasked_loop
    fast._unmasked_loop = lambda self, *a: traced.append(1) or unmasked_loop(self, *a)
    vocab_size = 20000
    keras.utils.set_random_seed(0)
    model = rnnzoo.build("sentiment_bilstm", vocab_size=vocab_size)
    warmup = batches(len(BUCKETS), batch_size, vocab_size, seed=1)
    timed = batches(steps, batch_size, vocab_size, seed=2)
    for x, y in warmup:
        model.train_on_batch(x, y)
    started = time.perf_counter()
    for x, y in timed:
        loss = model.train_on_batch(x, y)
    seconds = time.perf_counter() - started
    loss = float(loss[0] if isinstance(loss, (list, tuple)) else loss)
    return {"backend": keras.backend.backend(), "path": path, "samples_per_s": steps * batch_size / seconds,
            "seconds": seconds, "loss": loss, "right_padded_path": bool(traced), "default": default == path,
            "tokens_per_s": sum(int((x > 0).sum()) for x, _ in timed) / seconds}


def run_child(python: str, backend: str, path: str, args) -> dict | None:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [python, os.path.abspath(__file__), "--child", path, "--steps", str(args.steps),
               "--batch-size", str(args.batch_size)]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        print(f"{backend}/{path}: failed: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=list(PATHS), choices=list(PATHS))
    parser.add_argument("--steps", type=int, default=8, help="timed steps per run (cycling through the buckets)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--python", action="append", default=[], metavar="BACKEND=PATH",
                        help="interpreter that has BACKEND installed (default: this one)")
    parser.add_argument("--child", choices=["keras", "right-padded"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.steps, args.batch_size)))
        return 0

    pythons = dict(item.split("=", 1) for item in args.python)
    results = []
    for backend in args.backends:
        python = pythons.get(backend, sys.executable)
        if python == sys.executable and importlib.util.find_spec(backend) is None:
            print(f"{backend}: not installed for {python}; skipped (see --python)", file=sys.stderr)
            continue
        for path in PATHS[backend]:
            result = run_child(python, backend, path, args)
            if result:
                results.append(result)
                print(f"  {backend}/{path}: {result['samples_per_s']:.1f} samples/s", file=sys.stderr, flush=True)
    reference = next((r["samples_per_s"] for r in results if r["backend"] == "tensorflow"), None)
    print(f"sentiment_bilstm, batch {args.batch_size}, {args.steps} timed steps over padded lengths "
          f"{', '.join(map(str, BUCKETS))} (masked, right-padded)")
    print(f"{'backend':<11}{'RNN path':<26}{'samples/s':>10}{'tokens/s':>10}{'vs TF':>7}{'loss':>9}  "
          f"taken  rnnzoo's default here")
    names = {"keras": "Keras masked loop", "right-padded": "right-padded (forced)"}
    for r in results:
        ratio = f"{r['samples_per_s'] / reference:.2f}x" if reference else "-"
        name = "fused kernel + mask" if r["backend"] == "tensorflow" else names[r["path"]]
        print(f"{r['backend']:<11}{name:<26}{r['samples_per_s']:>10.1f}{r['tokens_per_s']:>10.0f}{ratio:>7}"
              f"{r['loss']:>9.4f}  {'yes' if r['right_padded_path'] else 'no':<5}  {'yes' if r['default'] else 'no'}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
