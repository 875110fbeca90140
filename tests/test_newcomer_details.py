"""The small things a newcomer hit (issue 17, point 13): each checked where a user sees it."""

import inspect
from pathlib import Path

import numpy as np

import rnnzoo

ROOT = Path(__file__).resolve().parents[1]


def test_lab_output_is_ignored_by_git():
    assert "/lab/" in (ROOT / ".gitignore").read_text().splitlines()


def test_char_lm_summary_line_names_figures_not_an_empty_colon(tmp_path, capsys):
    run = rnnzoo.train("char_lstm", data_dir="sample", out_dir=tmp_path / "run", epochs=1, verbose=0, units=8,
                       embedding_dim=4, num_layers=1, seq_length=8, batch_size=64)
    line = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("rnnzoo: run folder")][-1]
    assert line.startswith(f"rnnzoo: run folder {run.dir}: val_") and not line.endswith(": ")
    assert "val_bits_per_char=" in line


def test_one_epoch_is_singular_in_the_lab_log(tmp_path):
    from rnnzoo.lab import vanishing

    lines = []
    vanishing((4,), tmp_path / "lab", cells=("gru",), exploding=False, epochs=1, num_examples=60, log=lines.append)
    assert any("after 1 epoch (" in line for line in lines), lines


def test_curves_have_ticks_at_whole_epochs_only(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from rnnzoo.runs.folder import RunFolder

    figures = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda figure: (figures.append(figure), close(figure)))
    RunFolder(tmp_path)._plot_curves([{"epoch": 1, "loss": 0.7, "val_loss": 0.69},
                                      {"epoch": 2, "loss": 0.6, "val_loss": 0.65}])
    ticks = np.concatenate([axis.get_xticks() for axis in figures[0].axes])
    assert len(ticks) and np.all(ticks == np.round(ticks)), ticks


def test_python_api_documents_data_dir_sample():
    assert 'data_dir="sample"' in inspect.getdoc(rnnzoo.train) and "--data sample" in inspect.getdoc(rnnzoo.train)


def test_quickstart_imports_parse_set_values_from_rnnzoo_config():
    from rnnzoo.config import parse_set_values

    assert parse_set_values(["units=3", "cell=gru"]) == {"units": 3, "cell": "gru"}
    source = (ROOT / "examples" / "quickstart.py").read_text()
    assert "from rnnzoo.config import parse_set_values" in source and "rnnzoo.cli" not in source
