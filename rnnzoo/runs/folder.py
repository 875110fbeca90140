"""`RunFolder`: the one owner of a run folder's files; every read and every (atomic) write goes through it.

A run folder holds:
    config.json         the final config (data-defined sizes included)
    preprocessing.json  the task's adapted state (`Task.state()`: vocabularies, scales)
    model.keras         the trained core model
    history.csv         one row per epoch; curves.png plots it
    metrics.json        test metrics, data facts, timings, version stamps, where the data came from
    checkpoints/        state.json and epoch-NNNN.weights.h5 (best-NNNN.weights.h5): resume after an interruption
    .lock               only while a process trains into the folder: locked (flock), holds its process id
An export writes savedmodel/ or model_raw_input.keras there unless told another path.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import platform
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from rnnzoo import files
from rnnzoo._version import __version__
from rnnzoo.config import Config, from_dict
from rnnzoo.config.schema import shown
from rnnzoo.errors import ConfigError, RunFolderError

if TYPE_CHECKING:
    from rnnzoo.tasks.base import Task

try:
    import fcntl
except ImportError:  # Windows: training takes no lock
    fcntl = None

CONFIG_FILE = "config.json"
LOCK_FILE = ".lock"
TASK_STATE_FILE = "preprocessing.json"
MODEL_FILE = "model.keras"
HISTORY_FILE = "history.csv"
CURVES_FILE = "curves.png"
METRICS_FILE = "metrics.json"
CHECKPOINTS_DIR = "checkpoints"
TENSORBOARD_DIR = "tensorboard"  # train(tensorboard=True): Keras' TensorBoard logs
CHECKPOINT_STATE_FILE = "state.json"
WEIGHTS_SUFFIX = ".weights.h5"
EPOCH_WEIGHTS = "epoch-{epoch:04d}" + WEIGHTS_SUFFIX  # each epoch's weights, a new name each time
BEST_WEIGHTS = "best-{epoch:04d}" + WEIGHTS_SUFFIX    # early stopping's best weights from inside an epoch
_WEIGHTS_GLOBS = ("epoch-*" + WEIGHTS_SUFFIX, "best-*" + WEIGHTS_SUFFIX)
# What Keras' BackupAndRestore wrote into checkpoints/ (rnnzoo before ResumeCheckpoint): still resumable.
KERAS_BACKUP_METADATA = "training_metadata.json"
KERAS_BACKUP_WEIGHTS = "latest" + WEIGHTS_SUFFIX
_RUN_FILES = (CONFIG_FILE, TASK_STATE_FILE, MODEL_FILE, METRICS_FILE, CHECKPOINTS_DIR)  # any of them: a run folder
# Default export targets, by format.
EXPORT_PATHS = {"savedmodel": "savedmodel", "keras": "model_raw_input.keras", "onnx": "onnx", "litert": "litert"}
# metrics.json: where the data was read from (`train(data_dir=...)`); None is the standard route.
DATA_DIR_KEY = "data_dir"
# Runs written before DATA_DIR_KEY existed: their `data_source` names a location unless it is one of these.
_LEGACY_DOWNLOAD_SOURCES = ("tensorflow_datasets", "tensorflow_datasets (downloaded)")


# A weights file named by checkpoints/state.json: one of the folder's own names, never a path.
_WEIGHTS_NAME = re.compile(r"(epoch|best)-\d{4,}" + re.escape(WEIGHTS_SUFFIX) + "|" + re.escape(KERAS_BACKUP_WEIGHTS))


def _parse_json(path: Path, kind: type, *, advice: str = "") -> Any:
    """The JSON document of a run-folder file, of top-level type `kind`; anything else is one RunFolderError line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RunFolderError(f"{path}: not readable JSON ({err}){advice}") from None
    except RecursionError:  # a few hundred thousand nested brackets
        raise RunFolderError(f"{path}: not readable JSON (nested too deeply){advice}") from None
    if not isinstance(data, kind):
        expected = {dict: "object", list: "list"}[kind]
        raise RunFolderError(f"{path}: must hold a JSON {expected}{advice}. Received: {shown(data)}")
    return data


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _integers(values: list) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _history_row(row: dict[str, Any], line: int) -> dict[str, Any]:
    """One history.csv row: a whole epoch number and a float per other column."""
    result: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None:  # more cells than columns, or fewer
            raise ValueError(f"line {line} does not have one cell per column")
        if value == "":
            continue
        try:
            result[key] = int(value) if key == "epoch" else float(value)
        except ValueError:
            raise ValueError(f"line {line}: `{shown(key)}` must be a number. Received: {shown(value)}") from None
    if not _is_count(result.get("epoch")) or result["epoch"] < 1:
        raise ValueError(f"line {line}: `epoch` must be an integer >= 1. Received: {shown(row.get('epoch'))}")
    return result


