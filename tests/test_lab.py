"""The vanishing-gradient lab: the adding problem, dL/dh_t against a hand computation, sigma_max, the report, bad lengths."""

import json

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo import ConfigError
from rnnzoo.cli import main
from rnnzoo.datasets.adding import BASELINE_MSE, adding_examples, load_adding
from rnnzoo.lab import exploding_run, hidden_state_gradient_norms, recurrent_sigma_max, vanishing


def test_adding_examples_have_two_markers_one_per_half_and_the_marked_sum():
    inputs, targets = adding_examples(500, 20, seed=0)
    values, markers = inputs[..., 0], inputs[..., 1]
    assert inputs.shape == (500, 20, 2) and targets.shape == (500, 1)
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :10].sum(axis=1) == 1) and np.all(markers[:, 10:].sum(axis=1) == 1)
    np.testing.assert_allclose(targets[:, 0], (values * markers).sum(axis=1), rtol=1e-6)
    assert np.all((values >= 0) & (values < 1))


def test_answering_one_scores_the_baseline_mse():
    _, targets = adding_examples(40_000, 10, seed=1)
    assert np.mean((targets - 1.0) ** 2) == pytest.approx(BASELINE_MSE, abs=0.005)


def test_adding_splits_are_seeded_and_distinct():
    train, _, _ = load_adding("train", num_examples=100, seq_length=6, seed=3)
    again, _, _ = load_adding("train", num_examples=100, seq_length=6, seed=3)
    test, _, _ = load_adding("test", num_examples=100, seq_length=6, seed=3)
    np.testing.assert_array_equal(train, again)
    assert len(train) == 80 and len(test) == 10 and not np.isin(test[..., 0], train[..., 0]).any()


def linear_rnn(w: float, u: float, a: float) -> keras.Model:
    """h_t = w h_{t-1} + u x_t (one unit, no bias, no tanh), prediction a h_T."""
    inputs = keras.Input((None, 1))
    hidden = keras.layers.SimpleRNN(1, activation=None, use_bias=False, name="rnn_1")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, use_bias=False, name="head")(hidden))
    model.get_layer("rnn_1").set_weights([np.array([[u]]), np.array([[w]])])
    model.get_layer("head").set_weights([np.array([[a]])])
    return model


@pytest.mark.parametrize("w", [0.5, 1.3])
def test_gradient_norms_equal_the_hand_computation_for_a_linear_rnn(w):
    u, a, y = 0.7, 2.0, 1.0
    x = np.array([[1.0, 2.0, -1.0, 0.5, 3.0, -2.0]], dtype="float32")[..., None]
    steps = x.shape[1]
    h_last = sum(u * x[0, t, 0] * w ** (steps - 1 - t) for t in range(steps))
    d_last = 2 * a * (a * h_last - y)  # dL/dh_T of L = (a h_T - y)^2
    expected = [abs(d_last) * w ** (steps - 1 - t) for t in range(steps)]  # dL/dh_t = w^(T-t) dL/dh_T
    found = hidden_state_gradient_norms(linear_rnn(w, u, a), x, np.array([[y]], dtype="float32"))
    np.testing.assert_allclose(found, expected, rtol=1e-5)


def test_gradient_norms_of_a_tanh_rnn_follow_the_chain_rule():
    model = rnnzoo.build("adding_rnn", units=1, compile=False)
    kernel, recurrent, bias = 0.8, 0.9, 0.1
    model.get_layer("rnn_1").set_weights([np.array([[kernel], [-0.5]]), np.array([[recurrent]]), np.array([bias])])
    head_weight, head_bias = model.get_layer("head").get_weights()
    x, y = adding_examples(1, 8, seed=2)
    h, hs = 0.0, []
    for t in range(8):
        h = np.tanh(x[0, t] @ np.array([kernel, -0.5]) + recurrent * h + bias)
        hs.append(h)
    grad = 2 * (hs[-1] * head_weight[0, 0] + head_bias[0] - y[0, 0]) * head_weight[0, 0]
    expected = [0.0] * 8
    for t in range(7, -1, -1):
        expected[t] = abs(grad)
        grad = grad * recurrent * (1 - hs[t] ** 2)  # back through h_t = tanh(... + w h_{t-1})
    np.testing.assert_allclose(hidden_state_gradient_norms(model, x, y), expected, rtol=1e-4)


