"""Training state that survives an interruption: resume from the last completed epoch, exactly.

`ResumeCheckpoint` saves, at the end of every epoch, everything the next
epoch depends on: the model and optimizer weights, the dropout layers' random
generator states (Keras' own `BackupAndRestore` leaves these out, so a
resumed run would draw other dropout masks), and the early-stopping state
(best value, best epoch, patience count, whether it stopped). The data order
is the other half: `batching.DataEpoch` makes it a function of (seed, epoch),
so a resumed epoch sees the batches an uninterrupted run would.

Files in `checkpoints/`, each written atomically, in this order:
`epoch-NNNN.weights.h5` (a new name each epoch), then `state.json`, which
names the weights file; older weights files are removed last. A kill at any
moment leaves `state.json` pointing at a complete weights file.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import keras

from rnnzoo import files
from rnnzoo.errors import RunFolderError

STATE_FILE = "state.json"


def seed_generator_states(model: keras.Model) -> list:
    """The random generator state variables of every layer (dropout masks), in a fixed order."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def read_state(folder: Path) -> dict[str, Any] | None:
    """The last saved training state, or None when no epoch has completed yet."""
    path = Path(folder) / STATE_FILE
    if not path.exists():
        return _keras_backup(Path(folder))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RunFolderError(f"{path}: unreadable training state ({err}); delete checkpoints/ to start over") from None


def _keras_backup(folder: Path) -> dict[str, Any] | None:
    """A checkpoint written by Keras' BackupAndRestore (rnnzoo before this module): weights and epoch only."""
    metadata = folder / "training_metadata.json"
    if not (metadata.exists() and (folder / "latest.weights.h5").exists()):
        return None
    return {"epoch": json.loads(metadata.read_text(encoding="utf-8"))["epoch"], "weights": "latest.weights.h5"}


class ResumeCheckpoint(keras.callbacks.Callback):
    """Saves the training state after every epoch and restores it when `fit` starts.

    Put it last in the callback list, so every other callback's end-of-epoch
    work (history, early stopping, weight averaging) is in the saved state and
    its restore runs after the other callbacks have reset themselves.
    """

    def __init__(self, folder: Path, early_stopping: keras.callbacks.EarlyStopping | None = None, *,
                 write: bool = True):
        super().__init__()
        self.folder = Path(folder)
        self.early_stopping = early_stopping
        self.write = write  # False on multi-worker workers other than the chief: they only restore
        self.restored_epoch = 0

    # ---- restore ------------------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        state = read_state(self.folder)
        if state is None:
            return
        model = self.model
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        stopping = self.early_stopping
        if stopping is not None and state.get("best_weights"):
            model.load_weights(self.folder / state["best_weights"])
            stopping.best_weights = model.get_weights()
        model.load_weights(self.folder / state["weights"])
        generators, saved = seed_generator_states(model), state.get("seed_generator_states", [])
        if saved and len(generators) != len(saved):
            raise RunFolderError(f"{self.folder}: the checkpoint was saved by a different model; "
                                 "delete checkpoints/ to start over")
        for variable, value in zip(generators, saved):
            variable.assign(value)
        if stopping is not None and state.get("early_stopping"):
            for key, value in state["early_stopping"].items():
                setattr(stopping, key, value)
        self.restored_epoch = state["epoch"]
        # fit() starts its epoch loop here (Keras' BackupAndRestore uses the same attribute).
        model._initial_epoch = self.params["epochs"] if state.get("stopped") else state["epoch"]

    # ---- save ---------------------------------------------------------------------------------------

    def on_epoch_end(self, epoch, logs=None):
        if not self.write:
            # Under MultiWorkerMirroredStrategy saving reads variables with collective ops, so every
            # worker must save at the same points as the chief, or their collectives fall out of step.
            with tempfile.TemporaryDirectory(prefix="rnnzoo-worker-") as scratch:
                self.model.save_weights(Path(scratch) / "discarded.weights.h5")
            [v.numpy() for v in seed_generator_states(self.model)]  # the same reads as the chief's
            return
        previous = read_state(self.folder) or {}
        weights = f"epoch-{epoch + 1:04d}.weights.h5"
        with files.atomic_path(self.folder / weights, suffix=".weights.h5") as temporary:
            self.model.save_weights(temporary)
        state = {
            "epoch": epoch + 1,
            "weights": weights,
            "seed_generator_states": [v.numpy().tolist() for v in seed_generator_states(self.model)],
            "stopped": bool(self.model.stop_training),
        }
        stopping = self.early_stopping
        if stopping is not None:
            # The best epoch's weights are that epoch's checkpoint: keep its file instead of a copy.
            best = None
            within = getattr(stopping, "best_within_epoch", False)
            if stopping.best_weights is not None and stopping.best_epoch == epoch and within:
                # Weights from a check inside this epoch (EarlyStoppingWithinEpoch): a file of their own.
                best = f"best-{epoch + 1:04d}.weights.h5"
                current = self.model.get_weights()
                self.model.set_weights(stopping.best_weights)
                with files.atomic_path(self.folder / best, suffix=".weights.h5") as temporary:
                    self.model.save_weights(temporary)
                self.model.set_weights(current)
            elif stopping.best_weights is not None:
                best = weights if stopping.best_epoch == epoch else previous.get("best_weights")
            state["best_weights"] = best
            state["early_stopping"] = {"best": _plain(stopping.best), "best_epoch": stopping.best_epoch,
                                       "wait": stopping.wait, "stopped_epoch": stopping.stopped_epoch,
                                       "best_within_epoch": within}
        files.write_json(self.folder / STATE_FILE, state)
        keep = {weights, state.get("best_weights")}
        for old in [*self.folder.glob("epoch-*.weights.h5"), *self.folder.glob("best-*.weights.h5")]:
            if old.name not in keep:
                old.unlink(missing_ok=True)


def _plain(value):
    """A JSON-friendly number (early stopping keeps numpy floats, or None before the first epoch)."""
    return None if value is None else float(value)
