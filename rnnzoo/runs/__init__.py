"""Run folders: the files a training writes (`folder`) and the `Run` that reads them back (`run`)."""

from rnnzoo.runs.run import EXPORT_FORMATS, Run, load_run

__all__ = ["EXPORT_FORMATS", "Run", "load_run"]
