"""What to say about an unrecognized flag: `--lr 0.01` names the config field learning_rate, which `--set` changes."""

from __future__ import annotations

import difflib

from rnnzoo.config import FIELD_SECTION


def config_fields(flag: str) -> list[str]:
    """Config fields a flag names: by name (`--units`), by initials (`--lr`: learning_rate) or by a close spelling."""
    key = flag.lstrip("-").partition("=")[0].replace("-", "_").lower()
    if key in FIELD_SECTION:
        return [key]
    by_initials = [f for f in FIELD_SECTION if "_" in f and "".join(word[0] for word in f.split("_")) == key]
    return by_initials or difflib.get_close_matches(key, list(FIELD_SECTION), n=2, cutoff=0.8)


def unrecognized_message(extra: list[str], *, takes_set: bool) -> str:
    """argparse's message, plus the `--set` to use when the command takes `--set` and a flag names a config field."""
    message = f"unrecognized arguments: {' '.join(extra)}"
    for index, token in enumerate(extra if takes_set else []):
        fields = config_fields(token) if token.startswith("--") else []
        if fields:
            _, equals, value = token.partition("=")
            if not equals:
                following = extra[index + 1] if index + 1 < len(extra) else ""
                value = following if following and not following.startswith("--") else "VALUE"
            return f"{message} (a config field is changed with {' or '.join(f'--set {f}={value}' for f in fields)})"
    return message
