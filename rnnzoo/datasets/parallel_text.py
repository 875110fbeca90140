"""Parallel text: Multi30k (a local folder) or any pair of line-aligned files.

Multi30k task 1 (Elliott et al., 2016) ships as `{train,val,test_2016_flickr}.{de,en}.gz`,
one caption a line, line i of one language translating line i of the other.
Sources, in order: an explicit `data_dir` (that folder or its parent), then
`$RNNZOO_DATA_DIR/multi30k`; `data_dir="sample"` reads the 2,000-pair sample
shipped in the package in the same layout. There is no download route.

A pair of files (`source_file`, `target_file`) is split into test,
validation and train by a seeded shuffle, so the splits never share a line.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from rnnzoo.datasets import sources
from rnnzoo.datasets.base import carve, check_split, not_found, note_unset_data_dir
from rnnzoo.errors import DataError

MULTI30K_FILES = {"train": "train", "validation": "val", "test": "test_2016_flickr"}
NAMES = ("multi30k",)


def read_lines(path: Path) -> list[str]:
    """Stripped lines of a UTF-8 text file, gzip-compressed or not (bad bytes replaced)."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DataError(f"File not found: {path}") from None
    except IsADirectoryError:
        raise DataError(f"Expected a text file, found a folder: {path}") from None
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: not a readable gzip file ({err})") from None
    return [line.strip() for line in raw.decode("utf-8", errors="replace").splitlines()]


def aligned(source_path: Path, target_path: Path) -> tuple[list[str], list[str]]:
    source, target = read_lines(source_path), read_lines(target_path)
    if len(source) != len(target):
        raise DataError(f"Parallel files must have the same number of lines. Received: {source_path} has "
                        f"{len(source):,} lines, {target_path} has {len(target):,}")
    if not source:
        raise DataError(f"Parallel files are empty: {source_path}, {target_path}")
    return source, target


def _split_file(root: Path, split: str, language: str) -> Path | None:
    stem = root / f"{MULTI30K_FILES[split]}.{language}"
    for path in (stem.with_name(stem.name + ".gz"), stem):
        if path.is_file():
            return path
    return None


def find_root(path: Path, source_language: str, target_language: str) -> Path | None:
    """The folder holding the train files of both languages, given it or its parent (or a sample archive)."""
    if sources.is_tar_archive(path):
        path = sources.extracted(path)
    for root in (path, path / "multi30k"):
        if all(_split_file(root, "train", lang) for lang in (source_language, target_language)):
            return root
    return None


def load_multi30k(split: str, *, data_dir=None, source_language: str = "de",
                  target_language: str = "en") -> tuple[list[str], list[str], str]:
    """Source sentences, target sentences and origin of `train`, `validation` or `test` (test 2016 Flickr)."""
    check_split(split)
    if data_dir is not None and str(data_dir) == sources.SAMPLE:
        located = [("sample", sources.sample_path("multi30k_sample.tar.gz"))]
    else:
        located = sources.candidates(data_dir, NAMES)
    tried = []
    for origin, path in located:
        root = find_root(path, source_language, target_language) if path.exists() else None
        if root is None:
            tried.append(f"{path} ({'missing' if not path.exists() else 'no train.' + source_language + '.gz and train.' + target_language + '.gz'})")
            continue
        files = [_split_file(root, split, lang) for lang in (source_language, target_language)]
        if None in files:
            raise DataError(f"{root}: missing {MULTI30K_FILES[split]}.{source_language}.gz or "
                            f"{MULTI30K_FILES[split]}.{target_language}.gz")
        return (*aligned(*files), "sample" if origin == "sample" else str(path))
    note_unset_data_dir(tried, data_dir)
    raise not_found("Multi30k", tried, "Pass --data-dir with the folder of {train,val,test_2016_flickr}.{de,en}.gz, "
                    "set $RNNZOO_DATA_DIR, or use --data sample.")


def load_parallel_files(split: str, *, source_file: str = "", target_file: str = "", seed: int = 1337,
                        validation_fraction: float = 0.1,
                        test_fraction: float = 0.1) -> tuple[list[str], list[str], str]:
    """One split of a pair of line-aligned files, carved by a seeded shuffle."""
    check_split(split)
    if not source_file or not target_file:
        raise DataError("The parallel data set needs both files: pass --src FILE --tgt FILE "
                        f"(source_file and target_file). Received: source_file={source_file!r}, target_file={target_file!r}")
    source, target = aligned(Path(source_file).expanduser(), Path(target_file).expanduser())
    chosen = carve(len(source), split, seed=seed, validation_fraction=validation_fraction, test_fraction=test_fraction)
    return [source[i] for i in chosen], [target[i] for i in chosen], f"{source_file} | {target_file}"
