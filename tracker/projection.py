"""Derived tables, rebuilt from `events` at will: which events touch which dyad, and the
intervals of each dyad's state over valid time (the materialized point-in-time answers).

Every function takes an open connection inside the caller's transaction.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Container, Iterable, Iterator, Mapping

import orjson

from .folds import Interval
from .reducers import DIMENSIONS, Answer, Dyad, Slot, Value, answer, default, encode
from .timeline import Record, effective, intervals, standing_lifespans

# The derived tables' layout: a store with another version rebuilds them. 3: envoy_sent also
# moves the mirror dyad, lifespans bound every dyad, and intervals say which answers rest
# only on machine-coded events. 4: dyad_events holds every column a fold reads, so folds read
# a dyad's events in one range of its primary key, without seeking into `events`.
VERSION = "4"
TABLES = ("dyad_events", "intervals")
# Each event as the dyads it touches see it: the dyad, then the event's own columns but its
# body (which no fold reads), and whether it was machine-coded (read from the body once).
DYAD_EVENTS = """
CREATE TABLE IF NOT EXISTS {name} (
    actor TEXT NOT NULL,
    counterpart TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    event_actor TEXT NOT NULL,
    event_counterpart TEXT NOT NULL,
    valid_time TEXT NOT NULL,
    earliest TEXT NOT NULL,
    latest TEXT NOT NULL,
    recorded TEXT NOT NULL,
    operand TEXT,
    withdraws TEXT,
    machine INTEGER NOT NULL,
    PRIMARY KEY (actor, counterpart, seq)
) WITHOUT ROWID"""
# The one secondary index (for `who`): built after the rows when a table is filled whole.
SECONDARY = (
    "CREATE INDEX IF NOT EXISTS intervals_counterpart ON intervals (counterpart, dimension, "
    "valid_from)"
)
DERIVED = (
    DYAD_EVENTS.format(name="dyad_events")
    + """;
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
    machine INTEGER NOT NULL,
    PRIMARY KEY (actor, counterpart, dimension, valid_from)
) WITHOUT ROWID;
"""
    + f"{SECONDARY};\n"
)


@contextlib.contextmanager
def index_after(conn: sqlite3.Connection, empty: bool) -> Iterator[None]:
    """When `empty` (the intervals table is filled from nothing), leave out the secondary
    index while the rows go in, then build it in one sort instead of a seek per row (inside
    the caller's transaction: an error rolls the dropped index back with the rest)."""
    if empty:
        conn.execute("DROP INDEX IF EXISTS intervals_counterpart")
    yield
    if empty:
        conn.execute(SECONDARY)


# A dyad_events row's columns as a Record takes them (the body left empty: folds need none).
F_COLUMNS = (
    "d.seq, d.id, d.type, d.event_actor, d.event_counterpart, d.valid_time, d.earliest, "
    "d.latest, d.recorded, d.operand, d.withdraws, '', d.machine"
)


IndexRow = tuple[str, str, int, str, str, str, str, str, str, str, str, str | None, str | None, int]
"""A dyad an event touches (actor, counterpart), then the event's seq, type, id, actor,
counterpart, valid time, earliest and latest days, recorded time, operand, the id it withdraws
and whether it was machine-coded: the row of `dyad_events`."""


def index_row(dyad: Dyad, r: Record) -> IndexRow:
    """The `dyad_events` row of record `r` as dyad `dyad` sees it."""
    return (
        dyad[0],
        dyad[1],
        r.seq,
        r.type,
        r.id,
        r.actor,
        r.counterpart,
        r.on,
        r.earliest,
        r.latest,
        r.recorded,
        r.operand,
        r.withdraws,
        int(r.machine_coded),
    )


def index(conn: sqlite3.Connection, rows: Iterable[IndexRow]) -> None:
    """Record which dyads each event touches."""
    conn.executemany(_INDEX, rows)


_INDEX = f"INSERT OR IGNORE INTO dyad_events VALUES ({', '.join('?' * 14)})"


@functools.lru_cache(maxsize=8192)
def _value_text(value: Value) -> str:
    """A value's stored JSON (few distinct values: encoded once each)."""
    return orjson.dumps(encode(value)).decode()


@functools.lru_cache(maxsize=8192)
def _possible_text(possible: tuple[Value, ...]) -> str:
    return orjson.dumps([encode(v) for v in possible]).decode()


def _row(dyad: Dyad, interval: Interval, machine: Container[str]) -> tuple[object, ...]:
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
        int(machine_only(ans.events, machine)),
    )


def machine_only(events: Iterable[str], machine: Container[str]) -> bool:
    """Whether every one of `events` (at least one) is among the `machine`-coded ids."""
    found = False
    for event_id in events:
        if event_id not in machine:
            return False
        found = True
    return found


