"""One exception type per kind of user mistake; the CLI turns each into one line naming the file."""
from __future__ import annotations


class DedupError(Exception):
    """Base: a problem with the user's input or options, never a bug."""


class InputError(DedupError):
    """An input file cannot be used (missing, unreadable, binary, too large, malformed)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return InputError, (self.path, self.reason)


class OutputError(DedupError):
    """The output location is unsafe or unwritable (inside an input folder, over an input file)."""


class UsageError(DedupError):
    """An option or combination of options that cannot work (a NaN threshold, a size of 0)."""
