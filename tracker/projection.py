"""Derived tables, rebuilt from `events` at will: which events touch which dyad, and the
intervals of each dyad's state over valid time (the materialized point-in-time answers).

Every function takes an open connection inside the caller's transaction.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Container, Iterable, Iterator

import orjson

from .reducers import DIMENSIONS, Answer, Dyad, Slot, Value, answer, default, encode
from .timeline import Interval, Record, effective, intervals

VERSION = "2"  # of the derived tables' layout: a store with another version rebuilds them
TABLES = ("dyad_events", "intervals")
DERIVED = """
CREATE TABLE IF NOT EXISTS dyad_events (
    actor TEXT NOT NULL,
    counterpart TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    withdraws INTEGER NOT NULL,
    PRIMARY KEY (actor, counterpart, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS intervals (
    actor TEXT NOT NULL,
    counterpart TEXT NOT NULL,
    dimension TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    value TEXT NOT NULL,
    since TEXT,
    uncertain INTEGER NOT NULL,
    possible TEXT NOT NULL,
    events TEXT NOT NULL,
    PRIMARY KEY (actor, counterpart, dimension, valid_from)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS intervals_counterpart ON intervals (counterpart, dimension, valid_from);
"""


IndexRow = tuple[str, str, int, str, bool]
"""A dyad an event touches: actor, counterpart, the event's seq and type, whether it withdraws
another (so a fold of some dimensions reads only the events it needs)."""


def index(conn: sqlite3.Connection, rows: Iterable[IndexRow]) -> None:
    """Record which dyads each event touches."""
    conn.executemany("INSERT OR IGNORE INTO dyad_events VALUES (?, ?, ?, ?, ?)", rows)


@functools.lru_cache(maxsize=8192)
def _value_text(value: Value) -> str:
    """A value's stored JSON (few distinct values: encoded once each)."""
    return orjson.dumps(encode(value)).decode()


@functools.lru_cache(maxsize=8192)
def _possible_text(possible: tuple[Value, ...]) -> str:
    return orjson.dumps([encode(v) for v in possible]).decode()


def _row(dyad: Dyad, interval: Interval) -> tuple[object, ...]:
    ans = interval.answer
    return (
        dyad[0],
        dyad[1],
        interval.dimension,
        interval.valid_from,
        interval.valid_to,
        _value_text(ans.value),
        ans.since,
        int(ans.uncertain),
        _possible_text(ans.possible),
        orjson.dumps(ans.events).decode(),
    )


def refresh(
    conn: sqlite3.Connection,
    groups: Iterable[tuple[Dyad, list[Record]]],
    fresh: Container[Dyad] = (),
) -> int:
    """Refold each dyad from all its records and replace its intervals; return events folded.

    Dyads in `fresh` have no intervals yet, so there is nothing to delete for them.
    """
    folded = 0
    rows: list[tuple[object, ...]] = []
    for dyad, records in groups:
        folded += len(records)
        if dyad not in fresh:
            conn.execute("DELETE FROM intervals WHERE actor = ? AND counterpart = ?", dyad)
        rows.extend(_row(dyad, i) for i in intervals(effective(records), dyad))
        if len(rows) >= 20_000:
            conn.executemany(_INSERT, rows)
            rows.clear()
    conn.executemany(_INSERT, rows)
    return folded


_INSERT = "INSERT INTO intervals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def all_dyads(conn: sqlite3.Connection) -> Iterator[Dyad]:
    """Every dyad that some event touches."""
    yield from conn.execute(
        "SELECT DISTINCT actor, counterpart FROM dyad_events ORDER BY actor, counterpart"
    )


def _answer(value: str, since: str | None, uncertain: int, possible: str, events: str) -> Answer:
    settled = _value(value)
    if uncertain:
        return Answer(settled, since, True, _possible(possible), tuple(orjson.loads(events)))
    return Answer(settled, since, False, (settled,), tuple(orjson.loads(events)))


@functools.lru_cache(maxsize=8192)
def _value(text: str) -> Value:
    """A stored value column back into a value (few distinct texts: decoded once each)."""
    return decode(orjson.loads(text))


@functools.lru_cache(maxsize=1024)
def _possible(text: str) -> tuple[Value, ...]:
    return tuple(decode(v) for v in orjson.loads(text))


def decode(value: str | list[str]) -> Value:
    """A JSON value back into a dimension value (lists become sets)."""
    return frozenset(value) if isinstance(value, list) else value


def dyad_state(conn: sqlite3.Connection, dyad: Dyad, day: str) -> dict[str, Answer]:
    """Every dimension of `dyad` on `day`, the initial answer for those that never changed."""
    found = dyad_at(conn, dyad, day)
    return {name: found.get(name) or BLANK[name] for name in DIMENSIONS}


BLANK = {name: answer(Slot(default(name)), Slot(default(name))) for name in DIMENSIONS}


def dyad_at(conn: sqlite3.Connection, dyad: Dyad, day: str) -> dict[str, Answer]:
    """The dimensions of `dyad` on `day` that differ from the initial state.

    A dimension's intervals follow one another without gaps from its first change, so the
    one in force is the last to start by `day`: one primary-key seek per dimension.
    """
    rows = conn.execute(_DYAD_AT, (*dyad, day))
    return {row[0]: _answer(*row[1:]) for row in rows}


_DYAD_AT = " UNION ALL ".join(
    "SELECT * FROM (SELECT dimension, value, since, uncertain, possible, events FROM intervals "
    f"WHERE actor = ?1 AND counterpart = ?2 AND dimension = '{name}' AND valid_from <= ?3 "
    "ORDER BY valid_from DESC LIMIT 1)"
    for name in DIMENSIONS
)


def counterpart_at(
    conn: sqlite3.Connection, counterpart: str, dimension: str, day: str
) -> dict[str, Answer]:
    """Each actor's answer for `dimension` toward `counterpart` on `day` (initial ones left out)."""
    rows = conn.execute(
        "SELECT actor, value, since, uncertain, possible, events FROM intervals "
        "WHERE counterpart = ? AND dimension = ? AND valid_from <= ? "
        "AND (valid_to IS NULL OR valid_to > ?)",
        (counterpart, dimension, day, day),
    )
    return {row[0]: _answer(*row[1:]) for row in rows}


def counterpart_timeline(
    conn: sqlite3.Connection, counterpart: str, dimension: str, after: str
) -> Iterator[tuple[str, str, Answer]]:
    """(actor, valid_from, answer) for `dimension` toward `counterpart`, in force from `after`."""
    rows = conn.execute(
        "SELECT actor, valid_from, value, since, uncertain, possible, events FROM intervals "
        "WHERE counterpart = ? AND dimension = ? AND (valid_to IS NULL OR valid_to > ?) "
        "ORDER BY valid_from, actor",
        (counterpart, dimension, after),
    )
    for actor, valid_from, *rest in rows:
        yield actor, valid_from, _answer(*rest)


def world_at(conn: sqlite3.Connection, day: str) -> dict[Dyad, dict[str, Answer]]:
    """Every dyad's non-initial dimensions on `day`."""
    rows = conn.execute(
        "SELECT actor, counterpart, dimension, value, since, uncertain, possible, events "
        "FROM intervals WHERE valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)",
        (day, day),
    )
    found: dict[Dyad, dict[str, Answer]] = {}
    for actor, counterpart, dimension, *rest in rows:
        found.setdefault((actor, counterpart), {})[dimension] = _answer(*rest)
    return found