def refresh(
    conn: sqlite3.Connection,
    groups: Iterable[tuple[Dyad, list[Record]]],
    fresh: Container[Dyad] = (),
) -> None:
    """Refold each dyad from all its records and replace its intervals.

    Dyads in `fresh` have no intervals yet, so there is nothing to delete for them. A dyad of
    one entity holds that entity's lifespan events: when it is refolded, so is every dyad of
    the entity not refolded here already (after the others, all with their records written).
    """
    rows: list[tuple[object, ...]] = []
    done: set[Dyad] = set()
    lives: dict[str, list[Record]] = {}
    moved: list[str] = []  # entities whose lifespans may have changed

    def fold(dyad: Dyad, records: list[Record], known: bool) -> None:
        done.add(dyad)
        if dyad[0] == dyad[1]:
            moved.append(dyad[0])
            return
        if known:
            conn.execute("DELETE FROM intervals WHERE actor = ? AND counterpart = ?", dyad)
        rows.extend(interval_rows(conn, dyad, records, lives))
        if len(rows) >= 20_000:
            conn.executemany(_INSERT, rows)
            rows.clear()

    for dyad, records in groups:
        fold(dyad, records, dyad not in fresh)
    for dyad in dyads_of_entities(conn, moved):
        if dyad not in done:
            fold(dyad, _records(conn, dyad), True)
    conn.executemany(_INSERT, rows)


def interval_rows(
    conn: sqlite3.Connection,
    dyad: Dyad,
    records: list[Record],
    lives: dict[str, list[Record]],
) -> list[tuple[object, ...]]:
    """The `intervals` rows of a dyad of two entities folded from all its records, bounded by
    both entities' lifespans (`lives` caches each entity's standing lifespan events: pass
    the same dict for the dyads of one refold)."""
    bounds = [r for entity in dyad for r in _lifespans(conn, entity, lives)]
    machine = {r.id for r in (*records, *bounds) if r.machine_coded}
    found = intervals(effective(records), dyad, sorted(bounds, key=lambda r: r.key))
    return [_row(dyad, i, machine) for i in found]


_INSERT = "INSERT INTO intervals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# The stored columns of an event as a Record takes them (tables.E_COLUMNS, which imports this
# module: a test holds the two to the same text).
E_COLUMNS = (
    "e.seq, e.id, e.type, e.actor, e.counterpart, e.valid_time, e.earliest, e.latest, "
    "e.recorded, e.operand, e.withdraws, e.body"
)


def _records(conn: sqlite3.Connection, dyad: Dyad) -> list[Record]:
    """Every event that touches `dyad`, in `seq` order, as folds read them (without bodies)."""
    rows = conn.execute(
        f"SELECT {F_COLUMNS} FROM dyad_events d "
        "WHERE d.actor = ? AND d.counterpart = ? ORDER BY d.seq",
        dyad,
    )
    return [Record(*row) for row in rows]


def lifespan_records(conn: sqlite3.Connection, entity: str) -> list[Record]:
    """Every stored event of the entity's own dyad, with their bodies: its lifespan events and
    their withdrawals."""
    rows = conn.execute(
        f"SELECT {E_COLUMNS} FROM dyad_events d JOIN events e ON e.seq = d.seq "
        "WHERE d.actor = ? AND d.counterpart = ? ORDER BY d.seq",
        (entity, entity),
    )
    return [Record(*row) for row in rows]


def bounds(
    conn: sqlite3.Connection, dyad: Dyad, known_at: str | None = None, *, curated_only: bool = False
) -> list[Record]:
    """The standing lifespan events of the dyad's entities, in replay order (what timeline's
    `at`, `intervals` and `changes` take as `lifespans`): one query for both entities."""
    rows = conn.execute(_BOTH, (dyad[0], dyad[1]))
    mine: dict[str, list[Record]] = {}
    for row in rows:
        record = Record(*row)
        mine.setdefault(record.actor, []).append(record)
    if not mine:
        return []  # most entities have no lifespan events
    found = [
        r
        for records in mine.values()
        for r in standing_lifespans(records, known_at, curated_only=curated_only)
    ]
    return sorted(found, key=lambda r: r.key)


# Both entities' own dyads: a primary-key seek each (standing_lifespans puts them in order).
_BOTH = " UNION ALL ".join(
    f"SELECT {E_COLUMNS} FROM dyad_events d JOIN events e ON e.seq = d.seq "
    f"WHERE d.actor = ?{n} AND d.counterpart = ?{n}"
    for n in (1, 2)
)


