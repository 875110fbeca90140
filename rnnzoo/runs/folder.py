"""The run folder's files: history, curves, version stamps, and the check that a folder resumes only its own config."""

from __future__ import annotations

import csv
import io
import json
import platform
from pathlib import Path
from typing import Any

from rnnzoo import files
from rnnzoo._version import __version__
from rnnzoo.errors import RunFolderError


def read_history(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: float(v) if k != "epoch" else int(v) for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]


def write_history(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = ["epoch"] + sorted({k for row in rows for k in row} - {"epoch"})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    files.write_text(path, buffer.getvalue())


def plot_curves(path: Path, rows: list[dict[str, Any]]) -> None:
    """Loss and the first metric per epoch, train and validation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [k for k in ("loss", "accuracy", "mae") if any(k in row for row in rows)]
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    epochs = [row["epoch"] for row in rows]
    for axis, metric in zip(axes[0], metrics):
        for key, style in ((metric, "-o"), (f"val_{metric}", "--o")):
            if any(key in row for row in rows):
                axis.plot(epochs, [row.get(key, float("nan")) for row in rows], style, label=key)
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    with files.atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=90)
    plt.close(figure)


def versions() -> dict[str, str]:
    import importlib

    import keras

    backend = keras.backend.backend()
    library = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    return {"rnnzoo": __version__, "keras": keras.__version__, "backend": backend, "python": platform.python_version(),
            **({library: importlib.import_module(library).__version__} if library else {})}


def check_resumable(run_dir: Path, cfg) -> None:
    """A run folder resumes only the same config (more epochs allowed); anything else would mix two runs."""
    previous_path = run_dir / "config.json"
    if not previous_path.exists():
        return
    try:
        previous = json.loads(previous_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # unreadable: it is rewritten below
    current = cfg.to_dict()
    for config in (previous, current):
        config.get("train", {}).pop("epochs", None)
    if previous != current:
        changed = sorted(
            f"{section}.{key}" for section in ("model", "data", "train") for key in current.get(section, {})
            if previous.get(section, {}).get(key) != current[section][key]
        ) or ["name/description"]
        raise RunFolderError(
            f"{run_dir} holds a run of a different config (changed: {', '.join(changed)}); "
            "choose another --out, or delete the folder to start over"
        )
