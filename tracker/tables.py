"""The store's tables: their SQL, the stored columns of an event, the hash chain, and the
row-level reads that the append pipeline, the rebuild and the store share.

Every function takes an open connection; none opens a transaction of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from itertools import groupby
from typing import Any

from . import projection
from .projection import F_COLUMNS
from .reducers import MIRROR_RULES, Dyad, dyads_of
from .storefile import APPLICATION_ID
from .timeline import MACHINE_SQL, Record

SCHEMA_VERSION = "2"  # 2: entity declarations kept in the append-only, chained entity_log
GENESIS = "0" * 64
COLUMNS = (
    "seq, id, type, actor, counterpart, valid_time, earliest, latest, recorded, operand, "
    "withdraws, body"
)
E_COLUMNS = ", ".join(f"e.{c}" for c in COLUMNS.split(", "))  # the same, of `events AS e`

TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: record a correction instead'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: record a retraction instead'); END;
"""
# Every declaration of an entity, in order, chained like events; `entities` holds the latest
# declaration of each id and can be rebuilt from it.
ENTITY_LOG = """
CREATE TABLE IF NOT EXISTS entity_log (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    aliases TEXT NOT NULL,
    recorded TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS entity_log_no_update BEFORE UPDATE ON entity_log
BEGIN SELECT RAISE(ABORT, 'entity_log is append-only: declare the entity again'); END;
CREATE TRIGGER IF NOT EXISTS entity_log_no_delete BEFORE DELETE ON entity_log
BEGIN SELECT RAISE(ABORT, 'entity_log is append-only: declare the entity again'); END;
"""


def chain(previous: str, seq: int, event_id: str, recorded: str, body: str) -> str:
    """The hash of a row, linking it to the row before."""
    import hashlib  # not at the top: queries need not load OpenSSL

    text = "\x1f".join((previous, str(seq), event_id, recorded, body))
    return hashlib.sha256(text.encode()).hexdigest()


def entity_chain(previous: str, seq: int, row: Sequence[str]) -> str:
    """The hash of an entity_log row (id, name, kind, aliases, recorded), linked to the one
    before."""
    import hashlib

    text = "\x1f".join((previous, str(seq), *row))
    return hashlib.sha256(text.encode()).hexdigest()


def create(conn: sqlite3.Connection) -> None:
    """Create every table, index and trigger of an empty store (inside the caller's
    transaction) and record the schema version."""
    db = _sqlite_utils().Database(conn)
    db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
    text = ("id", "type", "actor", "counterpart", "valid_time", "earliest", "latest", "recorded")
    db.table("events").create(
        {
            "seq": int,
            **dict.fromkeys(text, str),
            "operand": str,
            "withdraws": str,
            "body": str,
            "hash": str,
        },
        pk="seq",
        not_null={*text, "body", "hash"},
        if_not_exists=True,
    )
    db.table("events").create_index(["id"], unique=True, if_not_exists=True)
    db.table("events").create_index(
        ["earliest", "latest", "seq"], index_name="events_replay", if_not_exists=True
    )
    db.table("entities").create(
        {"id": str, "name": str, "kind": str, "aliases": str}, pk="id", if_not_exists=True
    )
    _run(conn, TRIGGERS)
    _run(conn, ENTITY_LOG)
    create_derived(conn)
    db.table("meta").upsert({"key": "schema", "value": SCHEMA_VERSION}, pk="key")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _sqlite_utils() -> Any:
    """sqlite-utils (only needed once per database: kept off the query path), imported
    without pandas and numpy when this process has not imported them itself.

    sqlite-utils imports both when they are installed, only to map their types in inserts,
    which no store makes: half a second and 80 MB a new store never uses. A process that
    imported pandas or numpy before is left as it was; one that imports them later gets them,
    and only sqlite-utils goes on without them.
    """
    import sys

    if "sqlite_utils" not in sys.modules:
        hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # None: import raises ImportError
        try:
            import sqlite_utils
        finally:
            for name in hidden:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]
    import sqlite_utils

    return sqlite_utils


