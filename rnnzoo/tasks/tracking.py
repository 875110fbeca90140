"""Target tracking (aligned regression): noisy detections in, the true 2-D position out at every step.

The model sees each track relative to its own last detection, so what it
learns does not depend on where the target is (as a Kalman filter's update
does not): with `last_t` the most recent detection at or before step t (0
before the first one), the input at step t is `(obs_t - last_{t-1}, missed_t)`
and the target is `truth_t - last_t`, both divided by a scale taken from
the training increments; the estimate is `last_t + output * scale`. In
absolute coordinates an LSTM must carry positions through its tanh-bounded
outputs to a precision of a few percent of the scene, which it learns slowly.

A missed detection is the indicator 1 with a zero increment, not a masked
step: a Keras mask would skip the step (a unidirectional RNN repeats its last
output there and the loss ignores it), but the tracker must still say where
the target is when it was not seen. Tracks have a fixed length, so no step is
masked. The model is causal (unidirectional), like the Kalman filter it is
compared with.

metrics.json gets the test RMSE (per coordinate, in position units) of the
raw detections (detected steps only), of a constant-velocity Kalman filter
whose process noise is tuned on the validation tracks, and of the model.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import tensorflow as tf

from rnnzoo import datasets
from rnnzoo.preprocessing import batching
from rnnzoo.tasks import kalman
from rnnzoo.tasks import state_checks as checks
from rnnzoo.config import Config
from rnnzoo.errors import DataError
from rnnzoo.tasks.base import EXPORT, PREDICT, Prepared, Task, check_texts
from rnnzoo.tasks.serving import TrackerServing

MISSED_WORDS = ("-", "nan", "?")


def _latest_detection_index(observations: np.ndarray) -> np.ndarray:
    """(batch, steps): the step of the most recent detection at or before each step, -1 before the first."""
    detected = ~np.isnan(observations).any(axis=-1)
    return np.maximum.accumulate(np.where(detected, np.arange(observations.shape[1])[None, :], -1), axis=1)


def last_detections(observations: np.ndarray) -> np.ndarray:
    """(batch, steps, 2): the most recent detection at or before each step, 0 before the first."""
    latest = _latest_detection_index(observations)
    last = np.take_along_axis(np.nan_to_num(observations), np.maximum(latest, 0)[..., None].repeat(2, -1), axis=1)
    return np.where((latest >= 0)[..., None], last, 0.0)


def features(observations: np.ndarray, scale: float) -> np.ndarray:
    """(batch, steps, 3) model input: the detection minus the previous detection, scaled, and the missed indicator.

    The increment is 0 where the detection is missed and at a track's first
    detection (no previous one), so the input never holds an absolute position.
    """
    missed = np.isnan(observations).any(axis=-1, keepdims=True)
    previous = np.concatenate([np.zeros_like(observations[:, :1]), last_detections(observations)[:, :-1]], axis=1)
    had_previous = np.concatenate([np.zeros_like(missed[:, :1]), ~missed[:, :-1]], axis=1)
    had_previous = np.maximum.accumulate(had_previous, axis=1)
    increments = np.where(missed | ~had_previous, 0.0, np.nan_to_num(observations) - previous) / scale
    return np.concatenate([increments, missed], axis=-1).astype(np.float32)


def targets(observations: np.ndarray, truth: np.ndarray, scale: float) -> np.ndarray:
    """What the model learns: the true position minus the last detection, scaled."""
    return ((truth - last_detections(observations)) / scale).astype(np.float32)


def increment_scale(observations: np.ndarray) -> float:
    """The spread of the training increments (what the inputs are divided by)."""
    spread = float(np.std(features(observations, 1.0)[..., :2][~np.isnan(observations)].ravel()))
    return spread if spread > 0 else 1.0


class TrackingTask(Task):
    capabilities = frozenset({PREDICT, EXPORT})
    serves = "detections, NaN where missed → positions"
    state_description = "the position scale"

    def __init__(self, cfg: Config, scale: float | None = None):
        super().__init__(cfg)
        self.scale = scale

    def _split(self, split: str):
        return datasets.examples(self.cfg, split)

    def _batches(self, observations: np.ndarray, truth: np.ndarray, *, shuffle: bool):
        ds = tf.data.Dataset.from_tensor_slices((features(observations, self.scale),
                                                 targets(observations, truth, self.scale)))
        if shuffle:
            ds = batching.permuted(ds, self.cfg.train.seed, self.data_epoch.variable)  # order: (seed, epoch)
        return ds.batch(self.cfg.train.batch_size).prefetch(tf.data.AUTOTUNE)

    def prepare(self, *, data_dir=None, download: bool | None = None) -> Prepared:
        train, validation, test = (self._split(s) for s in ("train", "validation", "test"))
        self.scale = increment_scale(train[0])
        print(f"rnnzoo: {len(train[0]):,} training tracks of {self.cfg.data.seq_length} steps, "
              f"increment scale {self.scale:.2f}", file=sys.stderr)
        return Prepared(
            train=self._batches(*train[:2], shuffle=True),
            validation=self._batches(*validation[:2], shuffle=False) if len(validation[0]) else None,
            test=self._batches(*test[:2], shuffle=False),
            num_train=len(train[0]),
            overrides={"input_type": "features", "num_features": 3, "num_classes": 2},
            info={"data_source": train[2], "train_tracks": len(train[0]), "validation_tracks": len(validation[0]),
                  "test_tracks": len(test[0]), "increment_scale": self.scale,
                  "missed_share": float(np.isnan(train[0][..., 0]).mean())},
            evaluation={"validation": validation[:2], "test": test[:2]},
        )

    def test_split(self, *, data_dir=None, download: bool | None = None):
        return self._batches(*self._split("test")[:2], shuffle=False)

    def track(self, core, observations: np.ndarray) -> np.ndarray:
        """Estimated positions (batch, steps, 2) for detections (batch, steps, 2), NaN where missed."""
        observations = np.asarray(observations, dtype=np.float32)
        scaled = core.predict(features(observations, self.scale), batch_size=256, verbose=0)
        return last_detections(observations) + np.asarray(scaled, dtype=np.float64) * self.scale

    def summary_metrics(self, model, prepared: Prepared) -> dict[str, Any]:
        """Test RMSE of the raw detections, the tuned constant-velocity Kalman filter and the model."""
        evaluation = prepared.evaluation
        if "test" not in evaluation or not len(evaluation["test"][0]):
            return {}
        observations, truth = evaluation["test"]
        noise = self.cfg.data.observation_noise
        tuning = evaluation["validation"] if len(evaluation["validation"][0]) else evaluation["test"]
        process_noise = kalman.tune_process_noise(*tuning, observation_noise=noise)
        filtered = kalman.kalman_filter(observations, observation_noise=noise, process_noise=process_noise)
        return {"test_rmse_observations": kalman.rmse(observations, truth),
                "test_rmse_kalman": kalman.rmse(filtered, truth),
                "test_rmse_model": kalman.rmse(self.track(model, observations), truth),
                "kalman_process_noise": process_noise}

    def state(self) -> dict[str, Any]:
        return {"kind": "tracking", "scale": self.scale}

    @classmethod
    def from_state(cls, cfg: Config, state: dict[str, Any]) -> "TrackingTask":
        return cls(cfg, checks.positive_number(checks.field(state, "scale"), "scale"))

    @staticmethod
    def parse_track(text: str) -> np.ndarray:
        """'x,y x,y - x,y' -> (steps, 2); '-', 'nan' or '?' is a missed detection."""
        steps = []
        for word in text.split():
            if word.lower() in MISSED_WORDS:
                steps.append((np.nan, np.nan))
                continue
            try:
                x, y = (float(v) for v in word.split(","))
            except ValueError:
                raise DataError(f"A track is detections `x,y` separated by spaces, '-' for a missed one. "
                                f"Received: {word!r}") from None
            if not (np.isfinite(x) and np.isfinite(y)):
                raise DataError(f"A detection must be finite numbers. Received: {word!r}")
            steps.append((x, y))
        if not steps:
            raise DataError("A track needs at least one step (`x,y` or '-').")
        return np.asarray(steps, dtype=np.float32)

    def predict(self, core, inputs) -> list[dict[str, Any]]:
        """For each track (a text of `x,y` detections), the estimated position at every step."""
        results = []
        for text in check_texts(inputs):
            positions = self.track(core, self.parse_track(text)[None])[0]
            results.append({"text": text, "positions": positions.tolist()})
        return results

    @staticmethod
    def format_prediction(prediction: dict[str, Any]) -> str:
        return " ".join(f"{x:.2f},{y:.2f}" for x, y in prediction["positions"])

    def serving_model(self, core) -> TrackerServing:
        """The core and the position scale; the graph computes the features (`rnnzoo.export.tracking`)."""
        return TrackerServing(name=self.cfg.name, core=core, scale=float(self.scale))