def _checked_checkpoint(state: dict[str, Any]) -> dict[str, Any]:
    """checkpoints/state.json as ResumeCheckpoint wrote it; ValueError names the first field that is not."""
    if not _is_count(state.get("epoch")):
        raise ValueError(f"`epoch` must be an integer >= 0. Received: epoch={shown(state.get('epoch'))}")
    for key in ("weights", "best_weights"):
        name = state.get(key)
        if (key == "weights" or name is not None) and not (isinstance(name, str) and _WEIGHTS_NAME.fullmatch(name)):
            raise ValueError(f"`{key}` must name a weights file of checkpoints/ (epoch-NNNN{WEIGHTS_SUFFIX}). "
                             f"Received: {key}={shown(name)}")
    generators = state.get("seed_generator_states", [])
    if not (isinstance(generators, list) and all(isinstance(g, list) and _integers(g) for g in generators)):
        raise ValueError(f"`seed_generator_states` must be lists of integers. Received: {shown(generators)}")
    if not isinstance(state.get("stopped", False), bool):
        raise ValueError(f"`stopped` must be true or false. Received: stopped={shown(state['stopped'])}")
    stopping = state.get("early_stopping")
    if stopping is not None:
        numbers = {"best": (int, float, type(None)), "best_epoch": int, "wait": int, "stopped_epoch": int,
                   "best_within_epoch": bool}
        if not isinstance(stopping, dict) or set(stopping) - set(numbers) or any(
                not isinstance(value, numbers[key]) or (numbers[key] is int and isinstance(value, bool))
                for key, value in stopping.items()):
            raise ValueError(f"`early_stopping` must map {', '.join(numbers)} to numbers. Received: {shown(stopping)}")
    previous = state.get("previous")
    if previous is not None:
        if not isinstance(previous, dict) or "previous" in previous:
            raise ValueError(f"`previous` must be one earlier training state. Received: {shown(previous)}")
        _checked_checkpoint(previous)
    return state


def versions() -> dict[str, str]:
    """The version stamps recorded in metrics.json: rnnzoo, Keras, the backend and its library, Python."""
    import importlib

    import keras

    backend = keras.backend.backend()
    library = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    return {"rnnzoo": __version__, "keras": keras.__version__, "backend": backend, "python": platform.python_version(),
            **({library: importlib.import_module(library).__version__} if library else {})}


