"""Tamper evidence: re-derive everything a store holds and check it against what is stored.

In order: SQLite's own integrity check; the schema (every table's columns, every index, the
append-only triggers' exact SQL, nothing added); every event row (the types of its columns,
its place in the hash chain, its body read as an event, in canonical form, its id and its
columns re-derived from it); the entity log (its chain, each declaration valid) and the
`entities` table (the latest declaration of each id); and the derived tables against a refold
of the events. With an expected head, also that the log still holds it.

A chain kept inside the file proves only that the rows agree with each other: whoever can
write the file can cut its tail or rewrite it and its hashes consistently. Only a head kept
elsewhere (`verify --expect-head`) catches that; see RELIABILITY.md.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import Any

import attrs
import orjson

from . import projection, tables
from .entities import Entity
from .errors import TrackerError
from .projection import F_COLUMNS
from .tables import COLUMNS, GENESIS, chain, entity_chain
from .timeline import Record
from .validation import validate_entity

_TYPES = ", ".join(f"typeof({c})" for c in (*COLUMNS.split(", "), "hash"))
# The stored dyad index against the one rebuilt from events, both ways.
_DIFFERENCES = (
    "SELECT * FROM dyad_events EXCEPT SELECT * FROM temp.expected_dyad_events",
    "SELECT * FROM temp.expected_dyad_events EXCEPT SELECT * FROM dyad_events",
)
_HEAD = re.compile(r"(\d{1,18})(?:\.(\d{1,18}))?:([0-9a-f]{64})")
# Tables SQLite itself may add (ANALYZE statistics, AUTOINCREMENT counters).
_SQLITE_OWN = re.compile(r"sqlite_(stat\d|sequence)")

Progress = Callable[[int], None]


@attrs.frozen
class Problem:
    """A verification failure: where (the first bad `seq`, if a row), and why."""

    seq: int | None
    reason: str


@attrs.frozen
class Head:
    """A checkpoint of the log: the last event's seq, the last entity declaration's seq (None:
    events only), and the hash that covers both chains up to there."""

    seq: int
    entity_seq: int | None
    hash: str

    def __str__(self) -> str:
        middle = "" if self.entity_seq is None else f".{self.entity_seq}"
        return f"{self.seq}{middle}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """Read `SEQ.ENTITY_SEQ:HASH` (or `SEQ:HASH`, events only), as `verify` prints it."""
        found = _HEAD.fullmatch(text.strip())
        if found is None:
            raise TrackerError(
                f"{text.strip()[:80]!r} is not a head: write SEQ.ENTITY_SEQ:HASH as verify prints "
                "it (64 hexadecimal digits)"
            )
        entity_seq = None if found[2] is None else int(found[2])
        return cls(int(found[1]), entity_seq, found[3])


def head(conn: sqlite3.Connection) -> Head:
    """The store's head now: both chains' last seq, and their hashes combined."""
    seq, event_hash = tables.head(conn)
    entity_seq, entity_hash = tables.entity_head(conn)
    return Head(seq, entity_seq, _combined(event_hash, entity_hash))


def _combined(event_hash: str, entity_hash: str | None) -> str:
    if entity_hash is None:
        return event_hash
    return hashlib.sha256(f"{event_hash}\x1f{entity_hash}".encode()).hexdigest()


def verify(
    conn: sqlite3.Connection,
    expect: Head | None = None,
    progress: Progress | None = None,
) -> list[Problem]:
    """Check the store behind `conn`; empty when everything holds (see the module's doc)."""
    problems = _integrity(conn)
    if problems:  # the file is damaged: what follows would read damaged pages
        return problems
    checks: tuple[Callable[[], list[Problem]], ...] = (
        lambda: _schema(conn),
        lambda: _events(conn, progress),
        lambda: _entities(conn),
        lambda: _derived(conn, progress),
    )
    for check in checks:
        if problems and check is checks[-1]:
            break  # a refold of events already found bad would fold what cannot be read
        try:
            found = check()
        except (sqlite3.DatabaseError, RecursionError, MemoryError) as error:
            found = [Problem(None, f"cannot read the store: {type(error).__name__}: {error}")]
        problems += found
    if expect is not None and not problems:
        problems += _against(conn, expect)
    return problems


def _integrity(conn: sqlite3.Connection) -> list[Problem]:
    try:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as error:
        return [Problem(None, f"SQLite integrity check failed: {error}")]
    if found == ["ok"]:
        return []
    return [Problem(None, f"SQLite integrity check: {'; '.join(found)}")]


# -- the schema -------------------------------------------------------------------------------


def _objects(conn: sqlite3.Connection) -> dict[tuple[str, str], str | None]:
    rows = conn.execute("SELECT type, name, sql FROM main.sqlite_master")
    return {(kind, name): sql for kind, name, sql in rows if not _SQLITE_OWN.fullmatch(name)}


def _shape(conn: sqlite3.Connection, kind: str, name: str, sql: str | None) -> Any:
    """What must match in an object: a table's columns and indexes, an index's table, columns
    and whether it is unique or partial, a trigger's text."""
    if kind == "table":
        columns = conn.execute(f'PRAGMA main.table_xinfo("{name}")').fetchall()
        rowid = "without rowid" not in (sql or "").lower()
        return columns, rowid
    if kind == "index":
        columns = conn.execute(f'PRAGMA main.index_xinfo("{name}")').fetchall()
        made = conn.execute(  # what index_xinfo leaves out: a non-unique id index lets in copies
            'SELECT m.tbl_name, i."unique", i.partial FROM main.sqlite_master m, '
            "pragma_index_list(m.tbl_name, 'main') i WHERE m.name = ? AND i.name = m.name",
            (name,),
        ).fetchall()
        return columns, made
    return sql


@functools.cache
def _expected() -> dict[tuple[str, str], Any]:
    """The shape of every object of a store this version creates (made once, in memory)."""
    reference = sqlite3.connect(":memory:")
    try:
        tables.create(reference)
        wanted = _objects(reference)
        return {key: _shape(reference, *key, sql) for key, sql in wanted.items()}
    finally:
        reference.close()


# What each append-only trigger, once dropped, no longer stops.
_UNGUARDED = {
    "events_no_update": "events can be edited",
    "events_no_delete": "events can be deleted",
    "entity_log_no_update": "entity declarations can be edited",
    "entity_log_no_delete": "entity declarations can be deleted",
}


def _schema(conn: sqlite3.Connection) -> list[Problem]:
    expected = _expected()
    found = _objects(conn)
    problems = []
    for (kind, name), shape in expected.items():
        if (kind, name) not in found:
            what = f" ({_UNGUARDED[name]})" if kind == "trigger" else ""
            problems.append(Problem(None, f"{kind} {name} is missing{what}"))
        elif _shape(conn, kind, name, found[(kind, name)]) != shape:
            problems.append(Problem(None, f"{kind} {name} differs from the tracker's"))
    for kind, name in sorted(set(found) - set(expected)):
        problems.append(Problem(None, f"{kind} {name} is not part of a tracker store"))
    for key, value in (("schema", tables.SCHEMA_VERSION), ("derived", projection.VERSION)):
        if ("table", "meta") in found and tables.meta(conn, key) != value:
            problems.append(Problem(None, f"meta: {key} is not {value}"))
    return problems


# -- events -------------------------------------------------------------------------------------


def _events(conn: sqlite3.Connection, progress: Progress | None) -> list[Problem]:
    from events import EventFormatError, from_dict

    rows = conn.execute(f"SELECT {COLUMNS}, hash, {_TYPES} FROM events ORDER BY seq")
    previous, expected = GENESIS, 1
    for row in rows:
        columns, stored, kinds = row[:12], row[12], row[13:]
        seq = columns[0]
        reason = _types(kinds)
        if reason is None and seq != expected:
            reason, seq = f"seq {expected} is missing", expected
        if reason is None:
            found = Record(*columns)
            if chain(previous, found.seq, found.id, found.recorded, found.body) != stored:
                reason = "hash chain broken: the row or one before it was changed"
            else:
                reason = _body(found, from_dict, EventFormatError)
        if reason is not None:
            return [Problem(seq, reason)]
        previous, expected = stored, expected + 1
        if progress is not None and expected % 1000 == 1:
            progress(1000)
    return []


def _types(kinds: tuple[str, ...]) -> str | None:
    """What is wrong with the SQLite types of a row's columns (COLUMNS, then hash)."""
    names = (*COLUMNS.split(", "), "hash")
    for name, kind in zip(names, kinds, strict=True):
        if name == "seq":
            allowed: tuple[str, ...] = ("integer",)
        elif name in ("operand", "withdraws"):
            allowed = ("text", "null")
        else:
            allowed = ("text",)
        if kind not in allowed:
            return f"column {name} holds {kind}, not {' or '.join(allowed)}"
    return None


def _body(found: Record, from_dict: Any, format_error: type[Exception]) -> str | None:
    """What is wrong with a row's body, id or columns, if anything."""
    try:
        data = orjson.loads(found.body)  # refuses nesting past 1,024 levels, never recurses
        event = from_dict(data)
    except (orjson.JSONDecodeError, format_error, RecursionError) as error:
        return f"body does not read as an event: {str(error)[:200]}"
    except ValueError as error:  # a field's validator
        return f"body does not read as an event: {str(error)[:200]}"
    rebuilt = Record.of(found.seq, event, found.recorded)
    if rebuilt.id != found.id:
        return "id does not match the event's content"
    if rebuilt.body != found.body:
        return "body is not the event's stored form (its text was changed)"
    if rebuilt != found:
        return "columns do not match the event's content"
    return None


# -- entities -----------------------------------------------------------------------------------


def _entities(conn: sqlite3.Connection) -> list[Problem]:
    previous, expected = GENESIS, 1
    latest: dict[str, tuple[str, str, str]] = {}
    rows = conn.execute(
        "SELECT seq, id, name, kind, aliases, recorded, hash, typeof(seq) FROM entity_log "
        "ORDER BY seq"
    )
    for seq, *row, stored, kind in rows:
        where = f"entity_log: seq {expected}"
        if kind != "integer" or seq != expected:
            return [Problem(None, f"{where} is missing")]
        if not all(isinstance(value, str) for value in row) or not isinstance(stored, str):
            return [Problem(None, f"{where}: a column is not text")]
        if entity_chain(previous, seq, row) != stored:
            return [Problem(None, f"{where}: hash chain broken: the declaration was changed")]
        reason = _declaration(row)
        if reason is not None:
            return [Problem(None, f"{where}: {reason}")]
        latest[row[0]] = (row[1], row[2], row[3])
        previous, expected = stored, expected + 1
    current = {
        i: (n, k, a) for i, n, k, a in conn.execute("SELECT id, name, kind, aliases FROM entities")
    }
    for entity_id in sorted(set(current) | set(latest)):
        if current.get(entity_id) != latest.get(entity_id):
            return [
                Problem(None, f"entities: {entity_id} is not as the entity log last declares it")
            ]
    return []


def _declaration(row: list[str]) -> str | None:
    entity_id, name, kind, aliases, recorded = row
    try:
        names = orjson.loads(aliases)  # never recurses (json would, on tampered nesting)
        if not isinstance(names, list) or not all(isinstance(a, str) for a in names):
            return "aliases are not a list of text"
        validate_entity(Entity(entity_id, name, kind, tuple(names), recorded=recorded))  # type: ignore[arg-type]
    except ValueError as error:  # orjson's JSONDecodeError included
        return str(error)[:200]
    return None


# -- derived tables ----------------------------------------------------------------------------


def _derived(conn: sqlite3.Connection, progress: Progress | None) -> list[Problem]:
    """The derived tables against a rebuild from `events`, made in a temporary table (the store's
    file is not written)."""
    conn.execute("DROP TABLE IF EXISTS temp.expected_dyad_events")
    conn.execute(projection.DYAD_EVENTS.format(name="temp.expected_dyad_events"))
    try:
        tables.fill_dyad_index(conn, "expected")
        for query in _DIFFERENCES:
            extra = conn.execute(query).fetchone()
            if extra is not None:
                where = f"{extra[0]}->{extra[1]}"
                return [Problem(extra[2], f"dyad_events: {where} differs from a rebuild")]
        return _intervals(conn, progress)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.expected_dyad_events")


def _intervals(conn: sqlite3.Connection, progress: Progress | None) -> list[Problem]:
    seen = 0
    lives: dict[str, list[Record]] = {}
    for dyad, records in _expected_groups(conn):
        if dyad[0] == dyad[1]:  # an entity's own lifespan events: they bound the other dyads
            continue
        wanted = projection.interval_rows(conn, dyad, records, lives)
        stored = conn.execute(
            "SELECT * FROM intervals WHERE actor = ? AND counterpart = ? "
            "ORDER BY dimension, valid_from",
            dyad,
        ).fetchall()
        if stored != wanted:
            return [Problem(None, f"intervals: {dyad[0]}->{dyad[1]} differs from a refold")]
        seen += len(records)
        if progress is not None and seen >= 1000:
            progress(seen)
            seen = 0
    stray = conn.execute(
        "SELECT actor, counterpart FROM intervals EXCEPT "
        "SELECT actor, counterpart FROM temp.expected_dyad_events"
    ).fetchone()
    if stray is not None:
        return [Problem(None, f"intervals: {stray[0]}->{stray[1]} has rows but no events")]
    return []


def _expected_groups(conn: sqlite3.Connection) -> Iterator[tuple[Any, list[Record]]]:
    rows = conn.execute(
        f"SELECT d.actor, d.counterpart, {F_COLUMNS} FROM temp.expected_dyad_events d "
        "ORDER BY d.actor, d.counterpart, d.seq"
    )
    for dyad, group in groupby(rows, key=lambda row: (row[0], row[1])):
        yield dyad, [Record(*row[2:]) for row in group]


# -- the expected head --------------------------------------------------------------------------


def _against(conn: sqlite3.Connection, expect: Head) -> list[Problem]:
    now = head(conn)
    if expect.seq > now.seq:
        return [
            Problem(
                now.seq,
                f"the log ends at seq {now.seq} but the expected head is at seq {expect.seq}: "
                "events were cut from its end",
            )
        ]
    if expect.entity_seq is not None and expect.entity_seq > (now.entity_seq or 0):
        return [
            Problem(
                None,
                f"entity_log ends at seq {now.entity_seq} but the expected head is at seq "
                f"{expect.entity_seq}: declarations were cut from its end",
            )
        ]
    event_hash = _hash_at(conn, "events", expect.seq)
    entity_hash = None
    if expect.entity_seq is not None:
        entity_hash = _hash_at(conn, "entity_log", expect.entity_seq)
    if _combined(event_hash, entity_hash) != expect.hash:
        what = "events up to seq"
        if expect.entity_seq is not None:
            what = f"entity declarations up to seq {expect.entity_seq} or events up to seq"
        return [
            Problem(
                expect.seq,
                f"the store does not hold the expected head {expect}: {what} {expect.seq} "
                "were rewritten",
            )
        ]
    return []


def _hash_at(conn: sqlite3.Connection, table: str, seq: int) -> str:
    if seq == 0:
        return GENESIS
    found = conn.execute(f"SELECT hash FROM {table} WHERE seq = ?", (seq,)).fetchone()
    return GENESIS if found is None else str(found[0])
