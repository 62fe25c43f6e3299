"""The errors a user can cause: each prints as one line, with no traceback."""

from __future__ import annotations


class TrackerError(Exception):
    """A problem with the user's input or request; its message is one line."""


class LedgerError(TrackerError):
    """A ledger or scenario file that cannot be loaded: names the file, the line, the reason."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")
