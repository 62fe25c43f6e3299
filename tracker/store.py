"""The SQLite event store: an append-only, hash-chained `events` table and its projections.

`Store` is the one way in. Appends run in one `BEGIN IMMEDIATE` transaction (the pipeline is in
`appending.py`): a gapless `seq`, a hash chain over each row and its predecessor, the derived
tables brought up to date, then one commit. Any error rolls the whole load back. Triggers
refuse UPDATE and DELETE on `events` (the tables are in `tables.py`, the checks of `verify`
in `verify.py`).

Besides the event's JSON `body`, each row keeps the columns the reducers and queries need
(type, actor, counterpart, valid time, operand, the id it withdraws), so projections are
rebuilt without decoding a single body; `verify` checks those columns against the body.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from . import projection, storefile, tables
from .appending import AppendReport, Progress, tuned
from .entities import Entity, iso_states
from .errors import TrackerError
from .reducers import Dyad
from .tables import COLUMNS
from .timeline import Record

if TYPE_CHECKING:
    from .verify import Head, Problem

__all__ = ["AppendReport", "Seeder", "Store", "utc_now"]

Clock = Callable[[], str]
# Seeds a store inside the transaction that creates it, given the connection and the time;
# returns what it seeded, in words (kept in `meta` as `seeded`).
Seeder = Callable[[sqlite3.Connection, str], str]


def utc_now() -> str:
    """The wall clock, as a transaction timestamp (the default clock of a Store)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


# Questions read the file through a memory map (no copy into SQLite's page cache per page
# read: a point question seeks down the intervals' key once per dimension). Loads and
# rebuilds turn it off while they run (appending.tuned), so their memory stays their own.
READ_MMAP_BYTES = 1 << 30


