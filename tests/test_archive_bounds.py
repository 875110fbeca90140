"""Archives are refused before extraction when they unpack to too much (issue 16, point 6), leaving nothing behind."""

import io
import tarfile

import pytest

from rnnzoo import DataError
from rnnzoo.datasets import sources


def archive_of(path, members: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_member_over_the_cap_is_refused_and_nothing_is_extracted(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 1_000)
    archive = archive_of(tmp_path / "big.tar.gz", {"aclImdb/README": b"x" * 10, "aclImdb/train/pos/1_9.txt": b"y" * 5_000})
    target = tmp_path / "cache" / "big"
    with pytest.raises(DataError, match=r"big.tar.gz: refusing archive member 'aclImdb/train/pos/1_9.txt' of 5,000 "
                                        r"bytes; members of at most 1,000 bytes are expected"):
        sources.safe_extract(archive, target, progress=False)
    assert not target.parent.exists() or not any(target.parent.iterdir())


def test_a_compression_bomb_is_refused(tmp_path):
    # 2 MB of zeros gzip to a few KB: a ratio no text data set has.
    archive = archive_of(tmp_path / "bomb.tar.gz", {"aclImdb/train/pos/1_9.txt": bytes(2_000_000)})
    target = tmp_path / "cache" / "bomb"
    with pytest.raises(DataError, match=r"bomb.tar.gz: refusing an archive that unpacks to [\d,]+ times its size"):
        sources.safe_extract(archive, target, progress=False)
    assert not target.parent.exists() or not any(target.parent.iterdir())


def test_the_total_size_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_TOTAL_BYTES", 100)
    archive = archive_of(tmp_path / "many.tar.gz", {f"d/{i}.txt": bytes([65 + i]) * 60 for i in range(3)})
    with pytest.raises(DataError, match=r"many.tar.gz: refusing an archive that unpacks to 180 bytes; at most 100"):
        sources.safe_extract(archive, tmp_path / "out", progress=False)


def test_ordinary_text_archives_extract(tmp_path):
    archive = archive_of(tmp_path / "ok.tar.gz", {"d/a.txt": "a review, not very compressible: ".encode() + bytes(range(256))})
    out = sources.safe_extract(archive, tmp_path / "out", progress=False)
    assert (out / "d" / "a.txt").read_bytes().startswith(b"a review")
