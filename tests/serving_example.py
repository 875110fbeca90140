"""Serves an export from a fresh process that imports TensorFlow alone: a test's script, or
examples/serve_savedmodel.py as a user runs it (TensorFlow's log level not set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rnnzoo.cli.quiet import C_LOG_LINE

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "serve_savedmodel.py"


def run_example(savedmodel, *arguments) -> str:
    """The example's stdout; fails unless it exits 0 and writes no TensorFlow C++ log line to stderr."""
    # conftest sets TF_CPP_MIN_LOG_LEVEL for the test process; a user's shell does not, and the example must
    # keep the C++ lines off stderr by itself.
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    environment["PYTHONIOENCODING"] = "utf-8"
    result = subprocess.run([sys.executable, str(EXAMPLE), str(savedmodel), *map(str, arguments)],
                            capture_output=True, timeout=300, env=environment)
    stderr = result.stderr.decode("utf-8", errors="replace")
    assert result.returncode == 0, stderr[-3000:]
    logged = [line for line in result.stderr.splitlines() if C_LOG_LINE.match(line)]
    assert not logged, f"TensorFlow C++ log lines on stderr: {logged[:3]}"
    return result.stdout.decode("utf-8")


def example_lines(savedmodel, *arguments) -> list[str]:
    """The example's output lines (for kinds whose outputs hold no newline)."""
    return run_example(savedmodel, *arguments).removesuffix("\n").split("\n")


def serve_in_tensorflow_only(script: str, savedmodel, payload: str):
    """The JSON that `script` (run as `python -c script SAVEDMODEL`, `payload` on stdin) prints last; it must exit 0."""
    result = subprocess.run([sys.executable, "-c", script, str(savedmodel)], input=payload, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                            cwd=Path(savedmodel).parent)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
