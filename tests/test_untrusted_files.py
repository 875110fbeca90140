"""Model files from elsewhere run no code, and a failed save never damages the file it was replacing."""

import importlib
import inspect
import json
import pkgutil
import shutil
from pathlib import Path

import keras
import pytest

import rnnzoo.layers
from rnnzoo import files
from rnnzoo.cli import main
from rnnzoo.errors import RunFolderError
from rnnzoo.runs import Run


def lambda_model_file(path):
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs)).save(path)
    return path


def test_a_model_file_with_a_lambda_layer_is_refused_in_one_line(tiny_sentiment_run, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(tiny_sentiment_run.dir, folder)
    lambda_model_file(folder / "model.keras")
    with pytest.raises(RunFolderError, match="refused: it holds Python code") as caught:
        Run(folder).model
    assert "\n" not in str(caught.value) and "safe_mode=True" in str(caught.value)
    assert main(["predict", str(folder), "a fine film"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused" in err and "Traceback" not in err


@pytest.mark.parametrize("content", [b"", b"not a zip at all", "truncated"])
def test_a_damaged_model_file_is_a_clear_error(tiny_sentiment_run, tmp_path, content):
    folder = tmp_path / "run"
    shutil.copytree(tiny_sentiment_run.dir, folder)
    good = (folder / "model.keras").read_bytes()
    (folder / "model.keras").write_bytes(good[: len(good) // 2] if content == "truncated" else content)
    with pytest.raises(RunFolderError, match="model.keras: cannot be loaded") as caught:
        Run(folder).model
    assert "\n" not in str(caught.value)


def test_rnnzoo_layers_are_registered_serializables(tiny_sentiment_run, tmp_path):
    # Every Layer and Loss defined anywhere in rnnzoo.layers is registered by importing that one package.
    modules = [importlib.import_module(f"rnnzoo.layers.{info.name}") for info in pkgutil.iter_modules(rnnzoo.layers.__path__)]
    layers = [cls for module in modules for _, cls in inspect.getmembers(module, inspect.isclass)
              if issubclass(cls, (keras.layers.Layer, keras.losses.Loss)) and cls.__module__ == module.__name__]
    assert {"MaskedPooling1D", "RepeatAlongTime", "TextToIds", "CharsToIds", "LastStepSoftmax", "LSTM", "GRU", "CRF",
            "CRFLoss"} <= {c.__name__ for c in layers}
    for cls in layers:
        name = keras.saving.get_registered_name(cls)
        assert name == f"rnnzoo>{cls.__name__}" and keras.saving.get_registered_object(name) is cls
    # The raw-text model (TextToIds + core with MaskedPooling1D) loads with safe_mode=True.
    path = tiny_sentiment_run.export(tmp_path / "raw.keras", format="keras")
    assert keras.saving.load_model(path, safe_mode=True).count_params() > 0


class DiskFull(OSError):
    pass


def test_an_interrupted_keras_save_leaves_the_old_file_intact(tiny_sentiment_run, tmp_path, monkeypatch):
    path = tiny_sentiment_run.export(tmp_path / "model.keras", format="keras")
    before = path.read_bytes()

    def half_written_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as handle:
            handle.write(before[: len(before) // 2])
        raise DiskFull("no space left on device")

    monkeypatch.setattr(keras.Model, "save", half_written_save)
    with pytest.raises(DiskFull):
        tiny_sentiment_run.export(path, format="keras")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"], "a temporary file was left behind"


def test_an_interrupted_savedmodel_export_leaves_the_old_folder_intact(tiny_sentiment_run, tmp_path, monkeypatch):
    path = tiny_sentiment_run.export(tmp_path / "savedmodel")
    before = {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()}

    def half_written_export(obj, filepath, *args, **kwargs):
        (Path(filepath) / "saved_model.pb").write_bytes(b"half")
        raise KeyboardInterrupt  # Ctrl-C in the middle of writing

    import tensorflow as tf

    monkeypatch.setattr(tf.saved_model, "save", half_written_export)  # every SavedModel writer ends here
    with pytest.raises(KeyboardInterrupt):
        tiny_sentiment_run.export(path)
    assert {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["savedmodel"], "a temporary folder was left behind"


def test_an_interrupted_json_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    files.write_json(path, {"units": 4})
    real_write_text = type(path).write_text

    def half_written(self, text, *args, **kwargs):
        real_write_text(self, text[: len(text) // 2], *args, **kwargs)
        raise DiskFull("no space left on device")

    monkeypatch.setattr(type(path), "write_text", half_written)
    with pytest.raises(DiskFull):
        files.write_json(path, {"units": 8, "padding": "x" * 1000})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"units": 4}
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_atomic_writes_get_the_usual_permissions_not_owner_only(tmp_path):
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    files.write_text(tmp_path / "a.txt", "x")
    with files.atomic_directory(tmp_path / "folder") as folder:
        (folder / "f").write_text("y")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~mask
    assert (tmp_path / "folder").stat().st_mode & 0o777 == 0o777 & ~mask
