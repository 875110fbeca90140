"""Runs examples/serve_savedmodel.py as a user would: a fresh process, TensorFlow's log level not set."""

from __future__ import annotations

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
