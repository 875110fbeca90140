"""Rebuilds the small real samples shipped in this folder from the publishers' files.

    python -m rnnzoo.datasets.samples.make_samples PATH/TO/aclImdb.tar.gz
    python -m rnnzoo.datasets.samples.make_samples PATH/TO/multi30k/
    python -m rnnzoo.datasets.samples.make_samples PATH/TO/tinyshakespeare.txt

imdb_sample.tar.gz: 4,000 training and 1,000 test reviews drawn at random
(seed 0, half positive, half negative) from the Large Movie Review Dataset
v1.0, in the publisher's layout (aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt),
so the sample goes through exactly the loader a full archive does.

multi30k_sample.tar.gz: 2,000 train, 200 val and 200 test_2016_flickr
German-English pairs of Multi30k task 1, lines drawn at random (seed 0, kept
in their original order), as multi30k/{train,val,test_2016_flickr}.{de,en}.gz.

tiny_shakespeare_sample.txt: the first 100,000 characters of Tiny Shakespeare
(the char-rnn corpus), cut back to the end of a line.
"""

from __future__ import annotations

import gzip
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


MULTI30K_COUNTS = {"train": 2000, "val": 200, "test_2016_flickr": 200}


def make_multi30k_sample(folder: Path, out: Path = HERE / "multi30k_sample.tar.gz") -> None:
    rng = random.Random(0)
    with tarfile.open(out, "w:gz") as sample:
        for split, count in MULTI30K_COUNTS.items():
            lines = {lang: gzip.decompress((folder / f"{split}.{lang}.gz").read_bytes()).decode("utf-8").splitlines()
                     for lang in ("de", "en")}
            chosen = sorted(rng.sample(range(len(lines["de"])), count))
            for lang in ("de", "en"):
                text = "".join(lines[lang][i] + "\n" for i in chosen).encode("utf-8")
                data = gzip.compress(text, mtime=0)
                info = tarfile.TarInfo(f"multi30k/{split}.{lang}.gz")
                info.size = len(data)
                info.mtime = 0
                sample.addfile(info, io.BytesIO(data))
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")


def make_tiny_shakespeare_sample(corpus: Path, out: Path = HERE / "tiny_shakespeare_sample.txt",
                                 characters: int = 100_000) -> None:
    text = corpus.read_text(encoding="utf-8")[:characters]
    text = text[: text.rindex("\n") + 1]
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text):,} characters)")


if __name__ == "__main__":
    source = Path(sys.argv[1])
    if source.is_dir():
        make_multi30k_sample(source)
    elif source.suffix == ".txt":
        make_tiny_shakespeare_sample(source)
    else:
        make_imdb_sample(source)
