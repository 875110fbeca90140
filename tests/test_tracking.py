"""Tracking: the synthetic generator, the Kalman baseline, missed detections as features, a tiny run."""

import numpy as np
import pytest

import rnnzoo
from rnnzoo import ConfigError, DataError
from rnnzoo.datasets.tracking import generate, load_tracking
from rnnzoo.tasks.kalman import kalman_filter, rmse
from rnnzoo.tasks.tracking import TrackingTask, features, last_detections

TINY = {"units": 8, "num_examples": 60, "seq_length": 12, "batch_size": 16, "num_layers": 1}


def test_kalman_filter_is_exact_on_a_noiseless_straight_line():
    steps = np.arange(20.0)[:, None]
    line = np.array([3.0, -4.0]) + steps * np.array([0.7, -1.3])
    observations = line.copy()[None]
    observations[0, [3, 4, 9, 15, 19]] = np.nan  # missed detections: predict-only steps
    estimate = kalman_filter(observations, observation_noise=0.0, process_noise=0.0)
    np.testing.assert_allclose(estimate[0], line, atol=1e-9)


def test_kalman_filter_smooths_noise_and_survives_all_missed():
    observations, truth = generate(300, 40, 0, observation_noise=2.0, acceleration=0.0, maneuver_probability=0.0)
    filtered = kalman_filter(observations, observation_noise=2.0, process_noise=0.01)
    assert rmse(filtered, truth) < 0.7 * rmse(observations, truth)
    blind = kalman_filter(np.full((2, 5, 2), np.nan), observation_noise=1.0, process_noise=0.1)
    assert np.all(np.isfinite(blind))


def test_generator_is_seeded_and_splits_are_disjoint():
    a, b = generate(50, 10, 7), generate(50, 10, 7)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(generate(50, 10, 8)[1], a[1])
    observations, truth = generate(2000, 30, 1, miss_probability=0.25)
    assert abs(np.isnan(observations[..., 0]).mean() - 0.25) < 0.02
    assert np.array_equal(np.isnan(observations[..., 0]), np.isnan(observations[..., 1]))
    assert np.all(np.isfinite(truth))
    sizes = [len(load_tracking(s, num_examples=100, seq_length=5, seed=1)[0]) for s in ("train", "validation", "test")]
    assert sizes == [80, 10, 10]
    with pytest.raises(DataError, match=r"`split` must be one of train, validation, test"):
        load_tracking("dev")


def test_a_missed_detection_is_a_feature_not_a_masked_step():
    observations = np.array([[[1.0, 2.0], [np.nan, np.nan], [3.0, 4.0]]], dtype=np.float32)
    # Increments from the previous detection (none at the first one), scaled; a miss is (0, 0, 1).
    np.testing.assert_allclose(features(observations, 2.0)[0], [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    np.testing.assert_allclose(last_detections(observations)[0], [[1, 2], [1, 2], [3, 4]])
    model = rnnzoo.build("tracker_lstm", units=4, num_layers=1)
    output = np.asarray(model(features(observations, 2.0)))
    # A masked step would repeat the previous step's output; a missed detection must get its own estimate.
    assert not np.allclose(output[0, 1], output[0, 0])
    blind = np.asarray(model(features(np.full((2, 6, 2), np.nan, dtype=np.float32), 1.0)))
    assert np.all(np.isfinite(blind))  # every detection missed: still a position at every step, no NaN


def test_inputs_and_estimates_do_not_depend_on_where_the_target_is():
    observations, truth = generate(4, 10, 3, miss_probability=0.3)
    shifted = observations + np.float32(50.0)
    np.testing.assert_allclose(features(shifted, 3.0), features(observations, 3.0), atol=1e-4)
    model = rnnzoo.build("tracker_lstm", units=4, num_layers=1)
    task = TrackingTask(rnnzoo.load_config("tracker_lstm"), scale=3.0)
    seen = np.cumsum(~np.isnan(observations[..., 0]), axis=1) > 0  # from the first detection on
    moved = task.track(model, shifted) - task.track(model, observations)
    np.testing.assert_allclose(moved[seen], 50.0, atol=1e-3)
    late = np.full((1, 3, 2), np.nan, dtype=np.float32)
    late[0, 2] = (7.0, 8.0)
    np.testing.assert_allclose(last_detections(late)[0], [[0, 0], [0, 0], [7, 8]])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return rnnzoo.train("tracker_lstm", out_dir=tmp_path_factory.mktemp("track") / "run", epochs=1, verbose=0, **TINY)


def test_tiny_run_records_the_three_rmses(run):
    m = run.metrics
    assert m["test_tracks"] == 6 and m["train_tracks"] == 48
    for key in ("test_rmse_observations", "test_rmse_kalman", "test_rmse_model"):
        assert np.isfinite(m[key]) and m[key] > 0
    assert np.isfinite(m["test_loss"])


def test_predict_gives_a_position_at_every_step(run):
    [prediction] = run.predict(["0,0 1,1 - 3,3"])
    assert len(prediction["positions"]) == 4 and np.all(np.isfinite(prediction["positions"]))
    assert len(TrackingTask.format_prediction(prediction).split()) == 4
    with pytest.raises(DataError, match=r"detections `x,y` separated by spaces.*Received: '1,a'"):
        run.predict(["0,0 1,a"])
    with pytest.raises(DataError, match="at least one step"):
        run.predict([""])
    with pytest.raises(ConfigError, match=r"tracker_lstm.* use format='savedmodel'. Received: format='keras'"):
        run.export(run.dir / "model.keras", format="keras")
