"""The `rnnzoo` command: the parser and light commands (`main`), the run-folder commands (`commands`), `doctor`."""

from rnnzoo.cli.main import main

__all__ = ["main"]
