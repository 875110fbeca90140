"""Errors rnnzoo raises for bad input.

Every user-facing mistake (an unknown name, a bad config value, a missing or
malformed file) raises one of these with a one-line message that names what
was wrong and what was expected. The CLI turns them into exit status 2.
"""


# Messages quote user input (keys, values, file contents); control characters in it are escaped
# so that every message stays one line on a terminal.
_ESCAPES = {code: repr(chr(code))[1:-1] for code in (*range(32), 127)}


class RnnzooError(ValueError):
    """Bad input: a name, config value, file or argument rnnzoo cannot use."""

    def __str__(self) -> str:
        return super().__str__().translate(_ESCAPES)


class ConfigError(RnnzooError):
    """A named model, config file or override is unknown or invalid."""


class DataError(RnnzooError):
    """A data set or input file is missing, malformed or empty."""


class RunFolderError(RnnzooError):
    """A run folder lacks a file that the command needs."""
