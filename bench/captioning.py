"""Captioning benchmark: caption_lstm on synthetic scenes, exact-caption accuracy and BLEU, greedy and beam.

    python bench/captioning.py                       # the named config
    python bench/captioning.py --beam-width 3 --set conditioning=init_state --out runs/bench-cap-init

Trains `caption_lstm` through `rnnzoo.train` (the in-package scene
generator, the captioning task, the named recipe), then decodes the whole
synthetic test split (captions never seen in training) greedily and with
beam search and prints exact-caption accuracy and corpus BLEU (sacrebleu)
for both, with training and decoding times. There is no published reference
for these synthetic scenes, so the figures stand alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import rnnzoo  # noqa: E402
from rnnzoo.config.overrides import parse_set_values  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="caption_lstm")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--beam-width", type=int, default=3)
    parser.add_argument("--out", help="run folder (default runs/bench-NAME)")
    args = parser.parse_args()

    started, cpu_started = time.time(), time.process_time()
    overrides = parse_set_values(args.set)
    run = rnnzoo.train(args.name, out_dir=args.out or f"runs/bench-{args.name}", epochs=args.epochs, verbose=2,
                       **overrides)
    train_wall, train_cpu = time.time() - started, time.process_time() - cpu_started
    task = run.task
    images, captions, _ = task.examples("test")
    results = {}
    for width in (1, args.beam_width):
        decode_started = time.time()
        found = task.caption_metrics(run.model, images, captions, beam_width=width)
        results[width] = found
        print(f"decoded {len(images):,} test images with beam width {width} in {time.time() - decode_started:.1f} s")
    for image_captions, output in zip(captions[:5], task.decode(run.model, images[:5], beam_width=args.beam_width)):
        print(f"  reference: {image_captions[0]}\n  decoded:   {output['output']}")
    cfg = run.config.to_dict()
    epochs, seconds = len(run.history), sum(row["train_seconds"] for row in run.history)
    print(f"\n{args.name} ({', '.join(f'{k}={v}' for k, v in overrides.items()) or 'named config'}): "
          f"{epochs} of {cfg['train']['epochs']} epochs, {seconds:.0f} s training, "
          f"{run.metrics['train_examples']:,} training captions, {len(images):,} test images")
    for width, found in results.items():
        suffix = "" if width == 1 else f"_beam{width}"
        print(f"test exact-caption accuracy{' (greedy)' if width == 1 else f' (beam {width})'}: "
              f"{100 * found['exact_accuracy' + suffix]:.2f}%, BLEU {found['bleu' + suffix]:.2f}")
    print(f"BLEU signature: {results[1]['bleu_signature']}")
    print(f"wall time: {train_wall:.0f} s training run ({train_cpu:.0f} s CPU), {time.time() - started:.0f} s in all "
          f"({time.process_time() - cpu_started:.0f} s CPU)")


if __name__ == "__main__":
    sys.exit(main())
