"""Tracking benchmark: tracker_lstm against a constant-velocity Kalman filter on the same synthetic test tracks.

    python bench/tracking.py [--epochs N] [--set key=value ...]

Trains `tracker_lstm` through `rnnzoo.train` on tracks generated from the
seed (maneuvering targets, noisy detections, missed detections), then prints
the test RMSE per coordinate, in position units, of: the raw detections
(detected steps only), the Kalman filter (missed detections are predict-only
steps; its process noise tuned on the validation tracks, so the baseline gets
its best setting) and the model, all causal, over every step. Target: the
model's RMSE below the Kalman filter's.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import rnnzoo  # noqa: E402
from rnnzoo.config.overrides import parse_set_values  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, help="default: the named model's recipe")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    parser.add_argument("--out", default="runs/tracker_lstm-bench", help="run folder")
    args = parser.parse_args()

    started = time.perf_counter()
    run = rnnzoo.train("tracker_lstm", out_dir=args.out, epochs=args.epochs, verbose=2, **parse_set_values(args.set))
    wall = time.perf_counter() - started
    m, d = run.metrics, run.config.data
    print(f"test tracks: {m['test_tracks']:,} of {d.seq_length} steps; detection noise {d.observation_noise}, "
          f"missed {100 * m['missed_share']:.1f}% of steps, maneuvers {d.maneuver_probability}/step of sd {d.acceleration}")
    print(f"RMSE raw detections (detected steps): {m['test_rmse_observations']:.3f}")
    print(f"RMSE Kalman filter (CV, process noise {m['kalman_process_noise']:.3f}): {m['test_rmse_kalman']:.3f}")
    print(f"RMSE tracker_lstm: {m['test_rmse_model']:.3f}  "
          f"(ratio to Kalman {m['test_rmse_model'] / m['test_rmse_kalman']:.3f}; target < 1: "
          f"{'met' if m['test_rmse_model'] < m['test_rmse_kalman'] else 'NOT met'})")
    print(f"epochs run {m['epochs_run']}, training {m['train_seconds']:.0f} s, wall {wall:.0f} s (run folder {run.dir})")


if __name__ == "__main__":
    main()
