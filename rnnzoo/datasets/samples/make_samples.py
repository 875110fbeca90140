"""Rebuilds the small real samples shipped in this folder from the publishers' files.

    python -m rnnzoo.datasets.samples.make_samples PATH/TO/aclImdb.tar.gz

imdb_sample.tar.gz: 4,000 training and 1,000 test reviews drawn at random
(seed 0, half positive, half negative) from the Large Movie Review Dataset
v1.0, in the publisher's layout (aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt),
so the sample goes through exactly the loader a full archive does.
"""

from __future__ import annotations

import io
import random
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
COUNTS = {"train": 2000, "test": 500}  # per label


def make_imdb_sample(archive: Path, out: Path = HERE / "imdb_sample.tar.gz") -> None:
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".txt")]
        chosen = []
        rng = random.Random(0)
        for split, count in COUNTS.items():
            for label in ("pos", "neg"):
                group = sorted(m.name for m in members if m.name.startswith(f"aclImdb/{split}/{label}/"))
                chosen += rng.sample(group, count)
        with tarfile.open(out, "w:gz") as sample:
            for name in sorted(chosen):
                data = tar.extractfile(name).read()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = 0
                sample.addfile(info, io.BytesIO(data))
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(chosen)} reviews)")


if __name__ == "__main__":
    make_imdb_sample(Path(sys.argv[1]))
