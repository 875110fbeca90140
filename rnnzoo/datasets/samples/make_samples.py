"""Rebuilds the small real samples shipped in this folder from the publishers' files.

    python -m rnnzoo.datasets.samples.make_samples PATH/TO/aclImdb.tar.gz
    python -m rnnzoo.datasets.samples.make_samples PATH/TO/tinyshakespeare.txt

imdb_sample.tar.gz: 1,200 training and 400 test reviews drawn at random
(seed 0, half positive, half negative) from the Large Movie Review Dataset
v1.0, in the publisher's layout (aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt),
so the sample goes through exactly the loader a full archive does.

tiny_shakespeare_sample.txt: the first 100,000 characters of Tiny Shakespeare
(the char-rnn corpus), cut back to the end of a line.
"""

from __future__ import annotations

import io
import random
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
COUNTS = {"train": 600, "test": 200}  # per label


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


def make_tiny_shakespeare_sample(corpus: Path, out: Path = HERE / "tiny_shakespeare_sample.txt",
                                 characters: int = 100_000) -> None:
    text = corpus.read_text(encoding="utf-8")[:characters]
    text = text[: text.rindex("\n") + 1]
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text):,} characters)")


if __name__ == "__main__":
    source = Path(sys.argv[1])
    if source.suffix == ".txt":
        make_tiny_shakespeare_sample(source)
    else:
        make_imdb_sample(source)
