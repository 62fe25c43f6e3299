"""The eventsourcing library as a peer of `tracker bench`: the same events, recorded and replayed.

The peer is the `eventsourcing` library (the optional `[bench]` extra) with its SQLite
persistence. It records the synthetic ledger as one aggregate per directed dyad, each dyad's
events triggered in replay order (earliest day, latest day, then the ledger's order), and saves
1,000 aggregates per `Application.save` call (one transaction each), the batching most
favourable to it. Replaying it is `repository.get` of every dyad's aggregate. Its aggregate
keeps only the last operand of each event type: it validates, hashes and folds nothing, and
answers no date, so it does less than our load and our rebuild.

Both phases run in child processes of the runner (`python -m tracker.bench peer-record ...`),
so that each peak RSS is its own; the runner imports this module (and the library) only there.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

SAVE_EVERY = 1_000  # aggregates per Application.save call
NAMESPACE = uuid.UUID("5b399aff-286c-4e93-9f1a-3f0c3d7b2c11")  # fixed: ids are deterministic


def dyad_id(actor: str, counterpart: str) -> uuid.UUID:
    """The aggregate id of a directed dyad."""
    return uuid.uuid5(NAMESPACE, f"{actor}\x1f{counterpart}")


class DyadAggregate(Aggregate):
    """A directed dyad, modelled as the eventsourcing library's documentation models an entity."""

    @staticmethod
    def create_id(actor: str, counterpart: str) -> uuid.UUID:
        """The dyad's deterministic id."""
        return dyad_id(actor, counterpart)

    @event("Opened")
    def __init__(self, actor: str, counterpart: str) -> None:
        self.actor = actor
        self.counterpart = counterpart
        self.last: dict[str, str | None] = {}

    @event("Happened")
    def happened(self, kind: str, on: str, operand: str | None, body: str) -> None:
        """One of the ledger's events: the aggregate keeps its type's last operand."""
        self.last[kind] = operand


def _application(db: str) -> Application[uuid.UUID]:
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db})


def _dyads(ledger: Path) -> dict[tuple[str, str], list[tuple[str, str, int, str, str | None, str]]]:
    """Every event line of the ledger, grouped by dyad, in replay order within each dyad."""
    from ..dates import parse

    grouped: dict[tuple[str, str], list[tuple[str, str, int, str, str | None, str]]] = {}
    with open(ledger, "rb") as handle:
        for number, line in enumerate(handle):
            data = orjson.loads(line)
            if "entity" in data:
                continue
            window = parse(data["on"])
            operand = next((data[k] for k in _OPERANDS if k in data), None)
            grouped.setdefault((data["actor"], data["counterpart"]), []).append(
                (window.earliest, window.latest, number, data["type"], operand, line.decode())
            )
    for events in grouped.values():
        events.sort()
    return grouped


_OPERANDS = ("level", "designation", "measure", "area", "stance")


def record(db: str, ledger: Path) -> tuple[int, float]:
    """Record the ledger's events with the peer; return (events recorded, seconds)."""
    started = time.perf_counter()
    app = _application(db)
    count = 0
    pending: list[DyadAggregate] = []
    for (actor, counterpart), events in _dyads(ledger).items():
        aggregate = DyadAggregate(actor, counterpart)
        for earliest, _, _, kind, operand, body in events:
            aggregate.happened(kind, earliest, operand, body)
        count += len(events)
        pending.append(aggregate)
        if len(pending) == SAVE_EVERY:
            app.save(*pending)
            pending.clear()
    if pending:
        app.save(*pending)
    seconds = time.perf_counter() - started
    app.close()
    return count, seconds


def _ids(db: str) -> Iterator[uuid.UUID]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        for (originator,) in conn.execute(
            "SELECT DISTINCT originator_id FROM stored_events ORDER BY originator_id"
        ):
            yield uuid.UUID(str(originator))
    finally:
        conn.close()


def replay(db: str) -> tuple[int, float]:
    """Get every dyad's aggregate back from the peer's store; return (events, seconds)."""
    ids = list(_ids(db))
    app = _application(db)
    started = time.perf_counter()
    count = 0
    for aggregate_id in ids:
        aggregate: DyadAggregate = app.repository.get(aggregate_id)
        count += aggregate.version - 1  # the Opened event is not one of the ledger's
    seconds = time.perf_counter() - started
    app.close()
    return count, seconds
