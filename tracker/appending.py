"""The append pipeline: validated events in, one transaction out.

Within the caller's write transaction: read a block of events, give each its id and stored
body, skip the ones already stored, refuse an unknown entity or a withdrawal of an unknown
event, number the rest with a gapless `seq`, write them with their hash chain and the dyads
they touch, then refold the touched dyads into the derived tables. Any error raised here rolls
the whole load back (the caller's transaction).
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

import attrs

from . import projection, tables
from .entities import Entity, iso_states, unknown_message
from .entities import state as iso_state
from .errors import TrackerError
from .preparing import Prepared, prepare
from .reducers import Dyad
from .timeline import Record
from .validation import validate_entity

CHUNK = 5_000  # records written at a time within a load's transaction (bounds memory)
MAX_REPORTED_IDS = 100_000  # ids an AppendReport lists (the count is always exact)
LOAD_CACHE_KIB = -65_536  # a load's page cache: 64 MiB (negative: in KiB, as SQLite takes it)
LOAD_GC_THRESHOLD = 50_000  # a load's first-generation garbage collection threshold

Progress = Callable[[int], None]


@attrs.frozen
class AppendReport:
    """What a load did: events added, events already present, dyads refolded, new ids."""

    added: int
    skipped: int
    dyads: int
    ids: tuple[str, ...] = ()


def append(
    conn: sqlite3.Connection,
    events: Iterable[Any],
    entities: Sequence[Any],
    now: str,
    progress: Progress | None = None,
) -> AppendReport:
    """Append events (Event or ledger.Located) inside the caller's transaction; skip ones
    already stored; `now` is the transaction time of events that carry none.

    Raises TrackerError (a LedgerError for located items) if any event is invalid: an unknown
    entity, a retraction of an unknown event.

    Events are read a block at a time, as many as the pending chunk has room for, so the
    block's ids are looked up in `events` with one query per 500 ids: nothing is written
    within a block, so each answer is what a lookup at that event would have found.
    """
    with tuned(conn), _fewer_collections():
        declare(conn, entities, now)
        known = _entity_ids(conn)
        old_head, previous = tables.head(conn)
        seq = old_head
        chunk: dict[str, Record] = {}  # the records not yet written
        touches: list[projection.IndexRow] = []
        touched: set[Dyad] = set()
        existed: set[Dyad] = set()  # touched dyads that had events before this load
        ids: list[str] = []
        skipped = done = 0
        items = iter(events)
        while True:
            room = CHUNK - len(chunk)
            block, error = _read(items, room)
            present = _present(conn, block) if seq > len(chunk) else set()
            for p in block:
                done += 1
                if progress is not None and done % 1000 == 0:
                    progress(1000)
                event_id = p.id
                if event_id in chunk or event_id in present:
                    skipped += 1
                    continue
                for entity_id in p.names:
                    if entity_id not in known:
                        raise p.fail(f"{p.type}: {unknown_message(entity_id, known)}")
                seq += 1
                record = Record(
                    seq, event_id, p.type, p.actor, p.counterpart, p.on, p.earliest, p.latest,
                    p.recorded or now, p.operand, p.withdraws, p.body,
                )  # fmt: skip
                _check_withdrawal(conn, record, chunk, p.fail)
                for dyad in tables.reach(conn, record, chunk):
                    if dyad not in touched:
                        touched.add(dyad)
                        if old_head and tables.dyad_exists(conn, dyad):
                            existed.add(dyad)
                    touches.append(projection.index_row(dyad, record))
                chunk[event_id] = record
                if len(ids) < MAX_REPORTED_IDS:
                    ids.append(event_id)
            if len(chunk) >= CHUNK:
                previous = _flush(conn, chunk, touches, previous)
            if error is not None:
                raise error
            if len(block) < room:
                break
        _flush(conn, chunk, touches, previous)
        with projection.index_after(conn, empty=old_head == 0):
            _project(conn, old_head, touched, existed)
    return AppendReport(seq - old_head, skipped, len(touched), tuple(ids))


def _project(
    conn: sqlite3.Connection, old_head: int, touched: set[Dyad], existed: set[Dyad]
) -> None:
    """Fold the dyads a load touched into intervals: new ones read back in one ordered scan
    when there are many, the others one dyad at a time."""
    if len(touched) - len(existed) > 1000:  # many new dyads: read them back in one scan
        groups = (
            (dyad, records)
            for dyad, records in tables.groups(conn, after=old_head)
            if dyad not in existed
        )
        projection.refresh(conn, groups, touched - existed)
        touched_again = sorted(existed)
    else:
        touched_again = sorted(touched)
    projection.refresh(
        conn,
        ((d, tables.records(conn, d, bodies=False)) for d in touched_again),
        touched - existed,
    )


def _check_withdrawal(
    conn: sqlite3.Connection,
    record: Record,
    chunk: Mapping[str, Record],
    fail: Callable[[str], TrackerError],
) -> None:
    """Refuse a retraction or correction whose target is unknown, or a retraction from
    another dyad than its target's."""
    if record.withdraws is None:
        return
    target = chunk.get(record.withdraws) or tables.stored(conn, record.withdraws)
    if target is None:
        raise fail(f"{record.type}: no stored event has id {record.withdraws!r}")
    if record.type == "event_retracted" and (
        (target.actor, target.counterpart) != (record.actor, record.counterpart)
    ):
        raise fail(
            "event_retracted: actor and counterpart must be the target's "
            f"({target.actor} -> {target.counterpart})"
        )


