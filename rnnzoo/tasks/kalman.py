"""A constant-velocity Kalman filter in numpy, the classic baseline for tracking a point in 2-D.

State per track: (x, y, vx, vy); one step is one time unit. Accelerations
are modelled as white noise of standard deviation `process_noise` (the
discrete white-noise-acceleration model), detections as the position plus
N(0, observation_noise^2) noise. A missed detection (NaN) is a predict-only
step. All tracks of a batch are filtered at once. The estimate at step t
uses detections up to t only (a filter, not a smoother).
"""

from __future__ import annotations

import numpy as np

F = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float64)
H = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=np.float64)
PRIOR_VARIANCE = 1e6  # an uninformative start: the first detection sets the position, the second the velocity


def process_covariance(process_noise: float) -> np.ndarray:
    """Q of the discrete white-noise-acceleration model with dt = 1."""
    per_axis = np.array([[0.25, 0.5], [0.5, 1.0]]) * process_noise ** 2
    q = np.zeros((4, 4))
    for axis in range(2):
        q[np.ix_([axis, axis + 2], [axis, axis + 2])] = per_axis
    return q


def kalman_filter(observations: np.ndarray, *, observation_noise: float, process_noise: float) -> np.ndarray:
    """Filtered positions (batch, steps, 2) from detections (batch, steps, 2), NaN where a detection was missed."""
    observations = np.asarray(observations, dtype=np.float64)
    batch, steps, _ = observations.shape
    q, r = process_covariance(process_noise), np.eye(2) * observation_noise ** 2
    state = np.zeros((batch, 4))
    covariance = np.repeat(np.eye(4)[None] * PRIOR_VARIANCE, batch, axis=0)
    positions = np.zeros((batch, steps, 2))
    for t in range(steps):
        if t > 0:  # predict
            state = state @ F.T
            covariance = F @ covariance @ F.T + q
        z = observations[:, t]
        seen = ~np.isnan(z).any(axis=-1)
        innovation = np.where(seen[:, None], z, 0.0) - state @ H.T
        s = H @ covariance @ H.T + r
        # pinv: with no noise at all, S can be singular; the update is then a plain prediction.
        gain = covariance @ H.T @ np.linalg.pinv(s, hermitian=True)
        updated_state = state + np.einsum("bij,bj->bi", gain, innovation)
        updated_covariance = (np.eye(4) - gain @ H) @ covariance
        state = np.where(seen[:, None], updated_state, state)
        covariance = np.where(seen[:, None, None], updated_covariance, covariance)
        positions[:, t] = state[:, :2]
    return positions


def rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Root mean squared error per coordinate over every finite estimate."""
    error = np.asarray(estimate, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return float(np.sqrt(np.nanmean(error ** 2)))


def tune_process_noise(observations: np.ndarray, truth: np.ndarray, *, observation_noise: float,
                       candidates=tuple(np.geomspace(0.01, 3.0, 25))) -> float:
    """The process noise with the lowest RMSE on (validation) tracks: the baseline gets its best setting."""
    scores = [rmse(kalman_filter(observations, observation_noise=observation_noise, process_noise=q), truth)
              for q in candidates]
    return float(candidates[int(np.argmin(scores))])
