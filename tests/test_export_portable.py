"""ONNX and LiteRT exports (`rnnzoo.export.portable`): bad requests are one-line errors, and a sentiment
classifier's files give Keras' probabilities in onnxruntime and in the LiteRT interpreter.

The other task kinds, int8 quantization and the decoding loops are in test_export_portable_kinds.py (slow).
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import rnnzoo
from rnnzoo import ConfigError
from rnnzoo.cli import main
from rnnzoo.export.portable import INSTALL, export_portable

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "portable_client.py"
REVIEWS = ["A moving, beautifully acted film.", "Two hours I will never get back!", "film", "",
           "the the the movie was a film<br />I liked it, and it was bad bad bad " * 3]


def client():
    """examples/portable_client.py as a module: the runtimes and client loops a user runs."""
    spec = importlib.util.spec_from_file_location("portable_client", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def padded_ids(run, count: int = 6, width: int = 12) -> np.ndarray:
    """Right-padded rows of random word ids, of lengths 1 to `width` (the first is full)."""
    rng = np.random.default_rng(3)
    ids = np.zeros((count, width), dtype=np.int32)
    for row, length in enumerate([width, *rng.integers(1, width, count - 1)]):
        ids[row, :length] = rng.integers(1, run.config.model.vocab_size, length)
    return ids


@pytest.fixture(scope="module")
def exported(tiny_sentiment_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("portable")
    run = tiny_sentiment_run
    return run, run.export(folder / "onnx", format="onnx"), run.export(folder / "litert", format="litert", length=12)


def test_onnx_and_litert_give_keras_probabilities_on_a_padded_batch(exported):
    run, onnx_dir, litert_dir = exported
    ids = padded_ids(run)
    want = np.asarray(run.model.predict(ids, verbose=0))
    runtime = client()
    for folder in (onnx_dir, litert_dir):
        got = runtime.Export(folder).graphs["model"]({"inputs": ids})["scores"]
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0, err_msg=str(folder))


def test_the_bilstm_becomes_one_fused_lstm_op_and_litert_holds_builtin_ops_only(exported):
    _, onnx_dir, litert_dir = exported
    import onnx
    from rnnzoo.export.litert import operators

    ops = [node.op_type for node in onnx.load(onnx_dir / "model.onnx").graph.node]
    assert ops.count("LSTM") == 1 and "Loop" not in ops and not [op for op in ops if "cudnn" in op.lower()]
    litert_ops = operators((litert_dir / "model.tflite").read_bytes())
    assert "SELECT_V2" in litert_ops and not [op for op in litert_ops if op.startswith("Flex") or op == "WHILE"]
    facts = json.loads((litert_dir / "preprocessing.json").read_text())
    assert facts["files"]["model.tflite"]["ops"] == litert_ops and facts["length"] == 12


def test_the_example_client_classifies_like_run_predict(exported):
    run, onnx_dir, litert_dir = exported
    expected = run.predict(REVIEWS)
    for folder in (onnx_dir, litert_dir):
        result = subprocess.run([sys.executable, str(EXAMPLE), str(folder), *REVIEWS], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        lines = [line.split("\t") for line in result.stdout.strip("\n").split("\n")]
        assert [label for label, _ in lines] == [e["label"] for e in expected]
        np.testing.assert_allclose([float(p) for _, p in lines], [e["probability"] for e in expected], atol=1e-4)


def test_litert_without_a_length_is_a_one_line_error(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--format", "litert"]) == 2
    error = capsys.readouterr().err
    assert "--length N" in error and len(error.strip().splitlines()) == 1
    with pytest.raises(ConfigError, match="length=N"):
        rnnzoo.load_run(tmp_path).export(format="litert")


@pytest.mark.parametrize("arguments, message", [
    (["--format", "onnx", "--length", "200"], "applies to format='litert' only"),
    (["--format", "savedmodel", "--quantize", "int8"], "apply to format='onnx' or 'litert' only"),
    (["--format", "litert", "--length", "0"], "from 1 to 10,000"),
])
def test_arguments_that_do_not_fit_the_format_are_one_line_errors(tmp_path, capsys, arguments, message):
    assert main(["export", str(tmp_path), *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


@pytest.mark.parametrize("format, module", [("onnx", "tf2onnx"), ("litert", "ai_edge_litert")])
def test_a_missing_extra_names_the_pip_install(tmp_path, capsys, monkeypatch, format, module):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` raises ImportError
    arguments = ["export", str(tmp_path), "--format", format] + (["--length", "8"] if format == "litert" else [])
    assert main(arguments) == 2
    error = capsys.readouterr().err
    assert INSTALL in error and module in error and len(error.strip().splitlines()) == 1


def test_a_kind_without_portable_graphs_is_refused_with_the_kinds_that_have_them(tmp_path, capsys, monkeypatch):
    # A task kind of one's own (registered in rnnzoo.tasks.TASKS) has no ONNX or LiteRT graphs.
    task = SimpleNamespace(cfg=SimpleNamespace(task="my_kind", name="mine"))
    with pytest.raises(ConfigError) as caught:
        export_portable(task, None, tmp_path / "out", format="onnx")
    message = str(caught.value)
    assert "my_kind" in message and "text_classification" in message and "seq2seq" in message
    assert not (tmp_path / "out").exists()
    # The CLI says it in one line, exit status 2.
    from rnnzoo.runs.run import Run

    monkeypatch.setattr(Run, "capabilities", property(lambda self: frozenset({"export"})))
    monkeypatch.setattr(Run, "task", property(lambda self: task))
    monkeypatch.setattr(Run, "model", property(lambda self: None))
    assert main(["export", str(tmp_path), "--format", "onnx"]) == 2
    error = capsys.readouterr().err
    assert "my_kind" in error and len(error.strip().splitlines()) == 1
