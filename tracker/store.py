"""The SQLite event store: an append-only, hash-chained `events` table and its projections.

Appends run in one `BEGIN IMMEDIATE` transaction: a gapless `seq`, a hash chain over each row
and its predecessor, the derived tables brought up to date, then one commit. Any error rolls
the whole load back. Triggers refuse UPDATE and DELETE on `events`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from . import dates, projection
from .entities import Entity, iso_states, unknown_message
from .errors import TrackerError
from .state import Dyad, dyads
from .timeline import Record

SCHEMA_VERSION = "1"
GENESIS = "0" * 64

_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: record a correction instead'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: record a retraction instead'); END;
"""

Clock = Callable[[], str]
Progress = Callable[[int], None]


def utc_now() -> str:
    """The wall clock, as a transaction timestamp (the default clock of a Store)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def chain(previous: str, seq: int, event_id: str, recorded: str, body: str) -> str:
    """The hash of a row, linking it to the row before."""
    text = "\x1f".join((previous, str(seq), event_id, recorded, body))
    return hashlib.sha256(text.encode()).hexdigest()


def _target(event: Any) -> str | None:
    """The id an event withdraws: a retraction's target or a replacement's `corrects`."""
    from events import EventRetracted

    return event.target if isinstance(event, EventRetracted) else event.corrects


def _affected(event: Any, target: Any) -> set[Dyad]:
    """The dyads an event's arrival can change: its own, and those of the event it withdraws."""
    found = set(dyads(event))
    if target is not None:
        found |= set(dyads(target))
    return found


