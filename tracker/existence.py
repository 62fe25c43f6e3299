"""Whether dyads exist on the day asked, and folds on demand, for the questions in query.py.

A dyad's existence comes from its entities' standing lifespan events (lifespans.py), read
from the store; folds on demand take a dyad's records as known at a time, or its curated
events alone, with the lifespans that bound it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import orjson

from . import lifespans, projection
from .reducers import Answer, Dyad
from .store import Store
from .timeline import Record, effective, standing_lifespans


@attrs.frozen
class Lifespan:
    """Whether one entity exists on the day asked (yes, no, uncertain), and why.

    `events` are the lifespan events behind the answer (for an entity that has not come into
    being yet, the beginning to come); `successors` and `predecessors` are theirs, given when
    the entity does not exist or may not.
    """

    entity: str
    exists: str
    since: str | None
    events: tuple[str, ...]
    successors: tuple[str, ...] = ()
    predecessors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "exists": self.exists,
            "since": self.since,
            "events": list(self.events),
            "successors": list(self.successors),
            "predecessors": list(self.predecessors),
        }


def lifespan(entity: str, records: list[Record], day: str) -> Lifespan:
    """One entity's existence on `day`, from its standing lifespan events."""
    found = lifespans.existence_at(records, day)
    events = found.events
    if found.uncertain:
        exists = lifespans.UNCERTAIN
        # the events that may or may not have happened by then
        events = tuple(r.id for r in records if r.earliest <= day < r.latest)
    else:
        exists = lifespans.YES if found.value == lifespans.EXISTS else lifespans.NO
    # the bodies (not the event classes: a query stays light), only when there is an end or a
    # beginning to explain
    behind = [r for r in records if r.id in events] if exists != lifespans.YES else []
    bodies = [orjson.loads(r.body) for r in behind]
    successors = dict.fromkeys(e for b in bodies for e in b.get("successors", ()))
    predecessors = dict.fromkeys(e for b in bodies for e in b.get("predecessors", ()))
    return Lifespan(entity, exists, found.since, events, (*successors,), (*predecessors,))


def dyad_exists(found: Iterable[Lifespan]) -> str:
    """Whether a dyad exists, from its entities' lifespans: no, uncertain, or yes."""
    states = {f.exists for f in found}
    for state in (lifespans.NO, lifespans.UNCERTAIN):
        if state in states:
            return state
    return lifespans.YES


def of_dyad(bounds: list[Record], dyad: Dyad, day: str) -> dict[str, Lifespan]:
    """The lifespan of each entity of `dyad` that has lifespan events."""
    return {
        entity: lifespan(entity, [r for r in bounds if r.actor == entity], day)
        for entity in dict.fromkeys(dyad)
        if any(r.actor == entity for r in bounds)
    }


def folded(
    store: Store, dyad: Dyad, known_at: str | None, curated_only: bool
) -> tuple[list[Record], list[Record]]:
    """A dyad's standing records and its entities' standing lifespan events, as known then."""
    records = effective(store.records(dyad), known_at, curated_only=curated_only)
    bounds = projection.bounds(store.conn, dyad, known_at, curated_only=curated_only)
    return records, bounds


def machine_marked(answers: dict[str, Answer], records: Iterable[Record]) -> dict[str, Answer]:
    """`answers` with `machine_coded` set from the records behind them."""
    machine = {r.id for r in records if r.machine_coded}
    if not machine:
        return answers
    return {
        name: attrs.evolve(ans, machine_coded=projection.machine_only(ans.events, machine))
        for name, ans in answers.items()
    }


class Lives:
    """The standing lifespan events of entities, read once each, and dyads' existence."""

    def __init__(self, store: Store, known_at: str | None, curated_only: bool) -> None:
        self.store, self.known_at, self.curated_only = store, known_at, curated_only
        self.found: dict[str, list[Record]] = {}

    def of(self, entity: str) -> list[Record]:
        """The entity's standing lifespan events, in replay order."""
        if entity not in self.found:
            records = projection.lifespan_records(self.store.conn, entity)
            self.found[entity] = standing_lifespans(
                records, self.known_at, curated_only=self.curated_only
            )
        return self.found[entity]

    def exists(self, dyad: Dyad, day: str) -> str:
        """Whether the dyad exists on `day`: yes, no or uncertain."""
        answers = [lifespans.existence_at(self.of(entity), day) for entity in dyad]
        return lifespans.combine(answers)[0]