def _present(conn: sqlite3.Connection, block: Sequence[Prepared]) -> set[str]:
    """The ids of the block's events that `events` already holds."""
    wanted = [pending.id for pending in block]
    found: set[str] = set()
    for i in range(0, len(wanted), 500):
        part = wanted[i : i + 500]
        marks = ", ".join("?" * len(part))
        rows = conn.execute(f"SELECT id FROM events WHERE id IN ({marks})", part)
        found.update(row[0] for row in rows)
    return found


@contextmanager
def tuned(conn: sqlite3.Connection) -> Iterator[None]:
    """For the duration of a load or a rebuild: a bigger page cache (the default is 2 MB),
    and no memory map, so the pages the work reads are not counted in its memory."""
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    mapped = conn.execute("PRAGMA mmap_size").fetchone()  # no row: a database in memory
    conn.execute(f"PRAGMA cache_size = {LOAD_CACHE_KIB}")
    conn.execute("PRAGMA mmap_size = 0")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
        if mapped is not None:
            conn.execute(f"PRAGMA mmap_size = {int(mapped[0])}")


def _flush(
    conn: sqlite3.Connection,
    chunk: dict[str, Record],
    touches: list[projection.IndexRow],
    previous: str,
) -> str:
    """Write the pending records and their dyad index rows; return the chain's new head."""
    previous = _insert(conn, chunk.values(), previous)
    touches.sort()  # in the index's key order: each dyad's rows go in side by side
    projection.index(conn, touches)
    chunk.clear()
    touches.clear()
    return previous


def _insert(conn: sqlite3.Connection, records: Iterable[Record], previous: str) -> str:
    rows = []
    for r in records:
        previous = tables.chain(previous, r.seq, r.id, r.recorded, r.body)
        rows.append(
            (
                r.seq,
                r.id,
                r.type,
                r.actor,
                r.counterpart,
                r.on,
                r.earliest,
                r.latest,
                r.recorded,
                r.operand,
                r.withdraws,
                r.body,
                previous,
            )
        )
    conn.executemany(
        f"INSERT INTO events ({tables.COLUMNS}, hash) VALUES ({', '.join('?' * 13)})", rows
    )
    return previous


def declare(conn: sqlite3.Connection, items: Iterable[Any], now: str) -> int:
    """Record entity declarations (Entity or ledger.Located) in the entity log; return how many
    were new or changed. Declaring again what is stored adds nothing; declaring an entity that
    exists (declared, or an ISO state) with another name, kind or aliases is refused unless the
    declaration says `revise`, and then the change is kept in the log beside the old one.
    """
    from .ledger import Located

    current = {e.id: e for e in _stored_entities(conn)}
    rows: list[tuple[str, str, str, str, str]] = []
    for item in items:
        entity, fail = (
            (item.item, item.error) if isinstance(item, Located) else (item, TrackerError)
        )
        try:
            entity = validate_entity(entity)
        except ValueError as error:
            raise fail(str(error)) from None
        old = current.get(entity.id) or iso_state(entity.id)
        if old == entity:
            continue
        if old is not None and not entity.revise:
            raise fail(
                f"entity {entity.id} is already {_described(old)}; this declares it "
                f"{_described(entity)}: to change it, declare it with revise = true"
            )
        current[entity.id] = entity
        aliases = json.dumps(list(entity.aliases))
        rows.append((entity.id, entity.name, entity.kind, aliases, entity.recorded or now))
    tables.log_entities(conn, rows)
    return len(rows)


def _stored_entities(conn: sqlite3.Connection) -> Iterator[Entity]:
    for i, n, k, a in conn.execute("SELECT id, name, kind, aliases FROM entities"):
        yield Entity(i, n, k, tuple(json.loads(a)))


def _described(entity: Entity) -> str:
    aliases = f", aliases {', '.join(entity.aliases)}" if entity.aliases else ""
    return f"{entity.name!r} ({entity.kind}{aliases})"


def _entity_ids(conn: sqlite3.Connection) -> set[str]:
    declared = {row[0] for row in conn.execute("SELECT id FROM entities")}
    return declared | set(iso_states())


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cycle collector less often for the duration of a load (thresholds restored after).

    A load allocates millions of short-lived objects that reference counting frees, and with
    the default threshold (700) the collector runs thousands of times, walking the whole heap
    every few dozen runs: a tenth of a load's time. Cycles are still collected, just later.
    """
    before = gc.get_threshold()
    if before[0]:  # 0: collection disabled, leave it so
        gc.set_threshold(max(before[0], LOAD_GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _read(items: Iterator[Any], count: int) -> tuple[list[Prepared], Exception | None]:
    """Up to `count` events from `items` (events, or located ones), each ready to append; and
    the error that stopped the reading, if one did: the caller raises it once the events read
    before it are appended, so the first bad event is the one reported.
    """
    block: list[Prepared] = []
    try:
        for item in islice(items, count):
            block.append(prepare(item))
    except Exception as error:  # raised by the caller, in its turn
        return block, error
    return block, None
