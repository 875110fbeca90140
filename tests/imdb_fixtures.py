"""Tiny IMDB-layout data sets the tests make: a folder and a .tar.gz in the publisher's layout."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

POSITIVE = ["a wonderful moving film great acting", "brilliant and beautiful i loved it", "great story great cast",
            "superb direction wonderful music", "an excellent heartfelt movie", "loved every minute brilliant"]
NEGATIVE = ["a terrible boring film awful acting", "dull and stupid i hated it", "awful story bad cast",
            "boring direction terrible music", "a dreadful pointless movie", "hated every minute awful"]


def write_acl_imdb(root: Path, copies: int = 3) -> Path:
    """root/aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt with a few short reviews each."""
    for split in ("train", "test"):
        for label, texts, rating in (("pos", POSITIVE, 9), ("neg", NEGATIVE, 2)):
            folder = root / "aclImdb" / split / label
            folder.mkdir(parents=True, exist_ok=True)
            for copy in range(copies if split == "train" else 1):
                for index, text in enumerate(texts):
                    (folder / f"{copy * 100 + index}_{rating}.txt").write_text(f"{text}<br /><br />{text}.")
    return root / "aclImdb"


def tar_folder(folder: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def malicious_archive(path: Path, kind: str) -> Path:
    """A .tar.gz with one unsafe member: '../' escape, absolute path, symlink or hard link."""
    with tarfile.open(path, "w:gz") as tar:
        def add_file(name, data=b"x"):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add_file("aclImdb/train/pos/0_9.txt")
        if kind == "dotdot":
            add_file("aclImdb/../../escaped.txt")
        elif kind == "absolute":
            add_file("/tmp/rnnzoo_absolute_escape.txt")
        elif kind in ("symlink", "hardlink"):
            info = tarfile.TarInfo("aclImdb/train/pos/link.txt")
            info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
        elif kind == "device":
            info = tarfile.TarInfo("aclImdb/dev")
            info.type = tarfile.CHRTYPE
            tar.addfile(info)
    return path
