"""Sampling speed: rnnzoo's stateful sampler against the keras.io prefix re-run loop, same weights, same process.

    python bench/char_sampling.py RUN_DIR [--length 1000] [--full-prefix]

RUN_DIR is a character language model's run folder (bench/char_lm_shakespeare.py
leaves one; so does `rnnzoo train char_lstm --data sample --epochs 1`).

- rnnzoo: `Run.generate`: the prompt primes the state once, then one
  recurrent step per character with the state carried (O(n)).
- reference: the loop of the keras.io example "Character-level text
  generation with LSTM": for every new character, `model.predict` on the last
  40 characters (its `maxlen`), then sample and append (O(n * 40) steps and one
  `predict` call per character). `--full-prefix` also times the variant that
  re-runs the whole prefix (O(n^2)).

Both draw from the same seeded random stream with the same temperature. On
the full prefix the two give the same text (checked on the first 100
characters). Prints characters per second and the ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import rnnzoo  # noqa: E402
from rnnzoo.inference import sampling  # noqa: E402

PROMPT = "ROMEO:\n"
KERAS_IO_MAXLEN = 40


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--full-prefix", action="store_true", help="also time re-running the whole prefix")
    args = parser.parse_args()

    run = rnnzoo.load_run(args.run_dir)
    task, model = run.task, run.model
    vocabulary = task.vocabulary
    prompt_ids = vocabulary.encode(PROMPT)
    common = {"temperature": args.temperature, "top_k": 0, "seed": args.seed, "start_logits": vocabulary.start_logits()}
    print(f"{run.config.name} ({run.config.model.cell} {run.config.model.num_layers}x{run.config.model.units}), "
          f"{args.length} characters after {PROMPT!r}, temperature {args.temperature}; "
          f"{platform.machine()}, {os.cpu_count()} CPUs")

    step = task.step_model(model)
    sampling.generate(step, prompt_ids, length=5, **common)  # traces the step function once
    model.predict(prompt_ids[None], verbose=0)                # builds predict's function once
    ours, ours_seconds = timed(lambda: sampling.generate(step, prompt_ids, length=args.length, **common))
    reference, reference_seconds = timed(lambda: sampling.generate_by_rerun(
        model, prompt_ids, length=args.length, window=KERAS_IO_MAXLEN, **common))

    rows = [("rnnzoo stateful sampler", ours_seconds),
            (f"keras.io loop (predict on last {KERAS_IO_MAXLEN})", reference_seconds)]
    if args.full_prefix:
        _, full_seconds = timed(lambda: sampling.generate_by_rerun(model, prompt_ids, length=args.length, **common))
        rows.append(("re-run of the whole prefix", full_seconds))
    print(f"\n{'method':<40} {'seconds':>8} {'chars/s':>9} {'rnnzoo speed-up':>16}")
    for name, seconds in rows:
        print(f"{name:<40} {seconds:>8.2f} {args.length / seconds:>9.1f} {seconds / ours_seconds:>15.1f}x")

    check = min(100, args.length)
    same = (sampling.generate(step, prompt_ids, length=check, **common)
            == sampling.generate_by_rerun(model, prompt_ids, length=check, **common)).all()
    print(f"\nstateful and full-prefix re-run give the same first {check} characters: {bool(same)}")
    print(f"\nsample:\n{PROMPT}{vocabulary.decode(ours[0])}")


if __name__ == "__main__":
    main()
