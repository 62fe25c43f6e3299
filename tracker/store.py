"""The SQLite event store: an append-only, hash-chained `events` table and its projections.

Appends run in one `BEGIN IMMEDIATE` transaction: a gapless `seq`, a hash chain over each row
and its predecessor, the derived tables brought up to date, then one commit. Any error rolls
the whole load back. Triggers refuse UPDATE and DELETE on `events`.

Besides the event's JSON `body`, each row keeps the columns the reducers and queries need
(type, actor, counterpart, valid time, operand, the id it withdraws), so projections are
rebuilt without decoding a single body; `verify` checks those columns against the body.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import groupby, islice
from pathlib import Path
from typing import Any

import attrs
import orjson

from . import projection
from .entities import Entity, iso_states, unknown_message
from .errors import TrackerError
from .reducers import MIRROR_RULES, Dyad, dyads_of
from .timeline import Record

SCHEMA_VERSION = "1"
GENESIS = "0" * 64
COLUMNS = (
    "seq, id, type, actor, counterpart, valid_time, earliest, latest, recorded, operand, "
    "withdraws, body"
)
E_COLUMNS = ", ".join(f"e.{c}" for c in COLUMNS.split(", "))  # the same, of `events AS e`

_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: record a correction instead'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: record a retraction instead'); END;
"""

CHUNK = 5_000  # records written at a time within a load's transaction (bounds memory)
MAX_REPORTED_IDS = 100_000  # ids an AppendReport lists (the count is always exact)
LOAD_CACHE_KIB = -65_536  # a load's page cache: 64 MiB (negative: in KiB, as SQLite takes it)
LOAD_GC_THRESHOLD = 50_000  # a load's first-generation garbage collection threshold

Clock = Callable[[], str]
Progress = Callable[[int], None]
# An event read for appending: the event, how to report it, its id, stored body, recorded time.
_Pending = tuple[Any, Callable[[str], TrackerError], str, str, str]