def upgrade(conn: sqlite3.Connection, now: str) -> None:
    """Bring a schema 1 store to schema 2 (inside the caller's transaction): its entities
    become the first declarations of the entity log, recorded `now`."""
    _run(conn, ENTITY_LOG)
    # in the order they were first declared (the rowid of a table that was only ever upserted)
    rows = conn.execute("SELECT id, name, kind, aliases FROM entities ORDER BY rowid").fetchall()
    log_entities(conn, [(i, n, k, a, now) for i, n, k, a in rows], write_current=False)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _run(conn: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def entity_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """The last entity_log `seq` and its chain hash (0 and the genesis hash when empty)."""
    row = conn.execute("SELECT seq, hash FROM entity_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def log_entities(
    conn: sqlite3.Connection,
    rows: Sequence[tuple[str, str, str, str, str]],
    *,
    write_current: bool = True,
) -> None:
    """Append declarations (id, name, kind, aliases JSON, recorded) to the entity log, chained,
    and make each the current one in `entities`."""
    seq, previous = entity_head(conn)
    logged = []
    for row in rows:
        seq += 1
        previous = entity_chain(previous, seq, row)
        logged.append((seq, *row, previous))
    conn.executemany("INSERT INTO entity_log VALUES (?, ?, ?, ?, ?, ?, ?)", logged)
    if write_current:
        conn.executemany(
            "INSERT INTO entities VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "name = excluded.name, kind = excluded.kind, aliases = excluded.aliases",
            [row[:4] for row in rows],
        )


def create_derived(conn: sqlite3.Connection) -> None:
    """Create the derived tables in the current layout and record its version."""
    for statement in projection.DERIVED.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(
        "INSERT INTO meta VALUES ('derived', ?) ON CONFLICT (key) DO UPDATE SET value = ?",
        (projection.VERSION, projection.VERSION),
    )


def meta(conn: sqlite3.Connection, key: str) -> str | None:
    """A value of the `meta` table, or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def stored(conn: sqlite3.Connection, event_id: str) -> Record | None:
    """The stored record with this id, or None."""
    row = conn.execute(f"SELECT {COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
    return None if row is None else Record(*row)


def dyad_exists(conn: sqlite3.Connection, dyad: Dyad) -> bool:
    """Whether some stored event touches `dyad`."""
    found = conn.execute(
        "SELECT 1 FROM dyad_events WHERE actor = ? AND counterpart = ? LIMIT 1", dyad
    ).fetchone()
    return found is not None


def reach(
    conn: sqlite3.Connection, record: Record, batch: Mapping[str, Record] | None = None
) -> set[Dyad]:
    """The dyads a record's arrival can change: its own, and down its chain of withdrawals,
    those of every event it withdraws (or, withdrawing a retraction, restores)."""
    found = set(dyads_of(record.type, record.actor, record.counterpart))
    target_id, seen = record.withdraws, set()
    while target_id is not None and target_id not in seen:
        seen.add(target_id)
        target = (batch or {}).get(target_id) or stored(conn, target_id)
        if target is None:
            break
        found |= set(dyads_of(target.type, target.actor, target.counterpart))
        target_id = target.withdraws
    return found


_INDEXES = {"dyad_events": "dyad_events", "expected": "temp.expected_dyad_events"}
# An index row's columns after the dyad, read from `events` (projection.DYAD_EVENTS).
_INDEXED = (
    "seq, type, id, actor, counterpart, valid_time, earliest, latest, recorded, operand, "
    f"withdraws, {MACHINE_SQL}"
)


def fill_dyad_index(conn: sqlite3.Connection, into: str = "dyad_events") -> None:
    """Fill an empty dyad index (`dyad_events`, or with "expected" a temporary table of the
    same shape) from `events` alone: every event moves its own dyad, symmetric and envoy
    events the mirror one too (as reducers.dyads_of says), and a withdrawal those of the
    events it withdraws."""
    table = _INDEXES[into]
    # In key order: the index's pages fill one after another instead of at random.
    conn.execute(
        f"INSERT INTO {table} SELECT actor, counterpart, {_INDEXED} FROM events "
        "ORDER BY actor, counterpart, seq"
    )
    mirrored = sorted(MIRROR_RULES)
    marks = ", ".join("?" * len(mirrored))
    conn.execute(
        f"INSERT OR IGNORE INTO {table} SELECT counterpart, actor, {_INDEXED} FROM events "
        f"WHERE type IN ({marks}) ORDER BY counterpart, actor, seq",
        mirrored,
    )
    withdrawals = conn.execute(f"SELECT {COLUMNS} FROM events WHERE withdraws IS NOT NULL")
    for row in withdrawals.fetchall():
        record = Record(*row)
        conn.executemany(
            f"INSERT OR IGNORE INTO {table} VALUES ({', '.join('?' * 14)})",
            [projection.index_row(dyad, record) for dyad in reach(conn, record)],
        )


def groups(conn: sqlite3.Connection, after: int = 0) -> Iterator[tuple[Dyad, list[Record]]]:
    """Every dyad with events after `seq`, with all of those events (read without their
    bodies, as folds take them), in one ordered scan of the dyad index."""
    rows = conn.execute(
        f"SELECT d.actor, d.counterpart, {F_COLUMNS} FROM dyad_events d "
        "WHERE d.seq > ? ORDER BY d.actor, d.counterpart, d.seq",
        (after,),
    )
    for dyad, group in groupby(rows, key=lambda row: (row[0], row[1])):
        yield dyad, [Record(*row[2:]) for row in group]


def records(
    conn: sqlite3.Connection,
    dyad: Dyad,
    types: Collection[str] | None = None,
    *,
    bodies: bool = True,
) -> list[Record]:
    """Every stored event that touches `dyad`, in `seq` order (with `types`: only events of
    those types, and those that withdraw another). Without `bodies`, as folds read them: from
    the dyad index alone, one range of its primary key."""
    kinds = sorted(types or ())
    marks = ", ".join("?" * len(kinds))
    source = _WITH_BODIES if bodies else _WITHOUT_BODIES
    rows = conn.execute(
        f"{source} WHERE d.actor = ? AND d.counterpart = ? "
        f"AND (? OR d.type IN ({marks}) OR d.withdraws IS NOT NULL) ORDER BY d.seq",
        (*dyad, types is None, *kinds),
    )
    return [Record(*row) for row in rows]


_WITH_BODIES = f"SELECT {E_COLUMNS} FROM dyad_events d JOIN events e ON e.seq = d.seq"
_WITHOUT_BODIES = f"SELECT {F_COLUMNS} FROM dyad_events d"


def in_replay_order(conn: sqlite3.Connection, dyad: Dyad) -> Iterator[Record]:
    """Every stored event that touches `dyad`, in replay order (earliest, latest, seq)."""
    rows = conn.execute(
        f"SELECT {E_COLUMNS} FROM dyad_events d JOIN events e ON e.seq = d.seq "
        "WHERE d.actor = ? AND d.counterpart = ? ORDER BY e.earliest, e.latest, e.seq",
        dyad,
    )
    for row in rows:
        yield Record(*row)


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """The last `seq` and its chain hash (0 and the genesis hash when empty)."""
    row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))
