"""The vanishing-gradient lab: the adding problem made to show why LSTM and GRU replaced the vanilla RNN.

    rnnzoo lab vanishing --length 100 --out lab/
    rnnzoo.lab.vanishing(lengths=(50, 100, 200), out_dir="lab")

For each length and each of `adding_rnn`, `adding_lstm`, `adding_gru` (the
named models, trained with their own recipes through `model.fit`):

(a) validation MSE per epoch against 0.167, the MSE of always answering 1.0
    (`training_curves.png`);
(b) the norm of dLoss/dh_t against t, at initialisation and after training
    (`gradient_norms.png`, log scale): how much the loss at the last step can
    still change the state at step t, the signal that has to reach the first
    marker;
(c) the largest singular value of the recurrent kernel W_hh, before and after;
(d) the exploding case: a vanilla RNN whose recurrent kernel starts at
    `EXPLODING_GAIN` times an orthogonal matrix, trained by plain SGD with and
    without `clipnorm`, loss and gradient norm per step (`exploding.png`).

Everything lands in `out_dir` atomically: the PNGs, `vanishing.md` (the
table) and `results.json` (every number behind them).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from rnnzoo import datasets, files
from rnnzoo.datasets.adding import BASELINE_MSE, adding_examples
from rnnzoo.errors import ConfigError

CELLS = ("rnn", "lstm", "gru")
DEFAULT_LENGTHS = (50, 100, 200)
SOLVED_MSE = 0.01
PROBE_EXAMPLES = 256     # test examples the gradient norms are averaged over
EXPLODING_LENGTH = 50
EXPLODING_GAIN = 3.0     # sigma_max(W_hh) at initialisation in the exploding case
EXPLODING_STEPS = 300
EXPLODING_LEARNING_RATE = 0.05
EXPLODING_CLIPNORM = 1.0


def check_lengths(lengths) -> tuple[int, ...]:
    """Sequence lengths as a tuple of integers >= 2; anything else is a ConfigError."""
    if isinstance(lengths, (int, np.integer)) and not isinstance(lengths, bool):
        lengths = (lengths,)
    lengths = tuple(lengths)
    if not lengths:
        raise ConfigError("The lab needs at least one sequence length. Received: lengths=()")
    for length in lengths:
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 2:
            raise ConfigError(f"Lab lengths must be integers >= 2 (two markers per sequence). Received: length={length!r}")
    return tuple(int(n) for n in lengths)


def recurrent_layer(model):
    """The model's single recurrent layer (the lab's models have one)."""
    import keras

    found = [layer for layer in model.layers if isinstance(layer, keras.layers.RNN)]
    if len(found) != 1:
        raise ConfigError(f"The gradient lab needs a model with exactly one recurrent layer; "
                          f"{model.name!r} has {len(found)}. Received: num_layers={len(found)}")
    return found[0]


def hidden_state_gradient_norms(model, inputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Mean over examples of ||dL_i/dh_t||, for t = 1..T, where L_i is example i's squared error.

    The recurrent layer is unrolled by hand, one cell call per step, and a
    zero tensor is added to each h_t; the gradient of the loss with respect
    to that tensor is dL/dh_t, the total derivative through every later step
    (for an LSTM: through h_t, with the cell state c_t a separate path). The
    layers after the recurrent layer (the head) map h_T to the prediction.
    """
    import keras
    import tensorflow as tf

    layer = recurrent_layer(model)
    cell = layer.cell
    readout = keras.Model(layer.output, model.output)  # h_T -> prediction, the trained head
    x = tf.constant(inputs, dtype="float32")
    batch, steps = inputs.shape[0], inputs.shape[1]
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    states = [tf.zeros((batch, size)) for size in sizes]
    nudges = [tf.zeros((batch, sizes[0])) for _ in range(steps)]
    with tf.GradientTape() as tape:
        tape.watch(nudges)
        for t in range(steps):
            _, new_states = cell(x[:, t], states, training=False)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            states = [new_states[0] + nudges[t], *new_states[1:]]  # h_t + 0: a handle on dL/dh_t
        predictions = readout(states[0], training=False)
        loss = tf.reduce_sum(tf.square(predictions - tf.constant(targets, dtype="float32")))
    gradients = tape.gradient(loss, nudges)
    return np.stack([np.linalg.norm(np.asarray(g), axis=-1).mean() for g in gradients])


