"""Training state that survives an interruption: resume from the last completed epoch, exactly.

`ResumeCheckpoint` saves, at the end of every epoch, everything the next
epoch depends on: the model and optimizer weights, the dropout layers' random
generator states (Keras' own `BackupAndRestore` leaves these out, so a
resumed run would draw other dropout masks), and the early-stopping state
(best value, best epoch, patience count, whether it stopped). The data order
is the other half: `batching.DataEpoch` makes it a function of (seed, epoch),
so a resumed epoch sees the batches an uninterrupted run would.

The files live in the run folder's checkpoints/ and `RunFolder` names,
reads and writes them, each atomically, in this order: the epoch's weights
file (a new name each epoch), then the training state, which names the
weights file; older weights files are removed last. A kill at any moment
leaves the state pointing at a complete weights file.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import keras

from rnnzoo.errors import RunFolderError
from rnnzoo.runs.folder import BEST_WEIGHTS, CHECKPOINTS_DIR, EPOCH_WEIGHTS, RunFolder


def seed_generator_states(model: keras.Model) -> list:
    """The random generator state variables of every layer (dropout masks), in a fixed order."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


class DamagedWeights(Exception):
    """A checkpoint's weights file is missing, truncated or not a weights file (message: its name and why)."""


class ResumeCheckpoint(keras.callbacks.Callback):
    """Saves the training state after every epoch and restores it when `fit` starts.

    Put it last in the callback list, so every other callback's end-of-epoch
    work (history, early stopping, weight averaging) is in the saved state and
    its restore runs after the other callbacks have reset themselves.
    """

    def __init__(self, folder: RunFolder, early_stopping: keras.callbacks.EarlyStopping | None = None, *,
                 write: bool = True):
        super().__init__()
        self.folder = folder  # the run folder whose checkpoints are read (and, with `write`, written)
        self.early_stopping = early_stopping
        self.write = write  # False on multi-worker workers other than the chief: they only restore
        self.restored_epoch = 0
        self.last_state: dict | None = None  # the training state restored or written last: the next one's "previous"

    # ---- restore ------------------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        state = self.folder.read_checkpoint()
        if state is None:
            return
        model = self.model
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        try:
            self._restore(state)
        except DamagedWeights as err:
            damaged = f"{CHECKPOINTS_DIR}/{err} (epoch {state['epoch']})"
            if state.get("previous") is None:
                raise RunFolderError(f"{self.folder.path}: {damaged} and no earlier checkpoint is kept; "
                                     f"delete {self.folder.checkpoints} to start over") from None
            print(f"rnnzoo: {damaged}; resuming from epoch {state['previous']['epoch']} instead", file=sys.stderr)
            if self.early_stopping is not None:
                self.early_stopping.best_weights = None  # the newest state's best weights may have loaded
            try:
                self._restore(state["previous"])
            except DamagedWeights as err:
                raise RunFolderError(f"{self.folder.path}: {damaged}, and so is the checkpoint of epoch "
                                     f"{state['previous']['epoch']} ({CHECKPOINTS_DIR}/{err}); "
                                     f"delete {self.folder.checkpoints} to start over") from None

    def _restore(self, state: dict) -> None:
        """Loads one saved training state into the model and early stopping; weights files may be damaged."""
        model, stopping = self.model, self.early_stopping
        if stopping is not None and state.get("best_weights"):
            self._load_weights(state["best_weights"])
            stopping.best_weights = model.get_weights()
        self._load_weights(state["weights"])
        generators, saved = seed_generator_states(model), state.get("seed_generator_states", [])
        if saved and len(generators) != len(saved):
            raise RunFolderError(f"{self.folder.checkpoints}: the checkpoint was saved by a different model; "
                                 f"delete {CHECKPOINTS_DIR}/ to start over")
        for variable, value in zip(generators, saved):
            variable.assign(value)
        if stopping is not None and state.get("early_stopping"):
            for key, value in state["early_stopping"].items():
                setattr(stopping, key, value)
        self.restored_epoch = state["epoch"]
        self.last_state = state
        # fit() starts its epoch loop here (Keras' BackupAndRestore uses the same attribute).
        model._initial_epoch = self.params["epochs"] if state.get("stopped") else state["epoch"]

    def _load_weights(self, name: str) -> None:
        try:
            self.model.load_weights(self.folder.checkpoint_weights(name))
        except (OSError, ValueError, KeyError, TypeError) as err:  # missing, truncated, garbage (h5py, Keras)
            reason = str(err).splitlines()[0] if str(err) else ""
            raise DamagedWeights(f"{name} is damaged ({type(err).__name__}{': ' + reason if reason else ''})") from None

    # ---- save ---------------------------------------------------------------------------------------

    def on_epoch_end(self, epoch, logs=None):
        if not self.write:
            # Under MultiWorkerMirroredStrategy saving reads variables with collective ops, so every
            # worker must save at the same points as the chief, or their collectives fall out of step.
            with tempfile.TemporaryDirectory(prefix="rnnzoo-worker-") as scratch:
                self.model.save_weights(Path(scratch) / "discarded.weights.h5")
            [v.numpy() for v in seed_generator_states(self.model)]  # the same reads as the chief's
            return
        previous = self.last_state or {}
        weights = EPOCH_WEIGHTS.format(epoch=epoch + 1)
        with self.folder.writing_checkpoint_weights(weights) as temporary:
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
                best = BEST_WEIGHTS.format(epoch=epoch + 1)
                current = self.model.get_weights()
                self.model.set_weights(stopping.best_weights)
                with self.folder.writing_checkpoint_weights(best) as temporary:
                    self.model.save_weights(temporary)
                self.model.set_weights(current)
            elif stopping.best_weights is not None:
                best = weights if stopping.best_epoch == epoch else previous.get("best_weights")
            state["best_weights"] = best
            state["early_stopping"] = {"best": _plain(stopping.best), "best_epoch": stopping.best_epoch,
                                       "wait": stopping.wait, "stopped_epoch": stopping.stopped_epoch,
                                       "best_within_epoch": within}
        # The state before this one, and its weights files, stay: a damaged newest weights file falls back to them.
        if previous.get("weights"):
            state["previous"] = {key: value for key, value in previous.items() if key != "previous"}
        self.folder.write_checkpoint(state)
        self.last_state = state
        kept = (state, state.get("previous") or {})
        self.folder.remove_checkpoint_weights(keep={s.get(key) for s in kept for key in ("weights", "best_weights")})


def _plain(value):
    """A JSON-friendly number (early stopping keeps numpy floats, or None before the first epoch)."""
    return None if value is None else float(value)