class RunFolder:
    """The files of one run folder, by name; nothing else in rnnzoo opens a path inside a run folder.

    Args:
        path: the run folder (it need not exist yet: training creates it).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    def check_can_create(self) -> None:
        """A RunFolderError unless the folder exists or can be made: no file sits at its path or above it."""
        for path in (self.path, *self.path.parents):
            if path.exists():
                if not path.is_dir():
                    raise RunFolderError(f"The run folder must be a folder, and {path} is a file. "
                                         f"Received: --out {self.path}")
                return

    @contextlib.contextmanager
    def training_lock(self) -> Iterator[None]:
        """Held while this process trains into the folder: a second one fails at once, naming the holder.

        An flock on .lock, which holds the holder's process id: the system releases it when
        its holder ends, however it ends, so a killed training never blocks the next one
        (its .lock stays, unlocked). Creates the folder; if the block fails leaving nothing
        in a folder it created, removes it (and the parents it created) again.
        """
        self.check_can_create()
        created = [path for path in (self.path, *self.path.parents) if not path.exists()]  # leaf first
        self.create()
        lock = self.path / LOCK_FILE
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = os.pread(handle, 32, 0).decode("ascii", errors="replace").strip() or "another process"
                    raise RunFolderError(
                        f"{self.path} is in use: process {holder} is training into it; wait for it to end "
                        "or choose another --out") from None
            os.ftruncate(handle, 0)
            os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
            failed = True
            try:
                yield
                failed = False
            finally:
                # Removed while still locked: nobody waits for this lock (LOCK_NB), so nobody holds the old file.
                lock.unlink(missing_ok=True)
                if failed and created and not any(self.path.iterdir()):  # a failed start leaves no folder
                    for path in created:
                        with contextlib.suppress(OSError):
                            path.rmdir()
        finally:
            os.close(handle)  # releases the flock

    def worker(self, index: int) -> "RunFolder":
        """Where a multi-worker training's worker `index` (not the chief) writes its own results."""
        return RunFolder(self.path / f"worker-{index}")

    def require(self, name: str) -> Path:
        """The path of a file the run must have; a missing one is a RunFolderError that says how to resume."""
        path = self.path / name
        if not any((self.path / run_file).exists() for run_file in _RUN_FILES):  # never "incomplete": nothing ran here
            raise RunFolderError(f"{self.path} is not a run folder (it has none of {', '.join(_RUN_FILES)}); pass a "
                                 f"folder that `rnnzoo train NAME --out DIR` wrote. Received: run_dir={str(self.path)!r}")
        if not path.exists():
            raise RunFolderError(
                f"{self.path}: missing {name}; the run is incomplete (train again with --out {self.path} to resume)")
        return path

    def _read_json(self, name: str, *, kind: type = dict) -> Any:
        """A run-folder JSON file of the top-level type `kind`; anything else is a RunFolderError naming the file."""
        return _parse_json(self.require(name), kind)

    # ---- config -------------------------------------------------------------------------------------

    def read_config(self) -> Config:
        """The run's config, validated like a TOML file (and its task kind known)."""
        from rnnzoo.tasks import task_class

        raw = self._read_json(CONFIG_FILE)
        try:
            cfg = from_dict(raw)
            task_class(cfg)
            return cfg
        except ConfigError as err:
            raise RunFolderError(f"{self.path / CONFIG_FILE}: {err}") from None

    def write_config(self, cfg: Config) -> None:
        files.write_json(self.path / CONFIG_FILE, cfg.to_dict())

    def check_resumable(self, cfg: Config) -> None:
        """A run folder resumes only the same config (more epochs allowed); anything else would mix two runs."""
        previous_path = self.path / CONFIG_FILE
        if not previous_path.exists():
            return
        try:
            previous = _parse_json(previous_path, dict)
        except RunFolderError:
            return  # unreadable or not a config: training rewrites it
        try:  # an older config.json names its task by data set: compare both in today's form
            previous = from_dict(previous).to_dict()
        except ConfigError:
            pass  # not a config: the comparison below reports it
        current = cfg.to_dict()
        for config in (previous, current):
            if isinstance(config.get("train"), dict):
                config["train"].pop("epochs", None)
        if previous != current:
            sections = {section: previous.get(section) if isinstance(previous.get(section), dict) else {}
                        for section in ("model", "data", "train")}
            changed = sorted(
                f"{section}.{key}" for section in sections for key in current[section]
                if sections[section].get(key) != current[section][key]
            ) or ["name/description"]
            raise RunFolderError(
                f"{self.path} holds a run of a different config (changed: {', '.join(changed)}); "
                "choose another --out, or delete the folder to start over"
            )

    # ---- the task's adapted state -------------------------------------------------------------------

    def write_task(self, task: "Task") -> None:
        """Writes `task.state()` (vocabularies, scales: what `prepare` adapted to the data)."""
        files.write_json(self.path / TASK_STATE_FILE, task.state())

    def read_task(self, cfg: Config) -> "Task":
        """The task of `cfg` built by `from_state` from the saved state; missing or unreadable state is a RunFolderError."""
        from rnnzoo.tasks import task_class

        recipe = task_class(cfg)
        path = self.path / TASK_STATE_FILE
        if not path.exists():
            raise RunFolderError(f"{self.path}: missing {TASK_STATE_FILE} ({recipe.state_description}); "
                                 f"train again with --out {self.path}")
        state = _parse_json(path, dict)
        try:  # from_state checks every field (rnnzoo.tasks.state_checks): the file is untrusted data
            return recipe.from_state(cfg, state)
        except ValueError as err:
            raise RunFolderError(f"{path}: invalid preprocessing state: {err}") from None
        except (KeyError, TypeError) as err:
            raise RunFolderError(f"{path}: invalid preprocessing state ({type(err).__name__}: {err})") from None

    # ---- the trained model --------------------------------------------------------------------------

    def save_model(self, model) -> Path:
        path = self.path / MODEL_FILE
        with files.atomic_path(path) as temporary:
            model.save(temporary)
        return path

    def load_model(self):
        """The trained core model (token ids in), loaded with `safe_mode=True`."""
        import keras

        from rnnzoo.layers import bind_crf_loss  # importing rnnzoo.layers registers every custom object

        path = self.require(MODEL_FILE)
        try:
            model = keras.saving.load_model(path, safe_mode=True)
            bind_crf_loss(model)
            return model
        except (ValueError, OSError, TypeError, KeyError, zipfile.BadZipFile, RecursionError) as err:
            if "arbitrary code execution" in str(err):  # Keras' safe_mode refusal (Lambda layers, pickled code)
                raise RunFolderError(
                    f"{path}: refused: it holds Python code (a Lambda layer or a serialized function), and rnnzoo "
                    "loads models with safe_mode=True, so it never runs code from a model file") from None
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise RunFolderError(f"{path}: cannot be loaded ({reason})") from None

    # ---- history and curves -------------------------------------------------------------------------

    def read_history(self, *, required: bool = False) -> list[dict[str, Any]]:
        """One dict per epoch; no history yet is an empty list (or, `required`, a RunFolderError)."""
        path = self.require(HISTORY_FILE) if required else self.path / HISTORY_FILE
        if not path.exists():
            return []
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                return [_history_row(row, line) for line, row in enumerate(csv.DictReader(handle), start=2)]
        except (csv.Error, UnicodeDecodeError) as err:
            raise RunFolderError(f"{path}: not a readable CSV file ({err})") from None
        except ValueError as err:
            raise RunFolderError(f"{path}: {err}") from None

    def write_history(self, rows: list[dict[str, Any]]) -> None:
        """Writes history.csv and its plot, curves.png."""
        columns = ["epoch"] + sorted({k for row in rows for k in row} - {"epoch"})
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        files.write_text(self.path / HISTORY_FILE, buffer.getvalue())
        self._plot_curves(rows)

    def _plot_curves(self, rows: list[dict[str, Any]]) -> None:
        """Loss and the first metric per epoch, train and validation."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        metrics = [k for k in ("loss", "accuracy", "mae") if any(k in row for row in rows)]
        figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
        epochs = [row["epoch"] for row in rows]
        for axis, metric in zip(axes[0], metrics):
            for key, style in ((metric, "-o"), (f"val_{metric}", "--o")):
                if any(key in row for row in rows):
                    axis.plot(epochs, [row.get(key, float("nan")) for row in rows], style, label=key)
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # no tick at epoch 1.5
            axis.set_title(metric)
            axis.grid(alpha=0.3)
            axis.legend()
        figure.tight_layout()
        with files.atomic_path(self.path / CURVES_FILE) as temporary:
            figure.savefig(temporary, format="png", dpi=90)
        plt.close(figure)

    # ---- metrics ------------------------------------------------------------------------------------

    def read_metrics(self) -> dict[str, Any]:
        metrics = self._read_json(METRICS_FILE)
        for key in (DATA_DIR_KEY, "data_source"):
            if not isinstance(metrics.get(key, ""), (str, type(None))):
                raise RunFolderError(f"{self.path / METRICS_FILE}: `{key}` must be a string or null. "
                                     f"Received: {key}={shown(metrics[key])}")
        return metrics

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        files.write_json(self.path / METRICS_FILE, metrics)

    def data_dir(self) -> str | None:
        """Where the run's data was read from: `train(data_dir=...)` as recorded, None for the standard route."""
        metrics = self.read_metrics()
        if DATA_DIR_KEY in metrics:
            return metrics[DATA_DIR_KEY]
        source = metrics.get("data_source")  # a run from before DATA_DIR_KEY: its source, unless a download
        return None if source in _LEGACY_DOWNLOAD_SOURCES else source

    # ---- checkpoints (resume) -----------------------------------------------------------------------

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS_DIR

    @property
    def tensorboard_dir(self) -> Path:
        """Where `train(tensorboard=True)` writes TensorBoard logs (`tensorboard --logdir` reads them)."""
        return self.path / TENSORBOARD_DIR

    def finished_epochs(self, epochs: int) -> int | None:
        """Epochs a finished run trained, when this folder holds one that asked for no more than `epochs`; else None.

        Finished: the last checkpoint is at or past `epochs` (or early stopping ended it) and the
        model and metrics were written after it. Re-running such a run has nothing to do.
        """
        state = self.read_checkpoint()
        if state is None or not (state.get("stopped") or state["epoch"] >= epochs):
            return None
        if not ((self.path / MODEL_FILE).exists() and (self.path / METRICS_FILE).exists()):
            return None  # killed after the last epoch, before the results were written: train finishes them
        return int(state["epoch"])

    def previous_metrics(self) -> dict[str, Any]:
        """The metrics an earlier process of this run wrote (a resumed run adds its timings to them), or {}."""
        if not (self.path / METRICS_FILE).exists():
            return {}
        try:
            return self.read_metrics()
        except RunFolderError:
            return {}  # unreadable: this run rewrites it

    def read_checkpoint(self) -> dict[str, Any] | None:
        """The last saved training state (checkpoints/state.json), or None when no epoch has completed yet."""
        path = self.checkpoints / CHECKPOINT_STATE_FILE
        if not path.exists():
            return self._keras_backup()
        state = _parse_json(path, dict, advice=f"; delete {CHECKPOINTS_DIR}/ to start over")
        try:
            return _checked_checkpoint(state)
        except ValueError as err:
            raise RunFolderError(f"{path}: invalid training state: {err}; "
                                 f"delete {CHECKPOINTS_DIR}/ to start over") from None

    def _keras_backup(self) -> dict[str, Any] | None:
        """A checkpoint written by Keras' BackupAndRestore: weights and epoch only."""
        metadata = self.checkpoints / KERAS_BACKUP_METADATA
        if not (metadata.exists() and (self.checkpoints / KERAS_BACKUP_WEIGHTS).exists()):
            return None
        epoch = _parse_json(metadata, dict).get("epoch")
        if not _is_count(epoch):
            raise RunFolderError(f"{metadata}: `epoch` must be an integer >= 0. Received: epoch={shown(epoch)}")
        return {"epoch": epoch, "weights": KERAS_BACKUP_WEIGHTS}

    def write_checkpoint(self, state: dict[str, Any]) -> None:
        """Writes checkpoints/state.json; the weights files it names must be complete already."""
        files.write_json(self.checkpoints / CHECKPOINT_STATE_FILE, state)

    def checkpoint_weights(self, name: str) -> Path:
        """The path of a weights file named by the training state (for `load_weights`)."""
        return self.checkpoints / name

    @contextlib.contextmanager
    def writing_checkpoint_weights(self, name: str) -> Iterator[Path]:
        """A temporary path to save weights to; it becomes checkpoints/NAME when the block succeeds."""
        with files.atomic_path(self.checkpoints / name, suffix=WEIGHTS_SUFFIX) as temporary:
            yield temporary

    def remove_checkpoint_weights(self, keep: set) -> None:
        """Deletes the epoch and best weights files the training state no longer names."""
        for pattern in _WEIGHTS_GLOBS:
            for old in self.checkpoints.glob(pattern):
                if old.name not in keep:
                    old.unlink(missing_ok=True)

    # ---- exports ------------------------------------------------------------------------------------

    def export_path(self, format: str) -> Path:
        """Where an export of `format` goes when no path is given."""
        return self.path / EXPORT_PATHS[format]
