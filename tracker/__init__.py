"""The tracker engine: dates, reducers, ledgers, the SQLite store, projections and queries.

Library first: `tracker.open()` a store (created and seeded from the bundled ledgers when new,
as the command does), `load` ledgers into it, and ask `state`, `who`, `first`, `history` and
`world`; build a dyad-period `panel`; run a `Scenario`; `Replay` gives the changes (and
`tracker.replay.replay` streams them). Every result has `to_dict()` and `to_frame()`. The
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
    from .panels import Panel, panel
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
    from .replay import Replay
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
    "Panel": "panels",
    "Replay": "replay",
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
    "panel": "panels",
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
    "Panel",
    "Replay",
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
    "panel",
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
