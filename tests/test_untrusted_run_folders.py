"""A run folder is untrusted data: every file rnnzoo reads from it is checked, and a bad one is one line, exit 2.

Each case is an input of the outside probe of issue 16 (points 1, 7 and 8).
"""

import json
import shutil
import time
import zipfile

import pytest

import rnnzoo
from rnnzoo.cli import main
from rnnzoo.config.registry import load_config
from rnnzoo.errors import ConfigError, RunFolderError
from rnnzoo.runs import Run
from rnnzoo.tasks import task_class


@pytest.fixture
def copied_run(tiny_sentiment_run, tmp_path):
    """A copy of the tiny sentiment run that a test may tamper with."""
    folder = tmp_path / "run"
    shutil.copytree(tiny_sentiment_run.dir, folder)
    return folder


def edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def refused_in_one_line(argv, capsys, *fragments, progress: bool = False):
    """The CLI exits 2 with one line on stderr holding every fragment (`progress`: after training's progress lines)."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "\x1b" not in err, err
    if progress:
        err = err.splitlines(keepends=True)[-1]
    assert err.count("\n") == 1 and err.startswith("rnnzoo: error: "), err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_a_vocabulary_given_as_a_path_is_never_read(copied_run, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("top\nsecret\nwords\n")
    edit_json(copied_run / "preprocessing.json", lambda state: state.update(vocabulary=str(secret)))
    err = refused_in_one_line(["predict", str(copied_run), "a fine film"], capsys, "preprocessing.json", "`vocabulary`")
    assert "top" not in err and "secret\n" not in err
    refused_in_one_line(["export", str(copied_run), "--format", "keras", "--out", str(tmp_path / "x.keras")], capsys,
                        "`vocabulary` must be a list of strings")
    assert not (tmp_path / "x.keras").exists()


@pytest.mark.parametrize("change, field", [
    (lambda s: s.update(vocabulary=s["vocabulary"][:-1] + s["vocabulary"][2:3]), "`vocabulary` must not repeat"),
    (lambda s: s.update(vocabulary=[]), "`vocabulary` must start with"),
    (lambda s: s.update(vocabulary=["", "[UNK]"]), "`vocabulary` must not be empty"),
    (lambda s: s.update(vocabulary=None), "`vocabulary` must be a list of strings"),
    (lambda s: s.update(vocabulary=["", "[UNK]", 7]), "`vocabulary` must be a list of strings"),
    (lambda s: s.update(vocabulary=["", "[UNK]", *map(str, range(500))]), "at most"),
    (lambda s: s.update(max_length="ten"), "`max_length` must be an integer from 1 to 100000"),
    (lambda s: s.update(max_length=-5), "`max_length` must be an integer"),
    (lambda s: s.update(truncate="middle"), "`truncate` must be one of 'start', 'end'"),
    (lambda s: s.pop("truncate"), "`truncate` is missing"),
])
def test_a_tampered_preprocessing_state_is_refused(copied_run, capsys, change, field):
    edit_json(copied_run / "preprocessing.json", change)
    with pytest.raises(RunFolderError, match="preprocessing.json: invalid preprocessing state"):
        Run(copied_run).task
    refused_in_one_line(["predict", str(copied_run), "a fine film"], capsys, "preprocessing.json", field)


@pytest.mark.parametrize("content, message", [
    ("[]", "must hold a JSON object"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('"just a string"', "must hold a JSON object"),
])
def test_a_preprocessing_file_that_is_not_an_object_is_refused(copied_run, capsys, content, message):
    (copied_run / "preprocessing.json").write_text(content)
    refused_in_one_line(["predict", str(copied_run), "a fine film"], capsys, "preprocessing.json", message)


@pytest.mark.parametrize("content, message", [
    ("[]", "config.json: must hold a JSON object"),
    ("{" * 0 + "[" * 100_000 + "]" * 100_000, "config.json: not readable JSON (nested too deeply)"),
    ('{"io": "many_to_one", "task": "text_classification", "name": ' + "[" * 900 + "]" * 900 + "}", "`name` must be"),
    ('{"io": ["many_to_one"]}', "`io` must be one of"),
    ('{"io": "many_to_one", "task": "no_such_kind"}', "config.json"),
])
def test_a_bad_config_json_is_one_line(copied_run, capsys, content, message):
    (copied_run / "config.json").write_text(content)
    refused_in_one_line(["predict", str(copied_run), "a fine film"], capsys, message)


def test_a_deeply_nested_config_inside_model_keras_is_one_line(copied_run, capsys):
    path = copied_run / "model.keras"
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["config.json"] = b"[" * 100_000 + b"]" * 100_000
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    refused_in_one_line(["predict", str(copied_run), "a fine film"], capsys, "model.keras: cannot be loaded")


@pytest.mark.parametrize("content, message", [
    ("epoch,loss\n1,abc\n", "line 2: `'loss'` must be a number"),
    ("epoch,loss\nfirst,0.5\n", "line 2: `'epoch'` must be a number"),
    ("epoch,loss\n0,0.5\n", "`epoch` must be an integer >= 1"),
    ("epoch,loss\n1,0.5,9\n", "line 2 does not have one cell per column"),
    ("epoch,loss\n1,0.5\x00\n", "history.csv"),
])
def test_a_bad_history_is_one_line(copied_run, content, message):
    (copied_run / "history.csv").write_text(content)
    with pytest.raises(RunFolderError, match="history.csv") as caught:
        Run(copied_run).history
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("content, message", [
    ("[1, 2]", "metrics.json: must hold a JSON object"),
    ('{"data_dir": ["/etc"]}', "`data_dir` must be a string or null"),
])
def test_bad_metrics_are_one_line(copied_run, content, message):
    (copied_run / "metrics.json").write_text(content)
    with pytest.raises(RunFolderError, match="metrics.json") as caught:
        Run(copied_run).metrics
    assert message in str(caught.value)


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update(weights="/etc/passwd"), "`weights` must name a weights file of checkpoints/"),
    (lambda s: s.update(weights="../model.keras"), "`weights` must name a weights file"),
    (lambda s: s.update(best_weights=3), "`best_weights` must name"),
    (lambda s: s.update(epoch="1"), "`epoch` must be an integer >= 0"),
    (lambda s: s.update(seed_generator_states=[["x"]]), "`seed_generator_states` must be lists of integers"),
    (lambda s: s.update(stopped="yes"), "`stopped` must be true or false"),
    (lambda s: s.update(early_stopping={"best": "low"}), "`early_stopping` must map"),
])
def test_a_tampered_checkpoint_state_is_refused(copied_run, change, message):
    from rnnzoo.runs.folder import RunFolder

    edit_json(copied_run / "checkpoints" / "state.json", change)
    with pytest.raises(RunFolderError, match="state.json: invalid training state") as caught:
        RunFolder(copied_run).read_checkpoint()
    assert message in str(caught.value) and "delete checkpoints/" in str(caught.value)


# Every other task kind checks its own state the same way (no training: a config and a state are enough).
TASK_STATES = {
    "char_lstm": [({"characters": "abc"}, "`characters` must be a list of strings"),
                  ({"characters": ["a", "bc"]}, "must hold single characters"),
                  ({"characters": ["a", "a"]}, "must not repeat"),
                  ({"characters": ["a", "b"], "frequencies": [1, -1]}, "`frequencies` must be a finite number > 0"),
                  ({"characters": ["a", "b"], "frequencies": [1]}, "`frequencies` must be a list of 2 numbers")],
    "addition_lstm": [({"source_vocabulary": "/etc/passwd", "target_vocabulary": [], "max_target_length": 4},
                       "`source_vocabulary` must be a list of strings"),
                      ({"source_vocabulary": ["", "[UNK]", "<start>", "<end>", "1"],
                        "target_vocabulary": ["", "[UNK]", "<start>", "<end>", "1"], "max_target_length": 10 ** 9},
                       "`max_target_length` must be an integer from 1 to 100000")],
    "tracker_lstm": [({"scale": 0}, "`scale` must be a finite number > 0"), ({}, "`scale` is missing")],
    "tagger_bigru": [({"target": "pos", "words": ["", "[UNK]", "<start>", "<end>", "a"], "characters": ["a"],
                       "pos": ["", "[UNK]", "<start>", "<end>", "NN"], "tags": ["NN", "<unseen>"]},
                      "`tags` must start with ['<unseen>']"),
                     ({"target": "lemma"}, "`target` must be one of 'pos', 'chunk'")],
    "caption_lstm": [({"vocabulary": "/etc/passwd", "max_caption_length": 5}, "`vocabulary` must be a list"),
                     ({"vocabulary": ["", "[UNK]", "<start>", "<end>", "a"], "max_caption_length": 0},
                      "`max_caption_length` must be an integer from 1")],
}


@pytest.mark.parametrize("name, state, message", [(n, s, m) for n, cases in TASK_STATES.items() for s, m in cases])
def test_every_task_kind_checks_its_saved_state(name, state, message):
    cfg = load_config(name)
    with pytest.raises(ValueError) as caught:
        task_class(cfg).from_state(cfg, state)
    assert message in str(caught.value)


def test_toml_nested_100k_deep_is_one_config_error(tmp_path, capsys):
    path = tmp_path / "deep.toml"
    path.write_text('io = "many_to_one"\nx = ' + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        rnnzoo.load_config(path)
    refused_in_one_line(["info", str(path)], capsys, "deep.toml: not valid TOML")


def test_a_multi_megabyte_description_is_refused_at_once(tmp_path, capsys):
    path = tmp_path / "long.toml"
    path.write_text('base = "sentiment_bilstm"\ndescription = "' + "x" * 3_000_000 + '"\n')
    started = time.perf_counter()
    refused_in_one_line(["info", str(path)], capsys, "`description` must be at most 10,000 characters")
    assert time.perf_counter() - started < 5


# ---- a damaged checkpoint -------------------------------------------------------------------------

TINY_TRAINING = dict(units=4, embedding_dim=4, num_layers=1, max_length=16, vocab_size=100, validation_fraction=0.1,
                     batch_size=4, seed=7, verbose=0)
DAMAGES = {
    "missing": lambda path: path.unlink(),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:300]),
    "garbage": lambda path: path.write_bytes(b"not an HDF5 file" * 50),
}


@pytest.fixture(scope="module")
def two_epoch_run(tmp_path_factory):
    """A tiny run of 2 epochs (its checkpoint keeps epoch 1 as the previous one) and its data."""
    from imdb_fixtures import write_acl_imdb

    root = tmp_path_factory.mktemp("two_epochs")
    data = write_acl_imdb(root)
    rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=root / "run", epochs=2, **TINY_TRAINING)
    return data, root / "run"


# Each fallback trains an epoch again: "missing" runs by default, the other two damages are opt-in (`-m slow`).
@pytest.mark.parametrize("damage", ["missing", *(pytest.param(d, marks=pytest.mark.slow) for d in ("truncated", "garbage"))])
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(two_epoch_run, tmp_path, capsys, damage):
    data, trained = two_epoch_run
    folder = tmp_path / "run"
    shutil.copytree(trained, folder)
    state = json.loads((folder / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 2 and state["previous"]["epoch"] == 1
    assert (folder / "checkpoints" / state["previous"]["weights"]).exists()
    DAMAGES[damage](folder / "checkpoints" / state["weights"])
    run = rnnzoo.train("sentiment_bilstm", data_dir=data, out_dir=folder, epochs=3, **TINY_TRAINING)
    err = capsys.readouterr().err
    assert "checkpoints/epoch-0002.weights.h5 is damaged" in err and "resuming from epoch 1 instead" in err
    assert [row["epoch"] for row in run.history] == [1, 2, 3]
    state = json.loads((folder / "checkpoints" / "state.json").read_text())
    assert (state["epoch"], state["previous"]["epoch"]) == (3, 2)
    kept = {p.name for p in (folder / "checkpoints").glob("*.weights.h5")}
    assert {state["weights"], state["previous"]["weights"]} <= kept


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_checkpoint_without_a_previous_one_is_one_line(two_epoch_run, tmp_path, capsys, damage):
    data, trained = two_epoch_run
    folder = tmp_path / "run"
    shutil.copytree(trained, folder)
    edit_json(folder / "checkpoints" / "state.json", lambda state: state.pop("previous"))  # as older rnnzoo wrote
    DAMAGES[damage](folder / "checkpoints" / "epoch-0002.weights.h5")
    args = [f"{key}={value}" for key, value in TINY_TRAINING.items() if key not in ("verbose", "seed", "batch_size")]
    refused_in_one_line(["train", "sentiment_bilstm", "--data-dir", str(data), "--out", str(folder), "--epochs", "3",
                         "--seed", "7", "--batch-size", "4", *[a for arg in args for a in ("--set", arg)]], capsys,
                        "checkpoints/epoch-0002.weights.h5 is damaged", "no earlier checkpoint is kept",
                        "to start over", progress=True)


@pytest.mark.parametrize("out", ["existing.txt", "existing.txt/run"])
def test_out_pointing_at_a_file_is_refused_before_any_data_loads(tmp_path, capsys, out):
    (tmp_path / "existing.txt").write_text("keep me")
    refused_in_one_line(["train", "sentiment_bilstm", "--data-dir", str(tmp_path / "no-such-data"),
                         "--out", str(tmp_path / out)], capsys, "existing.txt is a file", "Received: --out")
    assert (tmp_path / "existing.txt").read_text() == "keep me"


@pytest.mark.parametrize("temperature", ["1e-320", 5e-324, 1e-4])
def test_a_tiny_positive_temperature_is_refused_not_sampled_as_garbage(temperature):
    from rnnzoo.errors import RnnzooError
    from rnnzoo.inference.sampling import check_temperature

    with pytest.raises(RnnzooError, match=r"`temperature` must be 0 \(greedy\) or at least 0.001"):
        check_temperature(temperature)
    assert check_temperature("0") == 0 and check_temperature(0.001) == 0.001


@pytest.mark.parametrize("content", ["[]", "[" * 100_000 + "]" * 100_000, '{"model": [], "train": 3}'])
def test_training_into_a_folder_with_a_bad_config_json_does_not_crash_on_it(tmp_path, content):
    from rnnzoo.runs.folder import RunFolder

    (tmp_path / "config.json").write_text(content)
    cfg = load_config("sentiment_bilstm")
    if content.startswith("{"):
        with pytest.raises(RunFolderError, match="holds a run of a different config"):
            RunFolder(tmp_path).check_resumable(cfg)
    else:
        RunFolder(tmp_path).check_resumable(cfg)  # unreadable: training rewrites it