def test_sigma_max_is_the_largest_singular_value_of_the_recurrent_kernel():
    model = rnnzoo.build("adding_gru", units=2, compile=False)
    cell = model.get_layer("gru_1").cell
    kernel = np.zeros((2, 6))
    kernel[0, 0], kernel[1, 4] = 3.0, -4.0  # singular values 4 and 3
    cell.recurrent_kernel.assign(kernel)
    assert recurrent_sigma_max(model) == pytest.approx(4.0)


def test_exploding_gradients_diverge_without_clipping_and_not_with_it():
    free = exploding_run(clipnorm=0.0, steps=60)
    clipped = exploding_run(clipnorm=1.0, steps=60)
    assert free["diverged"] and free["steps_run"] < 60
    assert not clipped["diverged"] and clipped["steps_run"] == 60
    assert clipped["gradient_norm"][0] == pytest.approx(free["gradient_norm"][0], rel=1e-4)  # the same start
    assert free["gradient_norm"][0] > 1e3


def test_a_tiny_lab_writes_plots_table_and_numbers(tmp_path):
    results = vanishing((4,), tmp_path / "lab", cells=("gru",), exploding_steps=2, epochs=2, num_examples=60,
                        log=lambda line: None)
    names = {p.name for p in (tmp_path / "lab").iterdir()}
    assert names == {"training_curves.png", "gradient_norms.png", "exploding.png", "vanishing.md", "results.json"}
    for png in ("training_curves.png", "gradient_norms.png", "exploding.png"):
        assert (tmp_path / "lab" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (tmp_path / "lab" / "vanishing.md").read_text()
    assert "| `adding_gru` | 4 |" in table and "no clipping" in table and "clipnorm=1.0" in table
    saved = json.loads((tmp_path / "lab" / "results.json").read_text())
    assert [len(r["val_mse"]) for r in saved["runs"]] == [2]
    assert len(results["runs"][0]["gradient_norms_init"]) == 4 and results["runs"][0]["sigma_max_init"] > 0


@pytest.mark.parametrize("lengths", [0, -5, (), (100, 0), (1,), (2.5,), ("100",)])
def test_lab_lengths_below_two_are_a_config_error(lengths):
    with pytest.raises(ConfigError, match="Lab lengths must be integers >= 2|at least one sequence length"):
        vanishing(lengths, "unused")


@pytest.mark.parametrize("argv, message", [
    (["--length", "0"], "Lab lengths must be integers >= 2 (two markers per sequence). Received: length=0"),
    (["--length", "-3"], "Received: length=-3"),
    (["--length", "ten"], "--length takes integers >= 2"),
    (["--cells", "rnn,lstn"], "Lab cells must be among rnn, lstm, gru"),
])
def test_cli_lab_bad_input_exits_2_with_one_line(argv, message, capsys, tmp_path):
    assert main(["lab", "vanishing", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_adding_models_train_through_the_recipe(tmp_path):
    run = rnnzoo.train("adding_gru", out_dir=tmp_path / "run", epochs=1, num_examples=40, seq_length=6, units=4,
                       verbose=0)
    assert run.metrics["baseline_mse_answering_1"] == pytest.approx(1 / 6) and np.isfinite(run.metrics["test_loss"])
    x, _ = adding_examples(2, 6, seed=0)
    assert len(run.predict(x)) == 2 and rnnzoo.load_run(run.dir).task.format_prediction({"sum": 1.0}) == "1.0000"
