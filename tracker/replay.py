"""Replays: the ordered stream of state changes, for one dyad, one counterpart or the world.

Events are folded in replay order (earliest day, latest day, seq), each at its earliest day,
straight from the store's cursor: memory grows with the number of dyads, not of events.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs

from . import dates, lifespans, projection
from .histories import INCIDENTS, details
from .reducers import INITIAL, Dyad, DyadState, diff, dyads_of, effects_on, encode, evolve
from .store import Store
from .tables import COLUMNS
from .timeline import Change, Record, effective, retracted_ids


@attrs.frozen
class Incident:
    """An incident (an attack, a visit) in a replay: it changes no dimension, but it happened.

    It has a Change's fields, with no dimension and no values, so that a replay can be read
    as one stream.
    """

    record: Record
    dyad: Dyad
    day: str
    dimension: None = None
    before: None = None
    after: None = None

    @property
    def placed(self) -> str:
        """The day the incident is placed at."""
        return self.day


@attrs.frozen
class Replay:
    """A replay as a result: iterate it for its changes (as `replay` gives them), or ask
    `to_dict()` for their JSON and `to_frame()` for a pandas DataFrame (the `pandas` extra).

    Each of these reads the store again, so a Replay can be asked more than once.
    """

    store: Store
    actor: str | None = None
    counterpart: str | None = None
    start: str = dates.OPEN_START
    end: str = dates.OPEN_END
    known_at: str | None = None
    incidents: bool = True

    def __iter__(self) -> Iterator[Change | Incident]:
        return replay(
            self.store,
            self.actor,
            self.counterpart,
            start=self.start,
            end=self.end,
            known_at=self.known_at,
            incidents=self.incidents,
        )

    def to_dict(self) -> list[dict[str, Any]]:
        """Every change in its JSON shape (`tracker replay --json`, one object a change)."""
        return [change_json(c) for c in self]

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per change, one column per field."""
        from .frames import frame, replay_rows

        return frame(replay_rows(change_json(c) for c in self))


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


class _Lives:
    """Each entity's standing lifespan events and each dyad's segments, read when first needed."""

    def __init__(
        self, store: Store, known_at: str | None, extra: Sequence[Record], skip: set[str]
    ) -> None:
        self.store, self.known_at, self.skip = store, known_at, skip
        self.extra = [r for r in extra if r.actor == r.counterpart]
        self.of_entity: dict[str, list[Record]] = {}
        self.of_dyad: dict[Dyad, tuple[list[str], list[lifespans.Segment], list[Record]]] = {}

    def of(self, entity: str) -> list[Record]:
        """The entity's standing lifespan events (the scenario's among them), in replay order."""
        if entity not in self.of_entity:
            records = projection.lifespan_records(self.store.conn, entity)
            records += [r for r in self.extra if r.actor == entity]
            standing = effective(records, self.known_at, self.skip)
            self.of_entity[entity] = [r for r in standing if r.type in lifespans.LIFESPAN_TYPES]
        return self.of_entity[entity]

    def segments(self, dyad: Dyad) -> tuple[list[str], list[lifespans.Segment], list[Record]]:
        """The dyad's segments (their starts, the segments) and the events ending each one."""
        if dyad not in self.of_dyad:
            first, second = (self.of(e) for e in sorted(dyad))  # both directions alike
            periods = lifespans.dyad_periods(first, second)
            spans = lifespans.segments(periods)
            by_id = {r.id: r for r in (*first, *second)}
            ends = [
                by_id[lifespans.period_at(periods, end).events[0]]
                for _, end in spans
                if end is not None
            ]
            self.of_dyad[dyad] = ([start for start, _ in spans], spans, ends)
        return self.of_dyad[dyad]


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
    incidents: bool = False,
) -> Iterator[Change | Incident]:
    """Every change of state, in replay order, of events whose earliest day is in [start, end].

    With `incidents`, the incidents of the dyads selected come in the stream too (Incident).

    Select one dyad (actor and counterpart), everything toward a counterpart, everything of an
    actor, or the whole world (neither). `extra` records (a scenario's) are merged in and
    `withdrawn` ids left out. Changes before `start` are folded but not yielded, so the
    stream starts from the state just before `start`.

    Lifespans bound every dyad as in state answers: an event that counts in no stretch of a
    dyad's existence changes nothing, one dated from before its stretch began is folded at
    the stretch's start, and the end of a stretch returns the dyad to its initial state (a
    change made by the lifespan event). The lifespan events of the entities selected are
    changes too, of the entity's own `exists` (yes or no).
    """
    known = None if known_at is None else dates.timestamp(known_at)
    skip = _withdrawn(store, known, withdrawn)
    lives = _Lives(store, known, extra, skip)
    wanted = sorted((r for r in extra if r.earliest <= end), key=lambda r: r.key)
    merged = heapq.merge(
        _stream(store, actor, counterpart, start, end, known),
        wanted,
        _own_lifespans(lives, actor, counterpart, end),
        key=lambda r: r.key,
    )
    states: dict[Dyad, DyadState] = {}
    later: list[tuple[tuple[str, str, int], int, Dyad, Record, bool]] = []  # held back
    alive: dict[str, bool] = {}
    count = itertools.count()

    def fold(dyad: Dyad, record: Record, ends: bool, place: str) -> Iterator[Change | Incident]:
        before = states.get(dyad, INITIAL)
        after = INITIAL if ends else evolve(before, effects_on(record, dyad), record.id, record.on)
        states[dyad] = after
        if place >= start and record.type in INCIDENTS:
            yield Incident(record, dyad, place)
        elif place >= start:
            for dimension, old, new in diff(before, after):
                yield Change(record, dyad, dimension, old, new, place)

    def due(key: tuple[str, str, int]) -> Iterator[Change | Incident]:
        while later and later[0][0] <= key:
            place, _, dyad, record, ends = heapq.heappop(later)
            yield from fold(dyad, record, ends, place[0])

    def seen(dyad: Dyad, now: str) -> None:
        """Hold back the ends of the dyad's stretches still to come (`now` is the stream's day)."""
        if dyad not in states:
            states[dyad] = INITIAL
            _, spans, ends = lives.segments(dyad)
            for (_, stop), ended in zip((s for s in spans if s[1] is not None), ends, strict=True):
                if stop is not None and now < stop <= end:
                    heapq.heappush(later, ((stop, "", -1), next(count), dyad, ended, True))

    for record in merged:
        if record.id in skip:
            continue
        yield from due(record.key)
        if record.actor == record.counterpart:
            if record.type in lifespans.LIFESPAN_TYPES:
                yield from _exists_change(record, lives, alive, start)
            continue
        for dyad in dyads_of(record.type, record.actor, record.counterpart):
            if (actor is not None and dyad[0] != actor) or (
                counterpart is not None and dyad[1] != counterpart
            ):
                continue
            if not effects_on(record, dyad) and not (
                incidents
                and record.type in INCIDENTS
                and dyad == (record.actor, record.counterpart)
            ):
                continue
            seen(dyad, record.earliest)
            starts, spans, _ = lives.segments(dyad)
            k = lifespans.counts_in(starts, record.latest)
            if k is None:
                continue  # dated before the dyad ever existed
            first, stop = spans[k]
            place = max(record.earliest, first)
            if stop is not None and place >= stop:
                continue  # possible only while the dyad did not exist
            if place > record.earliest:
                if place <= end:
                    key = (place, record.latest, record.seq)
                    heapq.heappush(later, (key, next(count), dyad, record, False))
                continue
            yield from fold(dyad, record, False, place)
    yield from due((dates.OPEN_END, "~", 0))


