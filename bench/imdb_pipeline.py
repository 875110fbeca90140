"""Input pipelines for IMDB: padding every review to the cap vs rnnzoo's length-bucketed batches.

    python bench/imdb_pipeline.py --data-dir PATH/TO/aclImdb_v1.tar.gz [--examples 4000]

Same model (sentiment_bilstm's recipe, masks on), same reviews, same
process: one epoch over the first N training reviews with (a) the plain
pipeline, every review right-padded to `max_length`, and (b) rnnzoo's
pipeline, batches of reviews of similar length padded to their longest.
Prints the padding fraction and training samples/s of each, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from rnnzoo.preprocessing import batching  # noqa: E402
from rnnzoo.builders import build_model  # noqa: E402
from rnnzoo.datasets import load_examples  # noqa: E402
from rnnzoo.config.registry import load_config  # noqa: E402
from rnnzoo.tasks.text_classification import TextClassificationTask  # noqa: E402


def time_one_epoch(cfg, batches, num_examples: int) -> float:
    keras.utils.set_random_seed(cfg.train.seed)
    model = build_model(cfg)
    model.fit(batches.take(2), epochs=1, verbose=0)  # trace the graph outside the timing
    started = time.perf_counter()
    model.fit(batches, epochs=1, verbose=0)
    return num_examples / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("RNNZOO_DATA_DIR"))
    parser.add_argument("--examples", type=int, default=4000)
    args = parser.parse_args()

    cfg = load_config("sentiment_bilstm")
    texts, labels, _ = load_examples("imdb", "train", data_dir=args.data_dir, validation_fraction=0.0)
    texts, labels = texts[: args.examples], labels[: args.examples]
    task = TextClassificationTask(cfg)
    task.to_ids.adapt(texts)
    cfg = cfg.replace(vocab_size=len(task.to_ids.get_vocabulary()))
    examples = task.ids_dataset(texts, labels)
    common = {"batch_size": cfg.train.batch_size, "max_length": cfg.data.max_length, "shuffle": True,
              "seed": cfg.train.seed}
    plain = batching.padded_to_length(examples, **common)
    bucketed = batching.length_bucketed(examples, bucket_width=cfg.data.bucket_width, **common)
    results = {}
    for label, batches in (("padded to cap", plain), ("length-bucketed", bucketed)):
        fraction = batching.padding_fraction(batches)
        results[label] = time_one_epoch(cfg, batches, len(texts))
        print(f"{label:<16} padding {100 * fraction:5.1f}% of positions, {results[label]:6.1f} samples/s")
    print(f"length-bucketed / padded to cap: {results['length-bucketed'] / results['padded to cap']:.2f}x samples/s "
          f"(batch {cfg.train.batch_size}, cap {cfg.data.max_length} tokens, {len(texts)} reviews)")


if __name__ == "__main__":
    main()
