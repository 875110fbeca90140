"""Seq2seq data: seeded generators with disjoint splits, Multi30k and parallel files, vocabularies."""

import gzip
import re

import pytest

from rnnzoo import DataError, datasets
from rnnzoo.preprocessing.vocabulary import END, PAD, START, UNKNOWN, Vocabulary, tokenize


@pytest.mark.parametrize("task", ["addition", "dates"])
def test_generators_are_reproducible_by_seed_and_splits_disjoint(task):
    splits = {s: datasets.load_examples(task, s, num_examples=2000, seed=7) for s in ("train", "validation", "test")}
    again = datasets.load_examples(task, "train", num_examples=2000, seed=7)
    assert splits["train"] == again
    assert datasets.load_examples(task, "train", num_examples=2000, seed=8)[0] != again[0]
    assert [len(splits[s][0]) for s in ("train", "validation", "test")] == [1600, 200, 200]
    seen = [set(zip(*splits[s][:2])) for s in splits]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])


def test_addition_examples_are_correct_sums():
    sources, targets, _ = datasets.load_examples("addition", "test", num_examples=500, digits=3)
    for source, target in zip(sources, targets):
        a, b = source.split("+")
        assert int(a) + int(b) == int(target) and len(a) <= 3 and len(b) <= 3


def test_dates_map_many_formats_to_iso():
    sources, targets, _ = datasets.load_examples("dates", "train", num_examples=3000)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", t) for t in targets)
    assert len({re.sub(r"[a-z]+", "w", re.sub(r"\d", "9", s)) for s in sources}) >= 8  # many shapes of input
    for source, target in zip(sources, targets):
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d", source):  # US month/day/two-digit year
            month, day, year = source.split("/")
            assert target[5:] == f"{int(month):02d}-{int(day):02d}" and target[2:4] == year


def test_too_many_synthetic_examples_is_a_clear_error():
    with pytest.raises(DataError, match="`data.num_examples` must be at most half"):
        datasets.load_examples("addition", "train", num_examples=10_000, digits=2)


def test_multi30k_sample_loads_in_the_publishers_layout():
    sources, targets, origin = datasets.load_examples("multi30k", "train", data_dir="sample")
    assert origin == "sample" and len(sources) == len(targets) == 2000
    test_sources, _, _ = datasets.load_examples("multi30k", "test", data_dir="sample")
    assert len(test_sources) == 200
    english, german, _ = datasets.load_examples("multi30k", "validation", data_dir="sample",
                                                source_language="en", target_language="de")
    assert len(english) == 200 and english[0] != german[0]


def test_multi30k_missing_says_what_was_tried(tmp_path):
    with pytest.raises(DataError, match=r"Multi30k not found\. Tried: .*--data-dir"):
        datasets.load_examples("multi30k", "train", data_dir=tmp_path)


def write_pair(folder, source_lines, target_lines):
    (folder / "src.txt").write_text("\n".join(source_lines) + "\n", encoding="utf-8")
    with gzip.open(folder / "tgt.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(target_lines) + "\n")
    return str(folder / "src.txt"), str(folder / "tgt.txt.gz")


def test_parallel_files_split_by_seed_without_sharing_a_line(tmp_path):
    src, tgt = write_pair(tmp_path, [f"s{i}" for i in range(100)], [f"t{i}" for i in range(100)])
    parts = {s: datasets.load_examples("parallel", s, source_file=src, target_file=tgt, seed=1)
             for s in ("train", "validation", "test")}
    assert [len(parts[s][0]) for s in parts] == [80, 10, 10]
    assert all(t == "t" + s[1:] for part in parts.values() for s, t in zip(part[0], part[1]))
    assert len({s for part in parts.values() for s in part[0]}) == 100


def test_parallel_files_of_different_lengths_are_rejected(tmp_path):
    src, tgt = write_pair(tmp_path, ["a", "b", "c"], ["x", "y"])
    with pytest.raises(DataError, match="same number of lines.*3 lines.*has 2"):
        datasets.load_examples("parallel", "train", source_file=src, target_file=tgt)


def test_parallel_needs_both_files():
    with pytest.raises(DataError, match="--src FILE --tgt FILE"):
        datasets.load_examples("parallel", "train", source_file="a.txt")


def test_vocabulary_has_fixed_special_ids_and_maps_unseen_tokens_to_unknown():
    vocabulary = Vocabulary.build([tokenize("A man, a dog.", "words"), tokenize("a cat", "words")], max_size=6)
    assert vocabulary.tokens[:4] == ["", "[UNK]", "<start>", "<end>"] and (PAD, UNKNOWN, START, END) == (0, 1, 2, 3)
    assert vocabulary.tokens[4] == "a" and len(vocabulary) == 6
    assert vocabulary.encode(["a", "zebra"]) == [4, UNKNOWN]
    assert vocabulary.decode([START, 4, 5, END, 4]) == ["a", vocabulary.tokens[5]]
    assert Vocabulary.build([["x", "y", "y"]], max_size=10, min_frequency=2).tokens[4:] == ["y"]


def test_splits_are_drawn_from_the_same_distribution():
    """Short sums (both numbers < 10) are as common in test as in train, not used up before train is cut."""
    def short_share(split):
        sources = datasets.load_examples("addition", split, num_examples=2000, digits=3)[0]
        return sum(all(len(n) == 1 for n in s.split("+")) for s in sources) / len(sources)

    assert abs(short_share("test") - short_share("train")) < 0.05  # 0.109 in drawing order, 0.023 shuffled
