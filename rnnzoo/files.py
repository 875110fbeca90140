"""Atomic writes: a reader sees the old file or the new one, never half of either.

Everything goes to a hidden temporary name in the same folder and is renamed
over the target with `os.replace`, which is atomic on POSIX and Windows. A
folder replaces an old one by an atomic exchange of the two (Linux'
`renameat2(RENAME_EXCHANGE)`); where that is unavailable, by two renames, and
a process killed between them leaves the old copy under a hidden name that
the next write to the same folder puts back.

Temporary names carry the host and process id of their writer
(`.NAME.rnnzoo-tmp-HOST-PID-XXXXXXXX`): every write first removes the ones of
processes on this host that no longer exist, which a SIGKILL leaves behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

# mkstemp/mkdtemp create owner-only (0600/0700) entries; the renamed result gets the permissions a plain
# open() or mkdir() would give it. The umask is read once, at import (os.umask can only be read by setting it).
_UMASK = os.umask(0o022)
os.umask(_UMASK)

# The writer of a temporary, in its name: only "-" separates the fields, so the host keeps [A-Za-z0-9_].
_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:40]
TEMPORARY = "tmp"  # a file or folder being written
OLD = "old"        # a folder's previous copy, between the two renames of a replacement
_OURS = re.compile(r"\.(?P<name>.+)\.rnnzoo-(?P<kind>tmp|old)-(?P<host>[A-Za-z0-9_]*)-(?P<pid>\d+)-.*")


def _prefix(path: Path, kind: str) -> str:
    return f".{path.name}.rnnzoo-{kind}-{_HOST}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    """Whether process `pid` of this host may still be writing; when in doubt, yes (its files stay)."""
    if pid == os.getpid() or os.name == "nt":  # on Windows signal 0 is CTRL_C_EVENT, not a probe
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process
        return True
    return True


def clean_stale(folder: str | os.PathLike) -> None:
    """Removes the temporaries that killed processes of this host left in `folder`, and puts back a folder that
    a kill between the two renames of `atomic_directory` left missing."""
    folder = Path(folder)
    try:
        entries = [entry.name for entry in os.scandir(folder) if entry.name.startswith(".")]
    except OSError:  # not there yet, or unreadable: nothing of ours to clean
        return
    for entry in entries:
        match = _OURS.fullmatch(entry)
        if match is None or match["host"] != _HOST or _alive(int(match["pid"])):
            continue
        stale, target = folder / entry, folder / match["name"]
        if match["kind"] == OLD and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.replace(stale, target)  # the replacement never happened: the old copy is the folder again
                continue
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                stale.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = "") -> Iterator[Path]:
    """Yields a temporary file path next to `path`; renames it over `path` if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path.parent)
    handle, temporary = tempfile.mkstemp(prefix=_prefix(path, TEMPORARY), suffix=suffix or path.suffix, dir=path.parent)
    os.close(handle)
    temporary = Path(temporary)
    os.chmod(temporary, 0o666 & ~_UMASK)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def _exchange(first: Path, second: Path) -> bool:
    """Swaps two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2  # glibc >= 2.28
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    # Any failure (a file system without it: EINVAL; an old kernel: ENOSYS) falls back to two renames.
    return renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary folder next to `path`; on success it replaces `path` (an old one is removed after).

    `path` names the old folder or the new one at every instant where the system can exchange two
    folders atomically (Linux); elsewhere a kill between two renames leaves it missing until the next
    write to the same parent folder puts the old one back (`clean_stale`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path.parent)
    temporary = Path(tempfile.mkdtemp(prefix=_prefix(path, TEMPORARY), dir=path.parent))
    os.chmod(temporary, 0o777 & ~_UMASK)
    try:
        yield temporary
        if not os.path.lexists(path):
            os.replace(temporary, path)
        elif not _exchange(temporary, path):  # after an exchange, `temporary` holds the old copy: removed below
            old = path.parent / (_prefix(path, OLD) + secrets.token_hex(4))
            os.replace(path, old)
            os.replace(temporary, path)  # a kill before this line: clean_stale puts `old` back
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
