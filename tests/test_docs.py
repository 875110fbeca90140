"""The README's model table is the zoo: one row per TOML file in zoo_configs/, rendered from the configs.

On a mismatch the message prints the table to paste into README.md.
"""

import re
from pathlib import Path

import rnnzoo
from rnnzoo.config import load_config
from rnnzoo.tasks import task_class

ROOT = Path(__file__).resolve().parents[1]
IO_NAMES = {"many_to_one": "many-to-one", "aligned": "many-to-many, aligned", "one_to_many": "one-to-many",
            "seq2seq": "seq2seq"}


def model_table() -> str:
    rows = ["| name | I/O | task (data set) | what it is | exported SavedModel |", "|---|---|---|---|---|"]
    for name in rnnzoo.list_models():
        cfg = load_config(name)
        description = re.sub(r"\s*\((many-to-one|many-to-many aligned|one-to-many|seq2seq)[^)]*\)\.?$", ".",
                             cfg.description)
        rows.append(f"| `{name}` | {IO_NAMES[cfg.io]} | {cfg.task} ({cfg.data.dataset}) | {description} | "
                    f"{task_class(cfg).serves} |")
    return "\n".join(rows) + "\n"


def test_the_readme_model_table_is_generated_from_zoo_configs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = model_table()
    assert table in readme, "README.md's model table is out of date; paste this one:\n\n" + table


def test_the_readme_stays_a_short_guide_without_development_paths():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count("\n") <= 220
    assert "../shared" not in readme
    for page in (ROOT / "docs").rglob("*.md"):
        assert "../shared" not in page.read_text(encoding="utf-8"), page
