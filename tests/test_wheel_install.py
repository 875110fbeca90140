"""A wheel installed into a fresh virtual environment, run from another folder, lists and builds every model.

The fresh venv gets rnnzoo alone (`--no-deps`); TensorFlow and Keras come from
the test environment's site-packages through PYTHONPATH, which adds folders
but runs no `.pth` files, so a source checkout or editable install of rnnzoo
cannot leak in. The test checks where `rnnzoo` was imported from.
"""

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

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
