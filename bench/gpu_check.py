"""GPU check: train sentiment_bilstm and char_lstm for a fixed number of steps and print throughput.

Runs under any Keras backend without TensorFlow (the accelerator machines
have PyTorch and JAX only): inputs are numpy arrays fed through a
`keras.utils.PyDataset`, the models come from `rnnzoo.build`, which needs
Keras alone. On one GPU the default settings finish in well under 5 minutes.

    KERAS_BACKEND=torch python bench/gpu_check.py            # or jax, or tensorflow
    KERAS_BACKEND=jax python bench/gpu_check.py --steps 5    # a quick smoke run (CPU too)

Printed per model: samples/s and tokens/s (real, unpadded tokens) over the
timed steps (the first steps, which compile/trace, are excluded), and whether
the fused cuDNN kernel ran. How that is told: under torch, cuDNN's RNN entry
point (`torch._cudnn_rnn`) is counted by a `TorchDispatchMode` during one
timed step; under JAX, the compiled train step's HLO is searched for the cuDNN
RNN custom call (TensorFlow is not probed: `rnnzoo doctor NAME` tells its
eligibility). The batches' sequences are right-padded and masked, as rnnzoo
trains them. Keras 3.15's JAX and torch backends use cuDNN only for unmasked
input, so each model runs twice there: on Keras' masked loop, and on rnnzoo's
default path (`rnnzoo.layers.RightPaddedFastPath`: a right-padded batch goes
through the unmasked fused kernel, with the same results).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import rnnzoo  # noqa: E402
from rnnzoo.cli.doctor import environment, recurrent_layers  # noqa: E402

MODELS = {
    # name: (sequence length, overrides); sizes are the named models' own unless noted
    "sentiment_bilstm": (200, {"vocab_size": 20000}),
    "char_lstm": (100, {"vocab_size": 68, "num_classes": 68}),
}


class Batches(keras.utils.PyDataset):
    """Fixed random batches of right-padded token ids, rows of random length (a quarter to all of `length`)."""

    def __init__(self, cfg, *, batch_size: int, length: int, count: int, seed: int = 0):
        super().__init__()
        rng = np.random.default_rng(seed)
        m = cfg.model
        self.batches = []
        for _ in range(count):
            x = rng.integers(1, m.vocab_size, size=(batch_size, length)).astype("int32")
            for row, n in enumerate(rng.integers(length // 4, length + 1, batch_size)):
                x[row, n:] = 0
            if cfg.io == "aligned":
                y = rng.integers(0, m.num_classes, size=(batch_size, length)).astype("int32")
            else:
                y = rng.integers(0, 2, size=(batch_size, 1)).astype("float32")
            self.batches.append((x, y))
        self.real_tokens = [int((x > 0).sum()) for x, _ in self.batches]

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches[index]


def fused_kernel_ran(model, batch) -> str:
    """'yes'/'no' from what one training step actually executed (see the module docstring)."""
    backend = keras.backend.backend()
    x, y = batch
    if backend == "torch":
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode

        class Count(TorchDispatchMode):
            calls = 0

            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                if "cudnn_rnn" in str(func):
                    Count.calls += 1
                return func(*args, **(kwargs or {}))

        with Count():
            model.train_on_batch(x, y)
        torch.cuda.synchronize() if torch.cuda.is_available() else None
        return "yes" if Count.calls else "no"
    if backend == "jax":
        import jax

        state = (model.trainable_variables, model.non_trainable_variables,
                 model.optimizer.variables, model.metrics_variables)
        state = tuple([v.value for v in group] for group in state)
        text = jax.jit(model.train_step).lower(state, (x, y)).as_text()
        return "yes" if "cudnn" in text.lower() else "no"
    return "unknown (TensorFlow: see `rnnzoo doctor NAME`)"


def check(name: str, *, steps: int, warmup: int, batch_size: int, mixed: bool, path: str) -> dict:
    from rnnzoo.layers import RightPaddedFastPath

    RightPaddedFastPath.forced = False if path == "keras" else None  # None: rnnzoo's default for the backend
    length, sizes = MODELS[name]
    cfg = rnnzoo.load_config(name, {**sizes, "mixed_precision": mixed})
    keras.utils.set_random_seed(0)
    model = rnnzoo.build(cfg.name, **sizes, mixed_precision=mixed)
    data = Batches(cfg, batch_size=batch_size, length=length, count=warmup + steps)
    model.fit(Batches(cfg, batch_size=batch_size, length=length, count=warmup, seed=1),
              epochs=1, verbose=0)  # compiles / traces
    started = time.perf_counter()
    history = model.fit(data, epochs=1, verbose=0, steps_per_epoch=steps)
    seconds = time.perf_counter() - started
    fused = fused_kernel_ran(model, data[0])
    layers = recurrent_layers(model)
    return {
        "model": name, "path": path, "steps": steps, "batch_size": batch_size, "length": length,
        "seconds": seconds, "samples_per_s": steps * batch_size / seconds,
        "tokens_per_s": sum(data.real_tokens[:steps]) / seconds,
        "loss": float(history.history["loss"][-1]), "fused_kernel_ran": fused,
        "eligible_layers": f"{sum(r['fused_eligible'] for r in layers)}/{len(layers)}",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="timed training steps per model (default 50)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (tracing, autotuning)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--mixed-precision", action="store_true")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--paths", nargs="+", default=["keras", "rnnzoo"], choices=["keras", "rnnzoo"],
                        help="RNN paths to time under JAX/torch: Keras' masked loop, rnnzoo's default")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    env = environment()
    print(f"backend={env['backend']} keras={env['keras']} devices={', '.join(env['devices'])} "
          f"tensorflow_imported={'tensorflow' in sys.modules}")
    print(f"{'model':<18}{'path':<8}{'steps':>6}{'batch':>6}{'len':>5}{'samples/s':>11}{'tokens/s':>11}"
          f"{'loss':>8}  fused kernel ran (eligible layers)", flush=True)
    paths = args.paths if env["backend"] in ("jax", "torch") else ["rnnzoo"]
    for name in args.models:
        for path in paths:
            r = check(name, steps=args.steps, warmup=args.warmup, batch_size=args.batch_size,
                      mixed=args.mixed_precision, path=path)
            print(f"{r['model']:<18}{r['path']:<8}{r['steps']:>6}{r['batch_size']:>6}{r['length']:>5}"
                  f"{r['samples_per_s']:>11.1f}{r['tokens_per_s']:>11.0f}{r['loss']:>8.4f}  {r['fused_kernel_ran']} "
                  f"({r['eligible_layers']})", flush=True)
    print(f"wall {time.perf_counter() - started:.1f} s; tensorflow_imported={'tensorflow' in sys.modules}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
