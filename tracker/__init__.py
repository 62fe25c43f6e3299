"""The tracker engine: dates, reducers, ledgers, the SQLite store, projections and queries.

Library first: `tracker.open()` a store (created and seeded from the bundled ledgers when new,
as the command does), `load` ledgers into it, and ask `state`, `who`, `first`, `history` and
`world`; run a `Scenario`; `tracker.replay.replay` streams the changes. The
`tracker` command is a thin layer over these functions. Names are imported on first use, so
the command starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dates import DateError, Window
    from .entities import Entity
    from .errors import LedgerError, TrackerError
    from .loading import load
    from .opening import open
    from .query import (
        FirstResult,
        HistoryEntry,
        StateResult,
        WhoResult,
        first,
        history,
        state,
        who,
        world,
    )
    from .reducers import DIMENSIONS, Answer
    from .scenario import Scenario, ScenarioResult
    from .store import AppendReport, Store

_HOMES = {
    "DIMENSIONS": "reducers",
    "Answer": "reducers",
    "AppendReport": "store",
    "DateError": "dates",
    "Entity": "entities",
    "FirstResult": "query",
    "HistoryEntry": "query",
    "LedgerError": "errors",
    "Scenario": "scenario",
    "ScenarioResult": "scenario",
    "StateResult": "query",
    "Store": "store",
    "TrackerError": "errors",
    "WhoResult": "query",
    "Window": "dates",
    "first": "query",
    "history": "query",
    "load": "loading",
    "open": "opening",
    "state": "query",
    "who": "query",
    "world": "query",
}

__all__ = [
    "DIMENSIONS",
    "Answer",
    "AppendReport",
    "DateError",
    "Entity",
    "FirstResult",
    "HistoryEntry",
    "LedgerError",
    "Scenario",
    "ScenarioResult",
    "StateResult",
    "Store",
    "TrackerError",
    "WhoResult",
    "Window",
    "first",
    "history",
    "load",
    "open",
    "state",
    "who",
    "world",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tracker' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups skip this
    return value
