"""Where data comes from: explicit paths, RNNZOO_DATA_DIR, packaged samples, safe archive extraction.

Every loader resolves, in order: an explicit `data_dir` (a folder or the
publisher's archive), then `$RNNZOO_DATA_DIR`, then its standard download
route. Archives are extracted once into a cache (`$RNNZOO_CACHE_DIR`, else
`~/.cache/rnnzoo`), through a check that refuses absolute paths, `..`,
links and device files, and into a temporary folder renamed on success, so
an interrupted extraction never leaves a half-filled cache entry.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import zlib
from importlib import resources
from pathlib import Path, PurePosixPath

from rnnzoo.errors import DataError

DATA_DIR_ENV = "RNNZOO_DATA_DIR"
CACHE_DIR_ENV = "RNNZOO_CACHE_DIR"
OFFLINE_ENV = "RNNZOO_OFFLINE"
SAMPLE = "sample"  # data_dir value (CLI: --data sample) that selects the packaged sample


def downloads_allowed(download: bool | None) -> bool:
    """Downloads happen unless switched off by argument or by RNNZOO_OFFLINE=1."""
    if download is not None:
        return download
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("1", "true", "yes")


def from_tfds(read, name: str, download: bool | None, tried: list[str]):
    """`(read(download=...), origin)` from tensorflow-datasets, or None with each failure appended to `tried`.

    Prepared data first (`download=False`, fails fast offline), then a
    download only when allowed (`downloads_allowed`).
    """
    try:
        return read(download=False), "tensorflow_datasets"
    except Exception as err:  # noqa: BLE001 - any tfds failure means "not prepared"
        tried.append(f"tensorflow_datasets {name}, prepared ({type(err).__name__})")
    if not downloads_allowed(download):
        tried.append("download (switched off)")
        return None
    try:
        return read(download=True), "tensorflow_datasets (downloaded)"
    except Exception as err:  # noqa: BLE001
        tried.append(f"tensorflow_datasets {name}, download ({type(err).__name__}: {err})".splitlines()[0])
    return None


def sample_path(filename: str) -> Path:
    """The path of a sample file shipped inside the package."""
    entry = resources.files("rnnzoo.datasets").joinpath("samples", filename)
    path = Path(str(entry))
    if not path.is_file():
        raise DataError(f"The packaged sample {filename} is missing from {path.parent}; reinstall rnnzoo.")
    return path


def explicit_path(data_dir: str | os.PathLike | None) -> Path | None:
    """The path the user gave, which must exist: a typo is an error at once, never a fallback to a download.

    `"sample"` passes unchecked: a loader without a packaged sample reports it among the paths it tried.
    """
    if data_dir is None:
        return None
    path = Path(data_dir).expanduser()
    if not path.exists() and str(data_dir) != SAMPLE:
        raise DataError(f"The data path does not exist: {path} (nothing is downloaded in its place). "
                        f"Received: data_dir={str(data_dir)!r}")
    return path


def candidates(data_dir: str | os.PathLike | None, names: tuple[str, ...]) -> list[tuple[str, Path]]:
    """(origin, path) pairs to try, explicit path first (`explicit_path`: it must exist), then under $RNNZOO_DATA_DIR."""
    found = []
    root = explicit_path(data_dir)
    if root is not None:
        found.append(("data_dir", root))
        found += [("data_dir", root / name) for name in names]
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        root = Path(env).expanduser()
        found += [(f"${DATA_DIR_ENV}", root / name) for name in names]
    return found


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "rnnzoo")


def is_tar_archive(path: Path) -> bool:
    return path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar"))


def check_member(member: tarfile.TarInfo, archive: Path) -> None:
    """Refuses a member that could write outside the target or create something other than files and folders."""
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise DataError(f"{archive}: refusing unsafe archive member {name!r} (absolute path or '..')")
    if not (member.isfile() or member.isdir()):
        kind = "link" if member.issym() or member.islnk() else "device or special file"
        raise DataError(f"{archive}: refusing archive member {name!r}: a {kind}, only files and folders are allowed")


# Bounds on what an archive may unpack to, checked on the members' declared sizes before anything is written.
# The data sets rnnzoo reads are far below them (IMDB: 50,000 files of a few KB, ~130 MB in all, ratio ~5);
# a crafted archive (a few MB of gzip holding GBs of zeros) is refused instead of filling the disk and memory.
MAX_MEMBER_BYTES = 256 * 2**20
MAX_TOTAL_BYTES = 4 * 2**30
MAX_COMPRESSION_RATIO = 100


def check_sizes(members: list[tarfile.TarInfo], archive: Path) -> None:
    """Refuses an archive whose members are too large, in all or one by one, or compressed too well to be data."""
    largest = max(members, key=lambda m: m.size, default=None)
    if largest is not None and largest.size > MAX_MEMBER_BYTES:
        raise DataError(f"{archive}: refusing archive member {largest.name!r} of {largest.size:,} bytes; members of "
                        f"at most {MAX_MEMBER_BYTES:,} bytes are expected")
    total = sum(m.size for m in members)
    if total > MAX_TOTAL_BYTES:
        raise DataError(f"{archive}: refusing an archive that unpacks to {total:,} bytes; at most "
                        f"{MAX_TOTAL_BYTES:,} bytes are expected")
    ratio = total / max(archive.stat().st_size, 1)
    if ratio > MAX_COMPRESSION_RATIO:
        raise DataError(f"{archive}: refusing an archive that unpacks to {ratio:,.0f} times its size (a compression "
                        f"bomb?); text data compresses at most {MAX_COMPRESSION_RATIO} times")


def safe_extract(archive: Path, target: Path, progress: bool = True) -> Path:
    """Extracts a tar archive into `target` (created atomically) after checking every member and the sizes."""
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                check_member(member, archive)
            check_sizes(members, archive)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            try:
                if progress:
                    print(f"rnnzoo: extracting {len(members):,} members of {archive} to {target}", file=sys.stderr)
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(staging, members=members, **extra)
                os.replace(staging, target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
    except (tarfile.TarError, EOFError, zlib.error, UnicodeDecodeError) as err:
        raise DataError(f"{archive}: not a readable tar archive ({type(err).__name__}: {err})") from None
    return target


def extracted(archive: Path) -> Path:
    """The folder an archive extracts to, extracting it into the cache the first time only."""
    stat = archive.stat()
    key = hashlib.sha256(f"{archive.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    target = cache_dir() / "extracted" / f"{archive.name.split('.')[0]}-{key}"
    if target.is_dir():
        return target
    return safe_extract(archive, target)