def recurrent_sigma_max(model) -> float:
    """The largest singular value of the recurrent kernel (LSTM, GRU: all gates' blocks side by side)."""
    kernel = np.asarray(recurrent_layer(model).cell.recurrent_kernel)
    return float(np.linalg.svd(kernel, compute_uv=False)[0])


def _train_cell(cell: str, length: int, overrides: dict, probe, log: Callable[[str], None]) -> dict:
    import keras

    from rnnzoo.builders import build_model
    from rnnzoo.builders.common import compile_model
    from rnnzoo.config.registry import load_config

    cfg = load_config(f"adding_{cell}", {"seq_length": length, **overrides})
    keras.utils.set_random_seed(cfg.train.seed)
    splits = {split: datasets.examples(cfg, split)[:2] for split in ("train", "validation", "test")}
    model = compile_model(build_model(cfg, compile=False), cfg)
    before = {"gradient_norms": hidden_state_gradient_norms(model, *probe), "sigma_max": recurrent_sigma_max(model)}
    started, cpu_started = time.perf_counter(), time.process_time()
    history = model.fit(*splits["train"], validation_data=splits["validation"], batch_size=cfg.train.batch_size,
                        epochs=cfg.train.epochs, verbose=0)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    test_mse = float(model.evaluate(*splits["test"], batch_size=256, verbose=0)[0])
    after = {"gradient_norms": hidden_state_gradient_norms(model, *probe), "sigma_max": recurrent_sigma_max(model)}
    log(f"lab: adding_{cell} length {length}: test MSE {test_mse:.4f} after {cfg.train.epochs} "
        f"epoch{'' if cfg.train.epochs == 1 else 's'} "
        f"({seconds:.0f} s, {cpu_seconds:.0f} CPU s)")
    return {"cell": cell, "length": length, "test_mse": test_mse, "solved": test_mse < SOLVED_MSE,
            "epochs": cfg.train.epochs, "train_examples": len(splits["train"][0]),
            "val_mse": [float(v) for v in history.history["val_loss"]],
            "train_mse": [float(v) for v in history.history["loss"]],
            "sigma_max_init": before["sigma_max"], "sigma_max_trained": after["sigma_max"],
            "gradient_norms_init": before["gradient_norms"].tolist(),
            "gradient_norms_trained": after["gradient_norms"].tolist(),
            "train_seconds": seconds, "train_cpu_seconds": cpu_seconds}


def exploding_run(*, clipnorm: float, length: int = EXPLODING_LENGTH, gain: float = EXPLODING_GAIN,
                  steps: int = EXPLODING_STEPS, learning_rate: float = EXPLODING_LEARNING_RATE,
                  seed: int = 1337, batch_size: int = 64) -> dict:
    """Plain SGD on `adding_rnn` with W_hh = gain * orthogonal: loss and global gradient norm (before clipping) per step."""
    import keras
    import tensorflow as tf

    from rnnzoo.builders import build_model
    from rnnzoo.builders.common import make_optimizer
    from rnnzoo.config.registry import load_config

    cfg = load_config("adding_rnn", {"seq_length": length, "optimizer": "sgd", "learning_rate": learning_rate,
                                     "clipnorm": clipnorm, "seed": seed, "batch_size": batch_size})
    keras.utils.set_random_seed(seed)
    model = build_model(cfg, compile=False)
    kernel = recurrent_layer(model).cell.recurrent_kernel
    kernel.assign(keras.initializers.Orthogonal(gain=gain, seed=seed)(kernel.shape))
    optimizer = make_optimizer(cfg.train)
    inputs, targets = adding_examples(steps * batch_size, length, seed)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        gradients = tape.gradient(loss, model.trainable_variables)
        norm = tf.linalg.global_norm(gradients)
        optimizer.apply(gradients, model.trainable_variables)  # clips each gradient to clipnorm, if set
        return loss, norm

    losses, norms = [], []
    for index in range(steps):
        rows = slice(index * batch_size, (index + 1) * batch_size)
        loss, norm = step(inputs[rows], targets[rows])
        losses.append(float(loss))
        norms.append(float(norm))
        if not math.isfinite(losses[-1]):
            break  # the weights are NaN from here on
    return {"clipnorm": clipnorm, "length": length, "gain": gain, "learning_rate": learning_rate,
            "sigma_max_init": gain, "loss": losses, "gradient_norm": norms,
            "steps_run": len(losses), "diverged": not all(math.isfinite(v) for v in losses)}