def utc_now() -> str:
    """The wall clock, as a transaction timestamp (the default clock of a Store)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def chain(previous: str, seq: int, event_id: str, recorded: str, body: str) -> str:
    """The hash of a row, linking it to the row before."""
    import hashlib  # not at the top: queries need not load OpenSSL

    text = "\x1f".join((previous, str(seq), event_id, recorded, body))
    return hashlib.sha256(text.encode()).hexdigest()


@attrs.frozen
class AppendReport:
    """What a load did: events added, events already present, dyads refolded, new ids."""

    added: int
    skipped: int
    dyads: int
    ids: tuple[str, ...] = ()


@attrs.frozen
class Problem:
    """A verification failure: the first bad row and why."""

    seq: int | None
    reason: str


class Store:
    """An event store in one SQLite file."""

    def __init__(self, path: str | Path, *, clock: Clock = utc_now, timeout: float = 60.0) -> None:
        self.path = str(path)
        self.clock = clock
        self._known: set[str] = set()  # entity ids found to be known (see known_entity)
        self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        if self._version() != SCHEMA_VERSION:
            self._create()
        if self._meta("derived") != projection.VERSION:
            self._upgrade_derived()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------

    def _version(self) -> str | None:
        try:
            return self._meta("schema")
        except sqlite3.OperationalError:
            return None

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _upgrade_derived(self) -> None:
        """Recreate the derived tables in the current layout and refill them from `events`
        (a store written by an earlier version; once)."""
        with self.transaction() as conn:
            if self._meta("derived") == projection.VERSION:
                return  # another process did it while this one waited for the lock
            for table in projection.TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._create_derived(conn)
            self._refill(conn)

    def _create(self) -> None:
        import sqlite_utils  # only needed once per database: keep it off the query path

        with self.transaction():
            db = sqlite_utils.Database(self.conn)
            db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
            text = (
                "id",
                "type",
                "actor",
                "counterpart",
                "valid_time",
                "earliest",
                "latest",
                "recorded",
                "body",
                "hash",
            )
            db.table("events").create(
                {
                    "seq": int,
                    **dict.fromkeys(text[:8], str),
                    "operand": str,
                    "withdraws": str,
                    "body": str,
                    "hash": str,
                },
                pk="seq",
                not_null=set(text),
                if_not_exists=True,
            )
            db.table("events").create_index(["id"], unique=True, if_not_exists=True)
            db.table("events").create_index(
                ["earliest", "latest", "seq"], index_name="events_replay", if_not_exists=True
            )
            db.table("entities").create(
                {"id": str, "name": str, "kind": str, "aliases": str}, pk="id", if_not_exists=True
            )
            for statement in _TRIGGERS.split(";\n"):
                if statement.strip():
                    self.conn.execute(statement)
            self._create_derived(self.conn)
            db.table("meta").upsert({"key": "schema", "value": SCHEMA_VERSION}, pk="key")

    @staticmethod
    def _create_derived(conn: sqlite3.Connection) -> None:
        for statement in projection.DERIVED.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(
            "INSERT INTO meta VALUES ('derived', ?) ON CONFLICT (key) DO UPDATE SET value = ?",
            (projection.VERSION, projection.VERSION),
        )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE); rolled back on any error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- writing --------------------------------------------------------------------------

    def append(
        self,
        events: Iterable[Any],
        entities: Sequence[Any] = (),
        *,
        progress: Progress | None = None,
    ) -> AppendReport:
        """Append events (Event or ledger.Located) in one transaction; skip ones already stored.

        Raises TrackerError (a LedgerError for located items) and writes nothing if any event
        is invalid: an unknown entity, a retraction of an unknown event.

        Events are read a block at a time, as many as the pending chunk has room for, so the
        block's ids are looked up in `events` with one query per 500 ids: nothing is written
        within a block, so each answer is what a lookup at that event would have found.
        """
        from .ledger import Located

        with self.transaction() as conn, self._tuned(conn), _fewer_collections():
            self._put_entities(conn, [e.item if isinstance(e, Located) else e for e in entities])
            known = self._entity_ids(conn)
            old_head, previous = self.head()
            seq, now = old_head, self.clock()
            chunk: dict[str, Record] = {}  # the records not yet written
            touches: list[projection.IndexRow] = []
            touched: set[Dyad] = set()
            existed: set[Dyad] = set()  # touched dyads that had events before this load
            ids: list[str] = []
            skipped = done = 0
            items = iter(events)
            while True:
                room = CHUNK - len(chunk)
                block, error = _read(items, room, now)
                present = self._present(conn, block) if seq > len(chunk) else set()
                for event, fail, event_id, body, recorded in block:
                    done += 1
                    if progress is not None and done % 1000 == 0:
                        progress(1000)
                    if event_id in chunk or event_id in present:
                        skipped += 1
                        continue
                    for entity_id in (event.actor, event.counterpart):
                        if entity_id not in known:
                            raise fail(f"{event.type}: {unknown_message(entity_id, known)}")
                    seq += 1
                    record = Record.of(seq, event, recorded, event_id, body)
                    self._check_withdrawal(conn, record, chunk, fail)
                    for dyad in self.reach(record, chunk):
                        if dyad not in touched:
                            touched.add(dyad)
                            if old_head and self._dyad_exists(conn, dyad):
                                existed.add(dyad)
                        touches.append((*dyad, seq, record.type, record.withdraws is not None))
                    chunk[event_id] = record
                    if len(ids) < MAX_REPORTED_IDS:
                        ids.append(event_id)
                if len(chunk) >= CHUNK:
                    previous = self._flush(conn, chunk, touches, previous)
                if error is not None:
                    raise error
                if len(block) < room:
                    break
            self._flush(conn, chunk, touches, previous)
            if len(touched) - len(existed) > 1000:  # many new dyads: read them back in one scan
                groups = (
                    (dyad, records)
                    for dyad, records in self._groups(conn, after=old_head)
                    if dyad not in existed
                )
                projection.refresh(conn, groups, touched - existed)
                touched_again = sorted(existed)
            else:
                touched_again = sorted(touched)
            projection.refresh(
                conn, ((d, self._records(conn, d)) for d in touched_again), touched - existed
            )
        return AppendReport(seq - old_head, skipped, len(touched), tuple(ids))

    def _check_withdrawal(
        self,
        conn: sqlite3.Connection,
        record: Record,
        chunk: Mapping[str, Record],
        fail: Callable[[str], TrackerError],
    ) -> None:
        """Refuse a retraction or correction whose target is unknown, or a retraction from
        another dyad than its target's."""
        if record.withdraws is None:
            return
        target = chunk.get(record.withdraws) or self._stored(conn, record.withdraws)
        if target is None:
            raise fail(f"{record.type}: no stored event has id {record.withdraws!r}")
        if record.type == "event_retracted" and (
            (target.actor, target.counterpart) != (record.actor, record.counterpart)
        ):
            raise fail(
                "event_retracted: actor and counterpart must be the target's "
                f"({target.actor} -> {target.counterpart})"
            )

    @staticmethod
    def _present(conn: sqlite3.Connection, block: Sequence[_Pending]) -> set[str]:
        """The ids of the block's events that `events` already holds."""
        wanted = [pending[2] for pending in block]
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ", ".join("?" * len(part))
            rows = conn.execute(f"SELECT id FROM events WHERE id IN ({marks})", part)
            found.update(row[0] for row in rows)
        return found

    @staticmethod
    @contextmanager
    def _tuned(conn: sqlite3.Connection) -> Iterator[None]:
        """A bigger page cache for the duration of a load (the default is 2 MB)."""
        before = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute(f"PRAGMA cache_size = {LOAD_CACHE_KIB}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA cache_size = {int(before)}")

    def _flush(
        self,
        conn: sqlite3.Connection,
        chunk: dict[str, Record],
        touches: list[projection.IndexRow],
        previous: str,
    ) -> str:
        """Write the pending records and their dyad index rows; return the chain's new head."""
        previous = self._insert(conn, chunk.values(), previous)
        projection.index(conn, touches)
        chunk.clear()
        touches.clear()
        return previous

    @staticmethod
    def _insert(conn: sqlite3.Connection, records: Iterable[Record], previous: str) -> str:
        rows = []
        for r in records:
            previous = chain(previous, r.seq, r.id, r.recorded, r.body)
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
            f"INSERT INTO events ({COLUMNS}, hash) VALUES ({', '.join('?' * 13)})", rows
        )
        return previous

    def _put_entities(self, conn: sqlite3.Connection, entities: Iterable[Entity]) -> None:
        conn.executemany(
            "INSERT INTO entities VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "name = excluded.name, kind = excluded.kind, aliases = excluded.aliases",
            [(e.id, e.name, e.kind, json.dumps(list(e.aliases))) for e in entities],
        )

    def _entity_ids(self, conn: sqlite3.Connection) -> set[str]:
        declared = {row[0] for row in conn.execute("SELECT id FROM entities")}
        return declared | set(iso_states())

    @staticmethod
    def _dyad_exists(conn: sqlite3.Connection, dyad: Dyad) -> bool:
        found = conn.execute(
            "SELECT 1 FROM dyad_events WHERE actor = ? AND counterpart = ? LIMIT 1", dyad
        ).fetchone()
        return found is not None

    @staticmethod
    def _stored(conn: sqlite3.Connection, event_id: str) -> Record | None:
        row = conn.execute(f"SELECT {COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else Record(*row)

    def reach(self, record: Record, batch: Mapping[str, Record] | None = None) -> set[Dyad]:
        """The dyads a record's arrival can change: its own, and down its chain of withdrawals,
        those of every event it withdraws (or, withdrawing a retraction, restores)."""
        found = set(dyads_of(record.type, record.actor, record.counterpart))
        target_id, seen = record.withdraws, set()
        while target_id is not None and target_id not in seen:
            seen.add(target_id)
            target = (batch or {}).get(target_id) or self._stored(self.conn, target_id)
            if target is None:
                break
            found |= set(dyads_of(target.type, target.actor, target.counterpart))
            target_id = target.withdraws
        return found

    # -- reading --------------------------------------------------------------------------

    @staticmethod
    def _groups(conn: sqlite3.Connection, after: int = 0) -> Iterator[tuple[Dyad, list[Record]]]:
        """Every dyad with events after `seq`, with all of those events, in one ordered scan."""
        rows = conn.execute(
            f"SELECT d.actor, d.counterpart, {E_COLUMNS} FROM dyad_events d "
            "JOIN events e ON e.seq = d.seq WHERE d.seq > ? ORDER BY d.actor, d.counterpart, d.seq",
            (after,),
        )
        for dyad, group in groupby(rows, key=lambda row: (row[0], row[1])):
            yield dyad, [Record(*row[2:]) for row in group]

    @staticmethod
    def _records(
        conn: sqlite3.Connection, dyad: Dyad, types: Collection[str] | None = None
    ) -> list[Record]:
        kinds = sorted(types or ())
        marks = ", ".join("?" * len(kinds))
        rows = conn.execute(
            f"SELECT {E_COLUMNS} FROM dyad_events d JOIN events e ON e.seq = d.seq "
            "WHERE d.actor = ? AND d.counterpart = ? "
            f"AND (? OR d.type IN ({marks}) OR d.withdraws) ORDER BY d.seq",
            (*dyad, types is None, *kinds),
        )
        return [Record(*row) for row in rows]

    def event(self, event_id: str) -> Any:
        """The stored event with this id, or None."""
        record = self._stored(self.conn, event_id)
        return None if record is None else record.event

    def stored(self, event_id: str) -> Record | None:
        """The stored record with this id, or None."""
        return self._stored(self.conn, event_id)

    def records(self, dyad: Dyad, types: Collection[str] | None = None) -> list[Record]:
        """Every stored event that touches `dyad` (retractions included), in `seq` order.

        With `types`, only events of those types and those that withdraw another event.
        """
        return self._records(self.conn, dyad, types)

    def scan(self, after: int = 0) -> Iterator[Record]:
        """Every stored event after `seq`, in `seq` order, streamed from the cursor."""
        rows = self.conn.execute(
            f"SELECT {COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (after,)
        )
        for row in rows:
            yield Record(*row)

    def count(self) -> int:
        """How many events are stored."""
        return int(self.conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def head(self) -> tuple[int, str]:
        """The last `seq` and its chain hash (0 and the genesis hash when empty)."""
        row = self.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def resolve(self, prefix: str) -> str:
        """The full id of the one event whose id starts with `prefix`."""
        if not prefix or not all(c in "0123456789abcdef" for c in prefix):
            raise TrackerError(f"{prefix!r} is not an event id (hexadecimal)")
        found = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM events WHERE id >= ? AND id < ? LIMIT 2", (prefix, prefix + "g")
            )
        ]
        if len(found) != 1:
            many = "no" if not found else "more than one"
            raise TrackerError(f"{many} event id starts with {prefix!r}")
        return str(found[0])

    def sources(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The type, date and sources of each event id (read from the stored bodies)."""
        wanted = sorted(set(ids))
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            for event_id, kind, on, recorded, body in self.conn.execute(
                f"SELECT id, type, valid_time, recorded, body FROM events WHERE id IN ({marks})",
                chunk,
            ):
                found[event_id] = {
                    "type": kind,
                    "on": on,
                    "recorded": recorded,
                    "sources": orjson.loads(body).get("sources", []),
                }
        return found

    def entities(self) -> list[Entity]:
        """The declared entities, by id."""
        rows = self.conn.execute("SELECT id, name, kind, aliases FROM entities ORDER BY id")
        return [Entity(i, n, k, tuple(json.loads(a))) for i, n, k, a in rows]

    def dyads_toward(self, counterpart: str) -> list[str]:
        """The actors of every dyad toward `counterpart` that some event touches."""
        rows = self.conn.execute(
            "SELECT DISTINCT actor FROM dyad_events WHERE counterpart = ? ORDER BY actor",
            (counterpart,),
        )
        return [row[0] for row in rows]

    def known_entity(self, entity_id: str) -> bool:
        """Whether `entity_id` is declared, a state code, or named by a stored event.

        Entities are never removed, so one found once is remembered for this connection.
        """
        if entity_id in self._known:
            return True
        found = (
            self.conn.execute("SELECT 1 FROM entities WHERE id = ?", (entity_id,)).fetchone()
            or self.conn.execute(
                "SELECT 1 FROM dyad_events WHERE actor = ? LIMIT 1", (entity_id,)
            ).fetchone()
            or entity_id in iso_states()
        )
        if found:
            self._known.add(entity_id)
        return bool(found)

    # -- maintenance ----------------------------------------------------------------------

    def rebuild(self, *, progress: Progress | None = None) -> int:
        """Empty the derived tables and rebuild them from `events`; return the events read."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM dyad_events")
            conn.execute("DELETE FROM intervals")
            return self._refill(conn, progress)

    def _refill(self, conn: sqlite3.Connection, progress: Progress | None = None) -> int:
        """Fill the empty derived tables from `events`: the dyads in SQL, then one dyad's
        events at a time folded into intervals."""
        # every event moves its own dyad, symmetric and envoy events the mirror one too
        # (as reducers.dyads_of says), and a withdrawal those of the events it withdraws
        columns = "seq, type, withdraws IS NOT NULL FROM events"
        conn.execute(f"INSERT INTO dyad_events SELECT actor, counterpart, {columns}")
        mirrored = sorted(MIRROR_RULES)
        marks = ", ".join("?" * len(mirrored))
        conn.execute(
            f"INSERT OR IGNORE INTO dyad_events SELECT counterpart, actor, {columns} "
            f"WHERE type IN ({marks})",
            mirrored,
        )
        withdrawals = conn.execute(f"SELECT {COLUMNS} FROM events WHERE withdraws IS NOT NULL")
        for row in withdrawals.fetchall():
            record = Record(*row)
            projection.index(
                conn, [(a, c, record.seq, record.type, True) for a, c in self.reach(record)]
            )
        done = 0

        def counted() -> Iterator[tuple[Dyad, list[Record]]]:
            nonlocal done
            for dyad, records in self._groups(conn):
                yield dyad, records
                done += len(records)
                if progress is not None and done >= 1000:
                    progress(done)
                    done = 0

        projection.refresh(conn, counted(), _Everything())
        return self.count()

    def verify(self) -> list[Problem]:
        """Check the chain, the ids, the derived columns and the triggers; empty when all hold."""
        from .verify import verify

        return verify(self)


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


