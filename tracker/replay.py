"""Replays: the ordered stream of state changes, for one dyad, one counterpart or the world.

Events are folded in replay order (earliest day, latest day, seq), each at its earliest day,
straight from the store's cursor: memory grows with the number of dyads, not of events.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs

from . import dates
from .reducers import INITIAL, Dyad, DyadState, diff, dyads_of, effects_on, encode, evolve
from .store import Store
from .tables import COLUMNS
from .timeline import Change, Record, retracted_ids


def _withdrawn(store: Store, known_at: str | None, also: Iterable[str]) -> set[str]:
    """The ids withdrawn by the retractions and corrections known at `known_at`, and `also`."""
    rows = store.conn.execute(
        f"SELECT {COLUMNS} FROM events WHERE withdraws IS NOT NULL "
        "AND (? IS NULL OR recorded <= ?)",
        (known_at, known_at),
    )
    return retracted_ids((Record(*row) for row in rows), also)


def _stream(
    store: Store,
    actor: str | None,
    counterpart: str | None,
    start: str,
    end: str,
    known_at: str | None,
) -> Iterator[Record]:
    """Stored records in replay order, up to `end`, touching the selection."""
    where = ["e.earliest <= ?", "(? IS NULL OR e.recorded <= ?)"]
    params: list[Any] = [end, known_at, known_at]
    if actor is not None or counterpart is not None:
        source = "dyad_events d JOIN events e ON e.seq = d.seq"
        if actor is not None:
            where.append("d.actor = ?")
            params.append(actor)
        if counterpart is not None:
            where.append("d.counterpart = ?")
            params.append(counterpart)
        distinct = "DISTINCT "
    else:
        source, distinct = "events e", ""
    columns = ", ".join(f"e.{c}" for c in COLUMNS.split(", "))
    rows = store.conn.execute(
        f"SELECT {distinct}{columns} FROM {source} "
        f"WHERE {' AND '.join(where)} ORDER BY e.earliest, e.latest, e.seq",
        params,
    )
    for row in rows:
        yield Record(*row)


def replay(
    store: Store,
    actor: str | None = None,
    counterpart: str | None = None,
    *,
    start: str = dates.OPEN_START,
    end: str = dates.OPEN_END,
    known_at: str | None = None,
    extra: Sequence[Record] = (),
    withdrawn: Iterable[str] = (),
) -> Iterator[Change]:
    """Every change of state, in replay order, of events whose earliest day is in [start, end].

    Select one dyad (actor and counterpart), everything toward a counterpart, everything of an
    actor, or the whole world (neither). `extra` records (a scenario's) are merged in and
    `withdrawn` ids left out. Changes before `start` are folded but not yielded, so the
    stream starts from the state just before `start`.
    """
    known = None if known_at is None else dates.timestamp(known_at)
    skip = _withdrawn(store, known, withdrawn)
    wanted = sorted((r for r in extra if r.earliest <= end), key=lambda r: r.key)
    merged = heapq.merge(
        _stream(store, actor, counterpart, start, end, known), wanted, key=lambda r: r.key
    )
    states: dict[Dyad, DyadState] = {}
    for record in merged:
        if record.id in skip:
            continue
        for dyad in dyads_of(record.type, record.actor, record.counterpart):
            if (actor is not None and dyad[0] != actor) or (
                counterpart is not None and dyad[1] != counterpart
            ):
                continue
            step = effects_on(record, dyad)
            if not step:
                continue
            before = states.get(dyad, INITIAL)
            after = evolve(before, step, record.id, record.on)
            states[dyad] = after
            if record.earliest >= start:
                for dimension, old, new in diff(before, after):
                    yield Change(record, dyad, dimension, old, new)


def change_json(change: Change) -> dict[str, Any]:
    """The JSON shape of one change."""
    record = change.record
    event = record.event
    return {
        "on": record.on,
        "earliest": record.earliest,
        "actor": change.dyad[0],
        "counterpart": change.dyad[1],
        "dimension": change.dimension,
        "before": encode(change.before),
        "after": encode(change.after),
        "event": record.id,
        "type": record.type,
        "hypothetical": event.hypothetical,
        "sources": [attrs.asdict(s, filter=lambda _, v: v is not None) for s in event.sources],
    }
