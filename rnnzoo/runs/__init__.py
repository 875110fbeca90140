"""Run folders: `RunFolder` owns the files a training writes (`folder`); `Run` reads them back (`run`)."""

from rnnzoo.export import EXPORT_FORMATS
from rnnzoo.runs.folder import RunFolder
from rnnzoo.runs.run import Run, load_run

__all__ = ["EXPORT_FORMATS", "Run", "RunFolder", "load_run"]
