"""A wheel installed into a fresh virtual environment, run from another folder, lists and builds every model.

The fresh venv gets rnnzoo alone (`--no-deps`); TensorFlow and Keras come from
the test environment's site-packages through PYTHONPATH, which adds folders
but runs no `.pth` files, so a source checkout or editable install of rnnzoo
cannot leak in. The test checks where `rnnzoo` was imported from.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_wheel_ships_configs_and_works_outside_the_checkout(tmp_path):
    wheel_dir = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir), str(REPO)])
    (wheel,) = wheel_dir.glob("rnnzoo-*.whl")
    source_packages = {p.parent.relative_to(REPO).as_posix() for p in (REPO / "rnnzoo").rglob("__init__.py")}
    with zipfile.ZipFile(wheel) as archive:
        wheel_packages = {Path(n).parent.as_posix() for n in archive.namelist() if n.endswith("__init__.py")}
    assert source_packages <= wheel_packages, f"packages missing from the wheel: {sorted(source_packages - wheel_packages)}"
    check_installed(wheel, tmp_path)


def check_installed(wheel: Path, tmp_path: Path, *, quickstart: bool = True) -> None:
    """Installs `wheel` alone into a fresh venv and runs the zoo, the CLI and the quickstart from another folder."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"], "TF_CPP_MIN_LOG_LEVEL": "3"}
    script = (
        "import rnnzoo, rnnzoo.tasks, sys\n"
        "assert rnnzoo.__file__.startswith(sys.prefix), rnnzoo.__file__\n"
        "names = rnnzoo.list_models()\n"
        "assert len(names) >= 10, names\n"
        "for name in names:\n"
        "    rnnzoo.build(name, compile=False)\n"
        "print(len(names))\n"
    )
    result = run([str(python), "-c", script], cwd=elsewhere, env=env)
    assert int(result.stdout.strip()) >= 10
    listing = run([str(env_dir / "bin" / "rnnzoo"), "list"], cwd=elsewhere, env=env)
    assert "sentiment_bilstm" in listing.stdout
    info = run([str(env_dir / "bin" / "rnnzoo"), "info", "sentiment_bilstm"], cwd=elsewhere, env=env)
    assert "many_to_one" in info.stdout and "parameters:" in info.stdout
    if quickstart:  # the README's first example, on tiny settings, against the installed package and its sample
        shutil.copy(REPO / "examples" / "quickstart.py", elsewhere)
        tiny = ["--set", "units=4", "--set", "embedding_dim=4", "--set", "num_layers=1", "--set", "max_length=16",
                "--set", "vocab_size=200"]
        result = run([str(python), "quickstart.py", "--epochs", "1", "--out", "runs/quickstart", *tiny],
                     cwd=elsewhere, env=env)
        assert "test accuracy on the sample" in result.stdout and "exported to" in result.stdout
        assert (elsewhere / "runs" / "quickstart" / "savedmodel" / "saved_model.pb").exists()


@pytest.mark.slow
def test_python_m_build_makes_an_sdist_and_wheel_that_install_and_run(tmp_path):
    """`python -m build` (no isolation: offline) makes both; a wheel built from the sdist alone works installed."""
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(dist), str(REPO)])
    (sdist,) = dist.glob("rnnzoo-*.tar.gz")
    (wheel,) = dist.glob("rnnzoo-*.whl")
    from_sdist = tmp_path / "from_sdist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(from_sdist), str(sdist)])
    (rebuilt,) = from_sdist.glob("rnnzoo-*.whl")
    with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(rebuilt) as b:
        assert sorted(a.namelist()) == sorted(b.namelist()), "the sdist lacks files the wheel has"
    check_installed(rebuilt, tmp_path, quickstart=False)