def _lifespans(
    conn: sqlite3.Connection, entity: str, cache: dict[str, list[Record]]
) -> list[Record]:
    if entity not in cache:
        cache[entity] = standing_lifespans(_records(conn, (entity, entity)))
    return cache[entity]


def dyads_of_entities(conn: sqlite3.Connection, entities: list[str]) -> list[Dyad]:
    """Every dyad with events of which one of `entities` is a side (its own dyad left out)."""
    found: set[Dyad] = set()
    for i in range(0, len(entities), 500):
        chunk = entities[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT DISTINCT actor, counterpart FROM dyad_events WHERE actor IN ({marks}) "
            f"OR counterpart IN ({marks})",
            (*chunk, *chunk),
        )
        found.update((a, c) for a, c in rows if a != c)
    return sorted(found)


def all_dyads(conn: sqlite3.Connection) -> Iterator[Dyad]:
    """Every dyad that some event touches (an entity's own, holding its lifespan, left out)."""
    yield from conn.execute(
        "SELECT DISTINCT actor, counterpart FROM dyad_events WHERE actor != counterpart "
        "ORDER BY actor, counterpart"
    )


def _answer(
    value: str, since: str | None, uncertain: int, possible: str, events: str, machine: int
) -> Answer:
    settled = _value(value)
    ids = tuple(orjson.loads(events))
    if uncertain:
        return Answer(settled, since, True, _possible(possible), ids, bool(machine))
    return Answer(settled, since, False, (settled,), ids, bool(machine))


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
    "SELECT * FROM (SELECT dimension, value, since, uncertain, possible, events, machine "
    "FROM intervals "
    f"WHERE actor = ?1 AND counterpart = ?2 AND dimension = '{name}' AND valid_from <= ?3 "
    "ORDER BY valid_from DESC LIMIT 1)"
    for name in DIMENSIONS
)


def counterpart_at(
    conn: sqlite3.Connection, counterpart: str, dimension: str, day: str
) -> dict[str, Answer]:
    """Each actor's answer for `dimension` toward `counterpart` on `day` (initial ones left out)."""
    rows = conn.execute(
        "SELECT actor, value, since, uncertain, possible, events, machine FROM intervals "
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
        "SELECT actor, valid_from, value, since, uncertain, possible, events, machine "
        "FROM intervals "
        "WHERE counterpart = ? AND dimension = ? AND (valid_to IS NULL OR valid_to > ?) "
        "ORDER BY valid_from, actor",
        (counterpart, dimension, after),
    )
    for actor, valid_from, *rest in rows:
        yield actor, valid_from, _answer(*rest)


def world_at(conn: sqlite3.Connection, day: str) -> dict[Dyad, Mapping[str, Answer]]:
    """Every dyad's non-initial dimensions on `day`.

    SQLite gathers each dyad's rows into one JSON text in the scan (the table is in dyad order,
    so no sort), and a dyad's answers are decoded only when first read: a question about
    the whole world seldom reads every answer of every dyad.
    """
    return {(a, c): Standing(text) for a, c, text in conn.execute(_WORLD_AT, (day, day))}


_WORLD_AT = (
    "SELECT actor, counterpart, json_group_array(json_array(dimension, value, since, "
    "uncertain, possible, events, machine)) FROM intervals "
    "WHERE valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) GROUP BY actor, counterpart"
)


class Standing(Mapping[str, Answer]):
    """One dyad's non-initial dimensions on a day (as `dyad_at` gives them), decoded from the
    rows' JSON text when first read."""

    __slots__ = ("_answers", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._answers: dict[str, Answer] | None = None

    def _decoded(self) -> dict[str, Answer]:
        if self._answers is None:
            self._answers = {row[0]: _answer(*row[1:]) for row in orjson.loads(self._text)}
        return self._answers

    def __getitem__(self, dimension: str) -> Answer:
        return self._decoded()[dimension]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return repr(self._decoded())


def dyad_intervals(
    conn: sqlite3.Connection, dyad: Dyad, dimensions: Iterable[str]
) -> dict[str, list[tuple[str, str | None, Answer]]]:
    """Each dimension's intervals of `dyad` in order: (valid_from, valid_to, answer); a
    dimension that never changed has none (a primary-key range read each)."""
    found: dict[str, list[tuple[str, str | None, Answer]]] = {}
    for dimension in dimensions:
        rows = conn.execute(
            "SELECT valid_from, valid_to, value, since, uncertain, possible, events, machine "
            "FROM intervals WHERE actor = ? AND counterpart = ? AND dimension = ? "
            "ORDER BY valid_from",
            (*dyad, dimension),
        )
        found[dimension] = [(start, end, _answer(*rest)) for start, end, *rest in rows]
    return found
