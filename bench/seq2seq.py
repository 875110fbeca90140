"""Seq2seq benchmarks: addition_lstm and dates_gru (exact-sequence accuracy), translate_gru (BLEU on Multi30k).

    python bench/seq2seq.py addition_lstm
    python bench/seq2seq.py dates_gru
    python bench/seq2seq.py translate_gru --data-dir PATH/TO/multi30k [--time-budget 1680] [--beam-width 5]
    python bench/seq2seq.py translate_gru --data-dir PATH/TO/multi30k --set attention=none   # the comparison

Trains the named model through `rnnzoo.train` (the real loader, the real
recipe), then decodes the whole test split greedily and with beam search and
prints exact-sequence accuracy (synthetic tasks) or corpus BLEU (sacrebleu,
translation) for both, with the training and wall time. The targets and the
published references they compare to are printed beside the figures:
addition >= 99.5% exact (keras.io's addition example: about 99% per
character after 30 epochs), dates >= 99.5% exact, Multi30k de->en test 2016
BLEU >= 30 (published GRU baselines: 20.6 without attention, 28.3 with
Bahdanau attention). `--time-budget SECONDS` stops training before an epoch
that would not finish within the budget (the best epoch's weights are kept),
so a run on a small machine says how far it got in that time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import rnnzoo  # noqa: E402
from rnnzoo.config.overrides import parse_set_values  # noqa: E402

TARGETS = {"addition_lstm": ("exact_accuracy", 0.995, "keras.io addition example: ~0.99 per character"),
           "dates_gru": ("exact_accuracy", 0.995, ""),
           "translate_gru": ("bleu", 30.0, "published GRU: 20.6 without attention, 28.3 with Bahdanau attention")}


class TimeBudget(keras.callbacks.Callback):
    """Stops training when the next epoch, as long as the slowest so far, would end past the budget."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds, self.started, self.slowest = seconds, time.perf_counter(), 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.slowest = max(self.slowest, time.perf_counter() - self.epoch_started)
        if time.perf_counter() - self.started + self.slowest > self.seconds:
            print(f"time budget: stopping after epoch {epoch + 1}", flush=True)
            self.model.stop_training = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(TARGETS))
    parser.add_argument("--data-dir", default=os.environ.get("RNNZOO_DATA_DIR"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--time-budget", type=float, help="seconds of training at most (whole epochs)")
    parser.add_argument("--beam-width", type=int, default=5)
    parser.add_argument("--out", help="run folder (default runs/bench-NAME)")
    args = parser.parse_args()

    started = time.time()
    overrides = parse_set_values(args.set)
    callbacks = [TimeBudget(args.time_budget)] if args.time_budget else []
    run = rnnzoo.train(args.name, data_dir=args.data_dir, out_dir=args.out or f"runs/bench-{args.name}",
                       epochs=args.epochs, verbose=2, callbacks=callbacks, **overrides)
    train_wall = time.time() - started
    metric, target, reference = TARGETS[args.name]
    task = run.task
    sources, targets, _ = task._examples("test", args.data_dir, None)
    results = {}
    for width in (1, args.beam_width):
        decode_started = time.time()
        found = task.sequence_metrics(run.model, sources, targets, beam_width=width)
        key = metric if width == 1 else f"{metric}_beam{width}"
        results[key] = found[key]
        print(f"decoded {len(sources):,} test examples with beam width {width} in {time.time() - decode_started:.1f} s"
              + (f" ({found['bleu_signature']})" if "bleu_signature" in found else ""))
    cfg = run.config.to_dict()
    # history.csv covers every epoch, also those of an earlier, interrupted session that this one resumed.
    epochs, seconds = len(run.history), sum(row["train_seconds"] for row in run.history)
    print(f"\n{args.name} ({', '.join(f'{k}={v}' for k, v in overrides.items()) or 'named config'}): "
          f"{epochs} of {cfg['train']['epochs']} epochs, {seconds:.0f} s training "
          f"({run.metrics['train_examples'] * epochs / seconds:.0f} samples/s), "
          f"{run.metrics['train_examples']:,} training pairs")
    print(f"model: {json.dumps({k: cfg['model'][k] for k in ('cell', 'units', 'num_layers', 'bidirectional', 'embedding_dim', 'attention', 'dropout', 'vocab_size', 'target_vocab_size')})}")
    for key, value in results.items():
        shown = f"{100 * value:.2f}%" if metric == "exact_accuracy" else f"{value:.2f}"
        goal = f"{100 * target:.1f}%" if metric == "exact_accuracy" else f"{target:.1f}"
        print(f"test {key}: {shown} (target >= {goal}; ratio to target {value / target:.3f})"
              + (f"; {reference}" if reference else ""))
    print(f"wall time: {train_wall:.0f} s training run, {time.time() - started:.0f} s in all")


if __name__ == "__main__":
    sys.exit(main())