def _read(items: Iterator[Any], count: int, now: str) -> tuple[list[_Pending], Exception | None]:
    """Up to `count` events from `items`, each with its id and stored body (`now` as recorded
    time if it has none); and the error that stopped the reading, if one did: the caller raises
    it once the events read before it are appended, so the first bad event is the one reported.
    """
    from events import dumps, to_dict

    from .ledger import Located

    block: list[_Pending] = []
    try:
        for item in islice(items, count):
            fail: Callable[[str], TrackerError] = TrackerError
            if isinstance(item, Located):  # read by the ledger module: already validated
                event, fail = item.item, item.error
            else:
                event = _validated(item)
            stored = to_dict(event)
            recorded = stored.pop("recorded", None) or now
            body = dumps(stored)
            block.append((event, fail, _content_id(body, stored), body, recorded))
    except Exception as error:  # raised by the caller, in its turn
        return block, error
    return block, None


def _content_id(body: str, stored: dict[str, Any]) -> str:
    """The event id: the hash of the body, without the schema version if it has one."""
    if "schema" in stored:
        from events import dumps

        body = dumps({k: v for k, v in stored.items() if k != "schema"})
    import hashlib

    return hashlib.sha256(body.encode()).hexdigest()[:24]


class _Everything:
    """A container holding every dyad (all are fresh after the derived tables were emptied)."""

    def __contains__(self, _: object) -> bool:
        return True


def _validated(event: Any) -> Any:
    """An event handed in directly, checked as a ledger's would be (dates, sources, dyad)."""
    from .ledger import validate

    try:
        return validate(event)
    except ValueError as error:  # DateError included
        raise TrackerError(f"{event.type}: {error}") from None
