"""Keeps TensorFlow's C++ start-up log lines off the command line's stderr; `--verbose` keeps them.

On a machine without a GPU, `import tensorflow` prints lines such as
`E0000 ... failed call to cuInit: INTERNAL: CUDA error`, which read as real
errors. The later ones obey `TF_CPP_MIN_LOG_LEVEL`, but those written while
TensorFlow loads its shared libraries come from copies of absl logging that
read no environment variable. So, unless the user set the variables, the CLI
sets them for what comes later and, while the `tensorflow` module itself is
imported, points file descriptor 2 at a temporary file, then writes back
every line that is not a C++ log line (Python warnings pass).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

from rnnzoo._import_hooks import around_import

QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow's C++ logging: fatal errors only
    "GRPC_VERBOSITY": "ERROR",  # gRPC (distributed strategies)
}
# absl/glog prefix: severity and date, time, thread id, file:line]; and absl's note that it is not initialized yet.
C_LOG_LINE = re.compile(rb"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.\-/]+:\d+\] "
                        rb"|^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR")


def without_c_log_lines(data: bytes) -> bytes:
    return b"".join(line for line in data.splitlines(keepends=True) if not C_LOG_LINE.match(line))


def _import_with_stderr_filtered(run_import) -> None:
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 to filter
        run_import()
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            run_import()
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = without_c_log_lines(capture.read())
            if kept:
                os.write(2, kept)


def quiet_tensorflow() -> None:
    """Silences TensorFlow's C++ log lines from here on (call before TensorFlow is imported)."""
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if "tensorflow" not in sys.modules:
        around_import("tensorflow", _import_with_stderr_filtered)