@attrs.frozen
class AppendReport:
    """What a load did: events added, events already present, dyads refolded."""

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
        self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        if self._version() != SCHEMA_VERSION:
            self._create()

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
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.OperationalError:
            return None
        return None if row is None else str(row[0])

    def _create(self) -> None:
        import sqlite_utils  # only needed once per database: keep it off the query path

        with self.transaction():
            db = sqlite_utils.Database(self.conn)
            db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
            db.table("events").create(
                {
                    "seq": int,
                    "id": str,
                    "type": str,
                    "actor": str,
                    "counterpart": str,
                    "valid_time": str,
                    "earliest": str,
                    "latest": str,
                    "recorded": str,
                    "body": str,
                    "hash": str,
                },
                pk="seq",
                not_null={
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
                },
                if_not_exists=True,
            )
            db.table("events").create_index(["id"], unique=True, if_not_exists=True)
            db.table("entities").create(
                {"id": str, "name": str, "kind": str, "aliases": str}, pk="id", if_not_exists=True
            )
            for statement in (_TRIGGERS + projection.DERIVED).split(";\n"):
                if statement.strip():
                    self.conn.execute(statement)
            db.table("meta").upsert({"key": "schema", "value": SCHEMA_VERSION}, pk="key")

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
        events: Sequence[Any],
        entities: Sequence[Any] = (),
        *,
        progress: Progress | None = None,
    ) -> AppendReport:
        """Append events (Event or ledger.Located) in one transaction; skip ones already stored.

        Raises TrackerError (a LedgerError for located items) and writes nothing if any event
        is invalid: an unknown entity, a retraction of an unknown event.
        """
        from events import EventRetracted, canonical, to_dict

        from .ledger import Located

        with self.transaction() as conn:
            self._put_entities(conn, [e.item if isinstance(e, Located) else e for e in entities])
            known = self._entity_ids(conn)
            last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            seq, previous = last if last is not None else (0, GENESIS)
            batch: dict[str, Any] = {}
            rows: list[tuple[object, ...]] = []
            touches: list[tuple[str, str, int]] = []
            skipped = 0
            for done, item in enumerate(events, 1):
                event = item.item if isinstance(item, Located) else item
                fail = item.error if isinstance(item, Located) else TrackerError
                content = canonical(event)
                event_id = hashlib.sha256(content.encode()).hexdigest()[:24]
                if event_id in batch or self._has(conn, event_id):
                    skipped += 1
                    continue
                for entity_id in (event.actor, event.counterpart):
                    if entity_id not in known:
                        raise fail(f"{event.type}: {unknown_message(entity_id, known)}")
                target = _target(event)
                target_event = (
                    None if target is None else batch.get(target) or self._event(conn, target)
                )
                if target is not None and target_event is None:
                    raise fail(f"{event.type}: no stored event has id {target!r}")
                if (
                    isinstance(event, EventRetracted)
                    and target_event is not None
                    and (
                        (event.actor, event.counterpart)
                        != (target_event.actor, target_event.counterpart)
                    )
                ):
                    raise fail(
                        f"event_retracted: actor and counterpart must be the target's "
                        f"({target_event.actor} -> {target_event.counterpart})"
                    )
                affected = _affected(event, target_event)
                window = dates.parse(event.on)
                recorded = event.recorded or self.clock()
                stored = to_dict(event)
                stored.pop("recorded", None)
                body = json.dumps(stored, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                seq += 1
                previous = chain(previous, seq, event_id, recorded, body)
                rows.append(
                    (
                        seq,
                        event_id,
                        event.type,
                        event.actor,
                        event.counterpart,
                        event.on,
                        window.earliest,
                        window.latest,
                        recorded,
                        body,
                        previous,
                    )
                )
                touches.extend((actor, counterpart, seq) for actor, counterpart in affected)
                batch[event_id] = event
                if progress is not None and done % 1000 == 0:
                    progress(1000)
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            projection.index(conn, touches)
            touched = sorted({(a, c) for a, c, _ in touches})
            projection.refresh(conn, touched, lambda dyad: self._records(conn, dyad))
        return AppendReport(len(rows), skipped, len(touched), tuple(batch))

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
    def _has(conn: sqlite3.Connection, event_id: str) -> bool:
        return conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None

    @staticmethod
    def _event(conn: sqlite3.Connection, event_id: str) -> Any:
        from events import from_dict

        row = conn.execute("SELECT body FROM events WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else from_dict(json.loads(row[0]))

    # -- reading --------------------------------------------------------------------------

    @staticmethod
    def _record(row: Sequence[Any]) -> Record:
        from events import from_dict

        seq, event_id, body, earliest, latest, recorded = row
        return Record(seq, event_id, from_dict(json.loads(body)), earliest, latest, recorded)

    def _records(self, conn: sqlite3.Connection, dyad: Dyad) -> list[Record]:
        rows = conn.execute(
            "SELECT e.seq, e.id, e.body, e.earliest, e.latest, e.recorded FROM dyad_events d "
            "JOIN events e ON e.seq = d.seq WHERE d.actor = ? AND d.counterpart = ? ORDER BY e.seq",
            dyad,
        )
        return [self._record(row) for row in rows]

    def event(self, event_id: str) -> Any:
        """The stored event with this id, or None."""
        return self._event(self.conn, event_id)

    def records(self, dyad: Dyad) -> list[Record]:
        """Every stored event that touches `dyad` (retractions included), in `seq` order."""
        return self._records(self.conn, dyad)

    def scan(self, after: int = 0) -> Iterator[Record]:
        """Every stored event after `seq`, in `seq` order, streamed from the cursor."""
        rows = self.conn.execute(
            "SELECT seq, id, body, earliest, latest, recorded FROM events "
            "WHERE seq > ? ORDER BY seq",
            (after,),
        )
        for row in rows:
            yield self._record(row)

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
            raise TrackerError(
                f"{'no' if not found else 'more than one'} event id starts with {prefix!r}"
            )
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
                data = json.loads(body)
                found[event_id] = {
                    "type": kind,
                    "on": on,
                    "recorded": recorded,
                    "sources": data.get("sources", []),
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
        """Whether `entity_id` is declared, a state code, or named by a stored event."""
        if self.conn.execute("SELECT 1 FROM entities WHERE id = ?", (entity_id,)).fetchone():
            return True
        return (
            self.conn.execute(
                "SELECT 1 FROM dyad_events WHERE actor = ? LIMIT 1", (entity_id,)
            ).fetchone()
            is not None
            or entity_id in iso_states()
        )

    # -- maintenance ----------------------------------------------------------------------

    def rebuild(self, *, progress: Progress | None = None) -> int:
        """Drop the derived tables and rebuild them from `events`; return the events read."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM dyad_events")
            conn.execute("DELETE FROM intervals")
            count = 0
            for record in self.scan():
                target = _target(record.event)
                target_event = None if target is None else self._event(conn, target)
                affected = _affected(record.event, target_event)
                projection.index(conn, ((a, c, record.seq) for a, c in affected))
                count += 1
                if progress is not None and count % 1000 == 0:
                    progress(1000)
            projection.refresh(
                conn, list(projection.all_dyads(conn)), lambda d: self._records(conn, d)
            )
        return count

    def verify(self) -> list[Problem]:
        """Check the chain, the ids, the derived columns and the triggers; empty when all hold."""
        from events import EventFormatError, event_id, from_dict

        problems: list[Problem] = []
        triggers = {
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
            )
        }
        for name in ("events_no_update", "events_no_delete"):
            if name not in triggers:
                problems.append(Problem(None, f"trigger {name} is missing: events can be edited"))
        previous, expected = GENESIS, 1
        rows = self.conn.execute(
            "SELECT seq, id, type, actor, counterpart, valid_time, earliest, latest, recorded, "
            "body, hash FROM events ORDER BY seq"
        )
        for (
            seq,
            eid,
            kind,
            actor,
            counterpart,
            on,
            earliest,
            latest,
            recorded,
            body,
            stored,
        ) in rows:
            reason = None
            if seq != expected:
                reason = f"seq {expected} is missing"
            elif chain(previous, seq, eid, recorded, body) != stored:
                reason = "hash chain broken: the row or one before it was changed"
            else:
                try:
                    event = from_dict(json.loads(body))
                    window = dates.parse(event.on)
                except (ValueError, EventFormatError) as error:
                    reason = f"body does not read as an event: {error}"
                else:
                    if event_id(event) != eid:
                        reason = "id does not match the event's content"
                    elif (kind, actor, counterpart, on, earliest, latest) != (
                        event.type,
                        event.actor,
                        event.counterpart,
                        event.on,
                        window.earliest,
                        window.latest,
                    ):
                        reason = "columns do not match the event's content"
            if reason is not None:
                problems.append(Problem(seq, reason))
                break
            previous, expected = stored, expected + 1
        return problems
