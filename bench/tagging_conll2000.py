"""CoNLL-2000 tagging benchmark: part of speech (token accuracy) or chunks (span F1).

    python bench/tagging_conll2000.py --data-dir PATH/TO/conll2000 --target pos
    python bench/tagging_conll2000.py --data-dir PATH/TO/conll2000 --target chunk [--epochs N] [--set key=value]

Trains the target's named model (`tagger_bigru` for POS, `chunker_bigru_crf`
for chunks; `--model` picks another) through `rnnzoo.train` (the real loader and recipe),
then prints the test figures rnnzoo computed from the tag strings of all
2,012 test sentences, against the targets: POS accuracy >= 96.5% (BiLSTM
taggers on WSJ: about 97%), chunk F1 >= 93.5 (the 2000 shared task's best
system; conlleval's span rules), with the training and wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import rnnzoo  # noqa: E402
from rnnzoo.config.overrides import parse_set_values  # noqa: E402

TARGETS = {"pos": ("test_token_accuracy", 0.965, "token accuracy"),
           "chunk": ("test_chunk_f1", 0.935, "chunk F1 (conlleval)")}
MODELS = {"pos": "tagger_bigru", "chunk": "chunker_bigru_crf"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder of train.txt(.gz) and test.txt(.gz)")
    parser.add_argument("--target", choices=sorted(TARGETS), required=True)
    parser.add_argument("--epochs", type=int, help="default: the named model's recipe")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    parser.add_argument("--model", help="named tagger (default: tagger_bigru for pos, chunker_bigru_crf for chunk)")
    parser.add_argument("--out", help="run folder (default runs/MODEL-TARGET-bench)")
    args = parser.parse_args()

    name = args.model or MODELS[args.target]
    overrides = {**parse_set_values(args.set), "target": args.target}
    started = time.perf_counter()
    run = rnnzoo.train(name, data_dir=args.data_dir, out_dir=args.out or f"runs/{name}-{args.target}-bench",
                       epochs=args.epochs, verbose=2, **overrides)
    wall = time.perf_counter() - started
    key, target, label = TARGETS[args.target]
    m = run.metrics
    print(json.dumps({k: v for k, v in m.items() if k.startswith("test_")}, indent=2))
    print(f"{name} --target {args.target}: test {label} = {100 * m[key]:.2f} "
          f"(target >= {100 * target:.1f}: {'met' if m[key] >= target else 'NOT met'})")
    if args.target == "chunk":
        print(f"  precision {100 * m['test_chunk_precision']:.2f}, recall {100 * m['test_chunk_recall']:.2f}, "
              f"token accuracy {100 * m['test_token_accuracy']:.2f}")
    print(f"  epochs run {m['epochs_run']}, training {m['train_seconds']:.0f} s, wall {wall:.0f} s (run folder {run.dir})")


if __name__ == "__main__":
    main()
