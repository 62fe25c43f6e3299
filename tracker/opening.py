"""The one way to open a store, as the `tracker` command does: find it, create it if need be,
seed it from the bundled ledgers.

    import tracker
    store = tracker.open()              # $TRACKER_DB, else ./tracker.db; created and seeded
    store = tracker.open("other.db")    # the same for any path

A new store is created and seeded in one transaction under SQLite's write lock, so processes
racing to create it find one store, seeded once; a process killed during the creation leaves
nothing that the next open does not finish. A file that is not a tracker store is refused and
left as it was.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from .errors import TrackerError
from .store import Clock, Store, utc_now
from .storefile import IN_MEMORY

DEFAULT = "tracker.db"
ENVIRONMENT = "TRACKER_DB"


def _seeds() -> Path:
    """The bundled seeds: beside the package in a checkout, under share/ in an installed wheel."""
    beside = Path(__file__).resolve().parents[1] / "seeds"
    installed = Path(sys.prefix) / "share" / "geo-state-tracker" / "seeds"
    return beside if beside.is_dir() or not installed.is_dir() else installed


SEEDS = _seeds()


def seed_files() -> list[Path]:
    """The bundled ledgers that seed a new store."""
    return sorted(p for p in SEEDS.glob("*") if p.suffix in (".toml", ".jsonl"))


def resolve(path: str | Path | None = None) -> str:
    """The store's path as the command finds it: `path`, else $TRACKER_DB, else ./tracker.db."""
    found = str(path) if path is not None else os.environ.get(ENVIRONMENT) or DEFAULT
    if found in ("", IN_MEMORY):
        shown = "an empty path" if not found else repr(found)
        raise TrackerError(f"{shown} is not a database file: a store keeps its events in a file")
    return found


def seed(conn: sqlite3.Connection, now: str) -> str:
    """Append the bundled ledgers inside the caller's transaction; say what was seeded."""
    from .appending import append
    from .loading import ledger_items

    files = seed_files()
    if not files:
        raise TrackerError(f"no seed ledgers found in {SEEDS}")
    entities, events, _ = ledger_items(files)
    report = append(conn, events, entities, now)
    return f"{SEEDS.name}/ ({report.added} event{'' if report.added == 1 else 's'})"


def open(  # tracker.open, as shelve.open and dbm.open
    path: str | Path | None = None,
    *,
    seed_new: bool = True,
    create: bool = True,
    clock: Clock = utc_now,
    timeout: float = 60.0,
) -> Store:
    """Open the store at `path` (else $TRACKER_DB, else ./tracker.db).

    A store that does not exist yet is created (`create=False` refuses instead) and seeded
    from the bundled ledgers, unless `seed_new` is False: then it starts empty, and says so.
    """
    return Store(
        resolve(path), clock=clock, timeout=timeout, create=create, seed=seed if seed_new else None
    )


def empty_hint(store: Store, path: str | None = None, *, new: bool = False) -> str:
    """How to fill a store that holds nothing (created empty on purpose), or "" if it holds
    something; `path` is the store's name as the user gave it (default: its path), `new`
    says the store is not kept (a first load refused)."""
    if store.count() or store.entities():
        return ""
    path = store.path if path is None else path
    if new:
        return (
            f"{path} would start empty (--no-seed), so nothing was written: declare the "
            f"entities in the ledger, or load the bundled seeds in {SEEDS} with it"
        )
    return (
        f"{path} holds no events (it was created empty): load ledgers into it with "
        f"`tracker --db {path} load FILE...`, for example the bundled seeds in {SEEDS}"
    )
