"""Tiny Shakespeare: char_lstm's default recipe, validation nats/char against wall time.

    python bench/char_lm_shakespeare.py --data-dir PATH/TO/tinyshakespeare.txt [--out runs/shakespeare]
                                        [--model char_lstm] [--set key=value ...]

Trains the named model with its default recipe (zoo_configs/char_lstm.toml)
on the first 90% of the corpus and prints, after every epoch, the wall time
so far and the validation loss in nats/char and bits/char (windows of
seq_length, each from a zero state: Keras' val_loss). At the end it prints
both validation figures of the best weights (windows, and the whole
validation text read in order with the state carried), the target (1.50
nats/char), and a 600-character sample. The run folder it leaves is what
bench/char_sampling.py and `rnnzoo generate` read.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import rnnzoo  # noqa: E402
from rnnzoo.config.overrides import parse_set_values  # noqa: E402

TARGET = 1.50


class WallClock(keras.callbacks.Callback):
    """Prints wall time and validation nats/char and bits/char after each epoch."""

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        print(f"{'epoch':>5}  {'wall s':>8}  {'train nats':>10}  {'val nats/char':>13}  {'val bits/char':>13}", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        val = logs.get("val_loss", float("nan"))
        print(f"{epoch + 1:>5}  {time.perf_counter() - self.start:>8.0f}  {logs.get('loss', float('nan')):>10.4f}  "
              f"{val:>13.4f}  {val / math.log(2):>13.4f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="tinyshakespeare.txt (default: $RNNZOO_DATA_DIR, then tensorflow_datasets)")
    parser.add_argument("--model", default="char_lstm")
    parser.add_argument("--out", default="runs/shakespeare")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()

    cfg = rnnzoo.load_config(args.model, parse_set_values(args.set))
    print(f"{args.model}: {cfg.model.cell} {cfg.model.num_layers}x{cfg.model.units}, seq_length {cfg.data.seq_length}, "
          f"batch {cfg.train.batch_size}, lr {cfg.train.learning_rate} ({cfg.train.lr_schedule}), "
          f"{cfg.train.epochs} epochs, stateful={cfg.train.stateful}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    run = rnnzoo.train(args.model, data_dir=args.data_dir, out_dir=args.out, verbose=0, callbacks=[WallClock()],
                       download=False, **parse_set_values(args.set))
    total = time.perf_counter() - started
    m = run.metrics
    print()
    print(f"validation, windows of {cfg.data.seq_length} from a zero state: {m['val_nats_per_char']:.4f} nats/char "
          f"= {m['val_bits_per_char']:.4f} bits/char")
    print(f"validation, whole text in order, state carried:    {m['val_nats_per_char_stream']:.4f} nats/char "
          f"= {m['val_bits_per_char_stream']:.4f} bits/char")
    print(f"target {TARGET:.2f} nats/char: windows {'met' if m['val_nats_per_char'] <= TARGET else 'NOT met'}, "
          f"stream {'met' if m['val_nats_per_char_stream'] <= TARGET else 'NOT met'}")
    print(f"training wall time {m['wall_seconds']:.0f} s ({m['wall_seconds'] / 60:.1f} min) for {m['epochs_run']} epochs, "
          f"{m['train_characters'] * m['epochs_run'] / m['train_seconds']:,.0f} training chars/s; "
          f"whole script {total:.0f} s")
    sample = run.generate("ROMEO:", length=600, temperature=0.8, top_k=0, seed=7)
    print("\nsample (prompt 'ROMEO:', temperature 0.8, seed 7):\nROMEO:" + sample)
    print(f"\nrun folder: {run.dir}")


if __name__ == "__main__":
    main()
