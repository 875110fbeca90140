"""Flickr8k / Flickr30k layout: an image folder and a captions file, for users' own captioning data.

A data folder holds one captions file, either

- `captions.txt`: CSV with a header line `image,caption` (the Kaggle Flickr8k layout), or
- `Flickr8k.token.txt` / `results_20130124.token` (Flickr30k): lines `name.jpg#0<TAB>caption`,

and the images, in `Images/`, `Flicker8k_Dataset/` (the original archive's
spelling), `Flickr8k_Dataset/`, `flickr30k_images/` or the folder itself.
Images are decoded and resized to the model's side (`rnnzoo.datasets.images`).
The images (not the captions) are split into test, validation and train by a
seeded shuffle, so no image is in two splits; each keeps all its captions as
references.
"""

from __future__ import annotations

import csv
import functools
import io
import sys
from pathlib import Path

import numpy as np

from rnnzoo.datasets.images import read_image
from rnnzoo.datasets.sources import candidates
from rnnzoo.datasets.base import check_split, split_ranges
from rnnzoo.errors import DataError

CAPTION_FILES = ("captions.txt", "Flickr8k.token.txt", "results_20130124.token")
IMAGE_FOLDERS = ("Images", "Flicker8k_Dataset", "Flickr8k_Dataset", "flickr30k_images", ".")


def read_captions(path: Path) -> dict[str, list[str]]:
    """Image name -> its captions, in file order; malformed lines are errors with their line number."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    captions: dict[str, list[str]] = {}
    if path.name == "captions.txt":
        rows = csv.reader(io.StringIO(text))
        header = next(rows, None)
        if header is None or [h.strip().lower() for h in header[:2]] != ["image", "caption"]:
            raise DataError(f"{path}: line 1 must be the CSV header 'image,caption'. Received: {header!r}")
        for row in rows:
            line = rows.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) < 2 or not row[0].strip() or not ",".join(row[1:]).strip():
                raise DataError(f"{path}, line {line}: expected 'image,caption'. Received: {','.join(row)!r}")
            captions.setdefault(row[0].strip(), []).append(",".join(row[1:]).strip())
    else:
        for line, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            name, tab, sentence = raw.partition("\t")
            image = name.split("#")[0].strip()
            if not tab or not image or not sentence.strip():
                raise DataError(f"{path}, line {line}: expected 'name.jpg#N<TAB>caption'. Received: {raw[:80]!r}")
            captions.setdefault(image, []).append(sentence.strip())
    if not captions:
        raise DataError(f"{path}: no captions (the file is empty)")
    return captions


def locate(data_dir) -> tuple[Path, Path]:
    """(captions file, image folder) from `data_dir` or `$RNNZOO_DATA_DIR/flickr8k|flickr30k`."""
    tried = []
    for _, root in candidates(data_dir, ("flickr8k", "flickr30k")):
        for name in CAPTION_FILES:
            captions = root / name
            tried.append(str(captions))
            if captions.is_file():
                return captions, root
    if not tried:
        raise DataError("The flickr data set needs a folder: pass --data-dir PATH (or data_dir=PATH) holding "
                        f"{' or '.join(CAPTION_FILES)} and the images, or set $RNNZOO_DATA_DIR.")
    raise DataError(f"No captions file found; tried: {', '.join(tried)}")


def image_folder(root: Path, first_image: str) -> Path:
    for name in IMAGE_FOLDERS:
        folder = root / name
        if (folder / first_image).is_file():
            return folder
    raise DataError(f"Image {first_image!r} (the captions file's first) is in none of "
                    f"{', '.join(str(root / n) for n in IMAGE_FOLDERS)}")


@functools.lru_cache(maxsize=2)
def _load_all(root: str, captions_file: str, image_size: int, channels: int, seed: int,
              validation_fraction: float, test_fraction: float):
    captions = read_captions(Path(captions_file))
    names = sorted(captions)
    folder = image_folder(Path(root), names[0])
    print(f"rnnzoo: decoding {len(names):,} images from {folder}", file=sys.stderr)
    images = np.stack([read_image(folder / name, image_size, channels) for name in names])
    order = np.random.default_rng(seed).permutation(len(names))
    ranges = split_ranges(len(names), validation_fraction, test_fraction)
    return images, names, captions, order, ranges


def load_flickr(split: str, *, data_dir=None, image_size: int = 32, image_channels: int = 3, seed: int = 1337,
                validation_fraction: float = 0.1, test_fraction: float = 0.1):
    """Images (n, size, size, channels) uint8, captions (a list of references per image) and origin of one split.

    The images are kept in the permutation's order (not sorted back into file order).
    """
    check_split(split)
    captions_file, root = locate(data_dir)
    images, names, captions, order, ranges = _load_all(str(root), str(captions_file), image_size, image_channels,
                                                       seed, validation_fraction, test_fraction)
    start, stop = ranges[split]
    chosen = order[start:stop]
    return images[chosen], [captions[names[i]] for i in chosen], str(root)