# -- report ---------------------------------------------------------------------------------------------

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> None:
    with files.atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=90)
    _pyplot().close(figure)


COLOURS = {"rnn": "tab:red", "lstm": "tab:blue", "gru": "tab:green"}


def _panels_per_length(runs: list[dict], draw: Callable, ylabel: str, xlabel: str, path: Path) -> None:
    """One log-scale panel per sequence length; `draw(axis, run)` adds a run's curves."""
    plt = _pyplot()
    lengths = sorted({r["length"] for r in runs})
    figure, axes = plt.subplots(1, len(lengths), figsize=(4.6 * len(lengths), 3.6), squeeze=False)
    for axis, length in zip(axes[0], lengths):
        for run in (r for r in runs if r["length"] == length):
            draw(axis, run)
        axis.set_yscale("log")
        axis.set_xlabel(xlabel)
        axis.set_ylabel(ylabel)
        axis.set_title(f"adding problem, T = {length}")
        axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    figure.tight_layout()
    _save(figure, path)


def plot_training_curves(runs: list[dict], path: Path) -> None:
    def draw(axis, run):
        epochs = range(1, len(run["val_mse"]) + 1)
        axis.plot(epochs, run["val_mse"], "-o", ms=3, color=COLOURS[run["cell"]], label=f"adding_{run['cell']}")
        from matplotlib.ticker import MaxNLocator

        axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole
        if run["cell"] == runs[0]["cell"]:  # the reference lines once per panel
            axis.axhline(BASELINE_MSE, color="grey", ls="--", label="answer 1.0 (0.167)")
            axis.axhline(SOLVED_MSE, color="black", ls=":", label="solved (0.01)")

    _panels_per_length(runs, draw, "validation MSE", "epoch", path)


def plot_gradient_norms(runs: list[dict], path: Path) -> None:
    def draw(axis, run):
        t = np.arange(1, run["length"] + 1)
        axis.plot(t, run["gradient_norms_init"], ls="--", color=COLOURS[run["cell"]], label=f"{run['cell']} at init")
        axis.plot(t, run["gradient_norms_trained"], ls="-", color=COLOURS[run["cell"]], label=f"{run['cell']} trained")

    _panels_per_length(runs, draw, "mean ||dLoss/dh_t||", "step t", path)


def plot_exploding(runs: list[dict], path: Path) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for run, colour in zip(runs, ("tab:red", "tab:blue")):
        label = f"clipnorm={run['clipnorm']}" if run["clipnorm"] else "no clipping"
        steps = np.arange(1, run["steps_run"] + 1)
        axes[0].plot(steps, run["loss"], color=colour, lw=1, label=label)
        axes[1].plot(steps, run["gradient_norm"], color=colour, lw=1, label=label)
    axes[0].axhline(BASELINE_MSE, color="grey", ls="--", label="answer 1.0 (0.167)")
    axes[0].set_ylabel("training MSE (batch)")
    axes[1].set_ylabel("global gradient norm (before clipping)")
    for axis in axes:
        axis.set_yscale("log")
        axis.set_xlabel("SGD step")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    first = runs[0]
    figure.suptitle(f"vanilla RNN, T = {first['length']}, W_hh = {first['gain']} x orthogonal, "
                    f"SGD lr {first['learning_rate']}", fontsize=10)
    figure.tight_layout()
    _save(figure, path)


def _decades(norms: Sequence[float]) -> float:
    """log10(||dL/dh_1|| / ||dL/dh_T||): how many powers of ten the gradient loses on its way back."""
    first, last = norms[0], norms[-1]
    if first <= 0 or last <= 0:
        return float("-inf")
    return math.log10(first / last)


