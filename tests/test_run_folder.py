"""`RunFolder` owns the run folder: no other module names its files; tasks are values of (config, state)."""

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

import rnnzoo
from rnnzoo.errors import RnnzooError, RunFolderError
from rnnzoo.runs import Run, RunFolder
from rnnzoo.runs import folder as run_folder
from rnnzoo.tasks import TASKS, task_class

PACKAGE = Path(rnnzoo.__file__).parent
OWNER = PACKAGE / "runs" / "folder.py"
FILE_NAMES = (run_folder.CONFIG_FILE, run_folder.TASK_STATE_FILE, run_folder.MODEL_FILE, run_folder.HISTORY_FILE,
              run_folder.CURVES_FILE, run_folder.METRICS_FILE, run_folder.CHECKPOINT_STATE_FILE)
# A file name on its own, not the tail of another name (lab.py writes training_curves.png outside any run folder).
NAMED = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(name) for name in FILE_NAMES) + ")")
# Files of the same name in other folders: an ONNX/LiteRT export folder's preprocessing.json (the task state and
# what a client needs to decode), written by rnnzoo.export.portable.
OTHER_FOLDERS = {("export/portable.py", run_folder.TASK_STATE_FILE)}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (prose may name the files)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_only_run_folder_names_the_files_of_a_run_folder():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == OWNER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                offenders += [f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}"
                              for name in NAMED.findall(node.value)
                              if (path.relative_to(PACKAGE).as_posix(), name) not in OTHER_FOLDERS]
    assert not offenders, "run-folder file names outside rnnzoo/runs/folder.py:\n" + "\n".join(offenders)


def test_every_task_declares_its_capabilities():
    for name in sorted({kind.recipe for kind in TASKS.values()}):
        module, _, attribute = name.partition(":")
        recipe = getattr(importlib.import_module(module), attribute)
        assert "predict" in recipe.capabilities, name
        assert recipe.capabilities <= {"predict", "decode", "generate", "export"}, name
        for capability in ("decode", "generate"):
            assert (capability in recipe.capabilities) == callable(getattr(recipe, capability, None)), (name, capability)


def _write(folder: Path, name: str, data) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def test_tracking_state_round_trips_through_the_run_folder(tmp_path):
    cfg = rnnzoo.load_config("tracker_lstm")
    task = task_class(cfg).from_state(cfg, {"kind": "tracking", "scale": 2.5})
    folder = RunFolder(tmp_path)
    folder.write_task(task)
    assert json.loads((tmp_path / "preprocessing.json").read_text()) == {"kind": "tracking", "scale": 2.5}
    restored = folder.read_task(cfg)
    assert type(restored) is type(task) and restored.scale == 2.5 and restored.cfg is cfg


def test_missing_or_malformed_task_state_is_a_one_line_error(tmp_path):
    cfg = rnnzoo.load_config("tracker_lstm")
    with pytest.raises(RunFolderError, match=r"missing preprocessing.json \(the position scale\); train again"):
        RunFolder(tmp_path).read_task(cfg)
    _write(tmp_path, "preprocessing.json", {"kind": "tracking"})
    with pytest.raises(RunFolderError, match=r"preprocessing.json: invalid preprocessing state: `scale` is missing"):
        RunFolder(tmp_path).read_task(cfg)


def test_with_config_builds_a_new_task_value_that_shares_the_data_epoch():
    cfg = rnnzoo.load_config("tracker_lstm")
    adapting = task_class(cfg).from_state(cfg, {"kind": "tracking", "scale": 3.0})
    final_cfg = cfg.replace(num_classes=2)
    task = adapting.with_config(final_cfg)
    assert task is not adapting and task.cfg is final_cfg and task.scale == 3.0
    assert task.data_epoch is adapting.data_epoch


@pytest.mark.parametrize("metrics, expected", [
    ({"data_dir": "some/folder", "data_source": "tensorflow_datasets"}, "some/folder"),
    ({"data_dir": None, "data_source": "some/folder/aclImdb"}, None),
    # Run folders written before "data_dir": the source is the location unless it was tensorflow-datasets.
    ({"data_source": "some/folder/aclImdb"}, "some/folder/aclImdb"),
    ({"data_source": "sample"}, "sample"),
    ({"data_source": "tensorflow_datasets"}, None),
    ({"data_source": "tensorflow_datasets (downloaded)"}, None),
])
def test_evaluation_reads_the_data_from_where_training_did(tmp_path, metrics, expected):
    _write(tmp_path, "metrics.json", metrics)
    assert RunFolder(tmp_path).data_dir() == expected


def test_export_of_a_task_without_the_capability_names_the_alternative(tmp_path, monkeypatch):
    from rnnzoo.tasks.tracking import TrackingTask

    monkeypatch.setattr(TrackingTask, "capabilities", frozenset({"predict"}))  # every task kind exports today
    _write(tmp_path, "config.json", rnnzoo.get_config("tracker_lstm"))
    _write(tmp_path, "preprocessing.json", {"kind": "tracking", "scale": 1.0})
    with pytest.raises(RnnzooError, match="Export of aligned models .*; use `rnnzoo predict` or Run.predict"):
        Run(tmp_path).export(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_run_records_its_data_dir_and_evaluates_from_it(tiny_sentiment_run):
    metrics = tiny_sentiment_run.metrics
    assert Path(metrics["data_dir"]).is_dir() and metrics["data_source"].startswith(metrics["data_dir"])
    results = rnnzoo.load_run(tiny_sentiment_run.dir).evaluate()
    assert set(results) == {"loss", "accuracy"} and all(value >= 0 for value in results.values())
