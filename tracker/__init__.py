"""The tracker engine: dates, reducers, ledgers, the SQLite store, projections and queries.

Library first: open a `Store`, `load` ledgers into it, and ask `state`, `who`, `first` and
`history`. The `tracker` command is a thin layer over these functions.
"""

from .dates import DateError, Window
from .entities import Entity
from .errors import LedgerError, TrackerError
from .loading import load
from .query import FirstResult, HistoryEntry, StateResult, WhoResult, first, history, state, who
from .state import DIMENSIONS, Answer
from .store import AppendReport, Store

__all__ = [
    "DIMENSIONS",
    "Answer",
    "AppendReport",
    "DateError",
    "Entity",
    "FirstResult",
    "HistoryEntry",
    "LedgerError",
    "StateResult",
    "Store",
    "TrackerError",
    "WhoResult",
    "Window",
    "first",
    "history",
    "load",
    "state",
    "who",
]