def _own_lifespans(
    lives: _Lives, actor: str | None, counterpart: str | None, end: str
) -> Iterator[Record]:
    """The lifespan events of a selected dyad's two entities (with one side or none selected,
    they come in the stream: the entity's own dyad is on that side)."""
    if actor is None or counterpart is None:
        return iter(())
    found = [r for e in (actor, counterpart) for r in lives.of(e)]
    return iter(sorted((r for r in found if r.earliest <= end), key=lambda r: r.key))


def _exists_change(
    record: Record, lives: _Lives, alive: dict[str, bool], start: str
) -> Iterator[Change]:
    """An entity's own change of existence, in a plain fold of its lifespan events."""
    entity = record.actor
    if record.id not in {r.id for r in lives.of(entity)}:
        return  # withdrawn, or not known then
    if entity not in alive:
        own = lives.of(entity)
        alive[entity] = not (own and own[0].type == lifespans.BEGAN)
    before, after = alive[entity], record.type == lifespans.BEGAN
    alive[entity] = after
    if before != after and record.earliest >= start:
        yield Change(
            record, (entity, entity), "exists", _YES_NO[before], _YES_NO[after], record.earliest
        )


_YES_NO = {True: "yes", False: "no"}


def change_json(change: Change | Incident) -> dict[str, Any]:
    """The JSON shape of one change (an incident: no dimension, before or after)."""
    record = change.record
    event = record.event
    said = details(record)
    return {
        "on": record.on,
        "earliest": None if change.placed == dates.OPEN_START else change.placed,
        "latest": None if record.latest == dates.OPEN_END else record.latest,
        "actor": change.dyad[0],
        "counterpart": change.dyad[1],
        "dimension": change.dimension,
        "before": None if change.before is None else encode(change.before),
        "after": None if change.after is None else encode(change.after),
        "event": record.id,
        "type": record.type,
        "evidence": "machine" if record.machine_coded else "curated",
        "hypothetical": event.hypothetical,
        "summary": said.get("summary"),
        "killed": said.get("killed"),
        "casualties": said.get("casualties"),
        "stance": said.get("stance"),
        "sources": [attrs.asdict(s, filter=lambda _, v: v is not None) for s in event.sources],
    }