def markdown_table(runs: list[dict], exploding: list[dict]) -> str:
    lines = [
        "| model | T | test MSE | solved (< 0.01) | sigma_max(W_hh) init -> trained | "
        "log10 ||dL/dh_1|| / ||dL/dh_T|| init -> trained | epochs x examples | training time (CPU time) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| `adding_{r['cell']}` | {r['length']} | {r['test_mse']:.4f} | {'yes' if r['solved'] else 'no'} | "
            f"{r['sigma_max_init']:.2f} -> {r['sigma_max_trained']:.2f} | "
            f"{_decades(r['gradient_norms_init']):.1f} -> {_decades(r['gradient_norms_trained']):.1f} | "
            f"{r['epochs']} x {r['train_examples']:,} | {r['train_seconds']:.0f} s ({r['train_cpu_seconds']:.0f} s) |")
    lines.append(f"\nThe baseline, always answering 1.0, scores MSE {BASELINE_MSE:.3f}.")
    if exploding:
        lines += ["", "| exploding case (vanilla RNN) | steps run | final loss | largest gradient norm | diverged |",
                  "|---|---|---|---|---|"]
        for r in exploding:
            finite = [v for v in r["gradient_norm"] if math.isfinite(v)]
            label = f"clipnorm={r['clipnorm']}" if r["clipnorm"] else "no clipping"
            lines.append(f"| {label}, T={r['length']}, W_hh = {r['gain']} x orthogonal, SGD lr {r['learning_rate']} | "
                         f"{r['steps_run']} | {r['loss'][-1]:.4g} | {max(finite) if finite else float('nan'):.4g} | "
                         f"{'yes' if r['diverged'] else 'no'} |")
    return "\n".join(lines) + "\n"


def vanishing(lengths=DEFAULT_LENGTHS, out_dir="lab", *, cells: Sequence[str] = CELLS, exploding: bool = True,
              exploding_steps: int = EXPLODING_STEPS, log: Callable[[str], None] = print, **overrides) -> dict:
    """Runs the lab and writes its plots, table and numbers into `out_dir`; returns the numbers.

    Args:
        lengths: sequence lengths (integers >= 2).
        out_dir: where `training_curves.png`, `gradient_norms.png`, `exploding.png`,
            `vanishing.md` and `results.json` go.
        cells: which of `adding_rnn`, `adding_lstm`, `adding_gru` to train.
        exploding: also run the exploding-gradient case (d), `exploding_steps` SGD steps each.
        **overrides: config fields for every model, e.g. `epochs=4, num_examples=2000`.
    """
    lengths = check_lengths(lengths)
    unknown = [c for c in cells if c not in CELLS]
    if unknown or not cells:
        raise ConfigError(f"Lab cells must be among {', '.join(CELLS)}. Received: cells={tuple(cells)!r}")
    out = Path(out_dir)
    started = time.perf_counter()
    runs = []
    for length in lengths:
        probe = adding_examples(PROBE_EXAMPLES, length, seed=10_000 + length)  # the same probe for every cell
        for cell in cells:
            runs.append(_train_cell(cell, length, overrides, probe, log))
    explosions = []
    if exploding:
        for clip in (0.0, EXPLODING_CLIPNORM):
            explosions.append(exploding_run(clipnorm=clip, steps=exploding_steps))
            log(f"lab: exploding case, clipnorm={clip}: {explosions[-1]['steps_run']} steps, "
                f"final loss {explosions[-1]['loss'][-1]:.4g}")
    plot_training_curves(runs, out / "training_curves.png")
    plot_gradient_norms(runs, out / "gradient_norms.png")
    if explosions:
        plot_exploding(explosions, out / "exploding.png")
    results = {"runs": runs, "exploding": explosions, "baseline_mse": BASELINE_MSE,
               "wall_seconds": time.perf_counter() - started}
    files.write_text(out / "vanishing.md", markdown_table(runs, explosions))
    files.write_json(out / "results.json", results)
    log(f"lab: wrote {out}/training_curves.png, gradient_norms.png, "
        f"{'exploding.png, ' if explosions else ''}vanishing.md, results.json in {results['wall_seconds']:.0f} s")
    return results