class Store:
    """An event store in one SQLite file.

    Opening never writes to a file that is not a store of ours (storefile.inspect looks first,
    read-only). A new store is created, and seeded by `seed` if given, in one transaction under
    the write lock, so any number of processes may race to create it: one does, the others
    find it made. With `create=False` a missing or empty file is refused instead.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = utc_now,
        timeout: float = 60.0,
        create: bool = True,
        seed: Seeder | None = None,
    ) -> None:
        self.path = str(path)
        self.clock = clock
        self.created: str | None = None  # what opening created: None, or what it seeded
        self._known: set[str] = set()  # entity ids found to be known (see known_entity)
        kind = storefile.inspect(self.path)
        if kind != "ours" and not create:
            what = "does not exist" if kind == "missing" else "is empty"
            raise TrackerError(f"{self.path}: no tracker store here yet (the file {what})")
        self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        try:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")
            if kind != "ours" or not self._ready(seed):
                self._settle(seed)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection; using the store afterwards raises TrackerError."""
        if not isinstance(self.conn, _Closed):
            self.conn.close()
            self.conn = _Closed(self.path)  # type: ignore[assignment]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        return tables.meta(self.conn, key)

    @property
    def seeded(self) -> str | None:
        """What the store was seeded with when it was created ("" if created empty on
        purpose; None for a store made before this was recorded)."""
        return self._meta("seeded")

    def _ready(self, seed: Seeder | None) -> bool:
        """Whether a store of ours needs nothing done before use (read without the lock)."""
        try:
            found = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError:
            return False
        unseeded = "seeded" not in found and seed is not None and self._empty()
        return (
            found.get("schema") == tables.SCHEMA_VERSION
            and found.get("derived") == projection.VERSION
            and not unseeded
        )

    def _empty(self) -> bool:
        """No event and no entity stored (an interrupted first use, before seeding was kept
        in the same transaction as the creation)."""
        query = "SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM entities)"
        return not self.conn.execute(query).fetchone()[0]

    def _settle(self, seed: Seeder | None) -> None:
        """Create, upgrade or finish seeding the store, under the write lock (whatever another
        process did while this one waited is seen here, inside the transaction)."""
        with self.transaction() as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if not names:
                tables.create(conn)
                self._seed(conn, seed)
                return
            version = tables.meta(conn, "schema") if "meta" in names else None
            if version is None or not {"events", "entities"} <= names:
                raise TrackerError(f"{self.path}: not a tracker store; it was left untouched")
            if version == "1":
                tables.upgrade(conn, self.clock())
            elif version != tables.SCHEMA_VERSION:
                raise TrackerError(
                    f"{self.path}: written by a newer version of the tracker (store schema "
                    f"{version}, this version reads {tables.SCHEMA_VERSION}); upgrade the tracker"
                )
            if tables.meta(conn, "derived") != projection.VERSION:
                # a store written by an earlier version: its derived tables are laid out anew
                for table in projection.TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
                tables.create_derived(conn)
                self._refill(conn)
            if tables.meta(conn, "seeded") is None and seed is not None and self._empty():
                self._seed(conn, seed)

    def _seed(self, conn: sqlite3.Connection, seed: Seeder | None) -> None:
        """Seed a new store inside its creating transaction and record with what."""
        what = "" if seed is None else seed(conn, self.clock())
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('seeded', ?)", (what,))
        if seed is not None:
            self.created = what

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
        """
        from .appending import append

        with self.transaction() as conn:
            return append(conn, events, entities, self.clock(), progress)

    def reach(self, record: Record, batch: Mapping[str, Record] | None = None) -> set[Dyad]:
        """The dyads a record's arrival can change: its own, and down its chain of withdrawals,
        those of every event it withdraws (or, withdrawing a retraction, restores)."""
        return tables.reach(self.conn, record, batch)

    # -- reading --------------------------------------------------------------------------

    def event(self, event_id: str) -> Any:
        """The stored event with this id, or None."""
        record = tables.stored(self.conn, event_id)
        return None if record is None else record.event

    def stored(self, event_id: str) -> Record | None:
        """The stored record with this id, or None."""
        return tables.stored(self.conn, event_id)

    def records(self, dyad: Dyad, types: Collection[str] | None = None) -> list[Record]:
        """Every stored event that touches `dyad` (retractions included), in `seq` order.

        With `types`, only events of those types and those that withdraw another event.
        """
        return tables.records(self.conn, dyad, types)

    def in_replay_order(self, dyad: Dyad) -> Iterator[Record]:
        """Every stored event that touches `dyad`, in replay order, streamed from the cursor
        (SQLite sorts on disk past its cache: memory stays flat on a dyad of any size)."""
        return self._streamed(tables.in_replay_order(self.conn, dyad))

    def scan(self, after: int = 0) -> Iterator[Record]:
        """Every stored event after `seq`, in `seq` order, streamed from the cursor."""
        rows = self.conn.execute(
            f"SELECT {COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (after,)
        )
        return self._streamed(Record(*row) for row in rows)

    def _streamed(self, records: Iterator[Record]) -> Iterator[Record]:
        try:
            yield from records
        except sqlite3.ProgrammingError:  # the store was closed while this was read
            raise TrackerError(f"the store {self.path} was closed while it was read") from None

    def count(self) -> int:
        """How many events are stored."""
        return int(self.conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def head(self) -> tuple[int, str]:
        """The last `seq` and its chain hash (0 and the genesis hash when empty)."""
        return tables.head(self.conn)

    def entity_head(self) -> tuple[int, str]:
        """The last entity declaration's `seq` in the entity log and its chain hash."""
        return tables.entity_head(self.conn)

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

    def declarations(self) -> Iterator[Entity]:
        """Every declaration of an entity, in the order recorded (revisions marked `revise`)."""
        seen: set[str] = set()
        rows = self.conn.execute(
            "SELECT id, name, kind, aliases, recorded FROM entity_log ORDER BY seq"
        )
        for i, n, k, a, recorded in rows:
            yield Entity(i, n, k, tuple(json.loads(a)), revise=i in seen, recorded=recorded)
            seen.add(i)

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
        with self.transaction() as conn, tuned(conn):
            conn.execute("DELETE FROM dyad_events")
            conn.execute("DELETE FROM intervals")
            return self._refill(conn, progress)

    def _refill(self, conn: sqlite3.Connection, progress: Progress | None = None) -> int:
        """Fill the empty derived tables from `events`: the dyads in SQL, then one dyad's
        events at a time folded into intervals."""
        tables.fill_dyad_index(conn)
        done = 0

        def counted() -> Iterator[tuple[Dyad, list[Record]]]:
            nonlocal done
            for dyad, records in tables.groups(conn):
                yield dyad, records
                done += len(records)
                if progress is not None and done >= 1000:
                    progress(done)
                    done = 0

        with projection.index_after(conn, empty=True):
            projection.refresh(conn, counted(), _Everything())
        return self.count()

    def verify(
        self, expect: Head | None = None, *, progress: Progress | None = None
    ) -> list[Problem]:
        """Check everything the store holds (verify.py says what); empty when all holds.

        With `expect` (a head an earlier `verify` printed), also that the log still holds it:
        the one check that catches a cut tail or a consistent rewrite.
        """
        from .verify import verify

        return verify(self.conn, expect, progress)


class _Everything:
    """A container holding every dyad (all are fresh after the derived tables were emptied)."""

    def __contains__(self, _: object) -> bool:
        return True


class _Closed:
    """Stands in for the connection of a closed store: any use is a TrackerError."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __getattr__(self, name: str) -> Any:
        raise TrackerError(f"the store {self._path} is closed")
