"""A process killed in the middle of an atomic write leaves the old file or folder, and its debris is cleaned up.

Each kill is a real SIGKILL of a child process at the named instant (issue 16 point 5).
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from rnnzoo import files

# The child replaces FOLDER/savedmodel (old content "old") with new content "new" and kills itself at POINT.
CHILD = textwrap.dedent("""
    import os, shutil, signal, sys
    from pathlib import Path
    from rnnzoo import files

    folder, point = Path(sys.argv[1]), sys.argv[2]
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    if point == "between_renames":  # no atomic exchange here: two renames, killed after the first
        files._exchange = lambda first, second: False
        real_replace = os.replace
        def replace(source, target):
            real_replace(source, target)
            if Path(target).name.startswith(".savedmodel.rnnzoo-old-"):
                die()
        os.replace = replace
    elif point == "after_exchange":  # the new folder is in place; the old one is not removed yet
        shutil.rmtree = lambda *args, **kwargs: die()
    elif point == "while_writing_a_file":
        with files.atomic_path(folder / "model.keras") as temporary:
            temporary.write_bytes(b"half a model")
            die()
    with files.atomic_directory(folder / "savedmodel") as temporary:
        (temporary / "saved_model.pb").write_text("new")
        if point == "while_writing_a_folder":
            die()
""")


def killed_child(folder, point):
    result = subprocess.run([sys.executable, "-c", CHILD, str(folder), point], capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr


def hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def folder(tmp_path):
    with files.atomic_directory(tmp_path / "savedmodel") as temporary:
        (temporary / "saved_model.pb").write_text("old")
    return tmp_path


def test_a_kill_between_the_two_renames_is_repaired_by_the_next_write(folder):
    killed_child(folder, "between_renames")
    assert not (folder / "savedmodel").exists() and len(hidden(folder)) == 2  # the old copy and the new one
    files.write_text(folder / "notes.txt", "any write to the same folder")
    assert (folder / "savedmodel" / "saved_model.pb").read_text() == "old"
    assert hidden(folder) == []


def test_with_an_atomic_exchange_the_folder_is_never_missing(folder):
    killed_child(folder, "after_exchange")
    assert (folder / "savedmodel" / "saved_model.pb").read_text() == "new"
    assert len(hidden(folder)) == 1  # the old copy, swapped out
    with files.atomic_directory(folder / "savedmodel") as temporary:
        (temporary / "saved_model.pb").write_text("newer")
    assert (folder / "savedmodel" / "saved_model.pb").read_text() == "newer" and hidden(folder) == []


@pytest.mark.parametrize("point", ["while_writing_a_file", "while_writing_a_folder"])
def test_temporaries_of_a_killed_process_are_removed_by_the_next_write(folder, point):
    (folder / "model.keras").write_text("good model")
    killed_child(folder, point)
    assert len(hidden(folder)) == 1
    assert (folder / "model.keras").read_text() == "good model"
    assert (folder / "savedmodel" / "saved_model.pb").read_text() == "old"
    files.write_json(folder / "metrics.json", {})
    assert hidden(folder) == []


def test_temporaries_of_live_processes_and_other_hidden_files_are_kept(folder):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = [f".model.keras.rnnzoo-tmp-{files._HOST}-{live.pid}-abcdefgh.keras",   # a live writer
                 f".model.keras.rnnzoo-tmp-{files._HOST}-{os.getpid()}-abcdefgh.keras",  # this process
                 ".model.keras.rnnzoo-tmp-another_host-1-abcdefgh.keras",               # a writer elsewhere
                 ".model.keras.k3j2h1",                                                 # not rnnzoo's naming
                 ".gitignore"]
        for name in names:
            (folder / name).write_text("x")
        files.write_text(folder / "notes.txt", "a write")
        assert hidden(folder) == sorted(names)
    finally:
        live.kill()
        live.wait()
    files.write_text(folder / "notes.txt", "another write")
    assert hidden(folder) == sorted(names[1:])
