"""Questions asked of the store: the state of a dyad, who matches, who was first, a history.

Plain questions are answered from the materialized intervals; `known_at` and `curated_only`
questions fold only the dyads involved, from the events recorded by then (or those a person
coded). Every answer carries the ids of the events behind it, says whether the dyad exists
on the day asked (entity lifespans), marks values that rest only on machine-coded events,
and can be turned into JSON (`to_dict()`, also `to_json()`) or a pandas DataFrame
(`to_frame()`). Entities may be named by id in any case, by name or by alias (names.py);
`first` is in first.py, `history` in history.py.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from . import conditions as conds
from . import dates, existence, lifespans, projection
from .conditions import check_condition, parse_condition
from .errors import TrackerError
from .firsts import Candidate, FirstResult, first
from .histories import History, HistoryEntry, details, history, incidents, iter_history
from .names import check_entity, plain, resolve
from .reducers import DIMENSIONS, Answer, Dyad, encode
from .store import Store
from .timeline import Record, at

__all__ = [
    "Candidate",
    "FirstResult",
    "History",
    "HistoryEntry",
    "StateResult",
    "WhoResult",
    "check_condition",
    "check_entity",
    "first",
    "history",
    "iter_history",
    "parse_condition",
    "resolve",
    "state",
    "who",
    "world",
]


def _answers_json(answers: Mapping[str, Answer]) -> dict[str, Any]:
    return {
        name: {
            "value": encode(ans.value),
            "since": ans.since,
            "uncertain": ans.uncertain,
            "possible": [encode(v) for v in ans.possible],
            "events": list(ans.events),
            "machine_coded": ans.machine_coded,
        }
        for name, ans in answers.items()
    }


@attrs.frozen
class StateResult:
    """Every dimension of one dyad on one day, with the events and sources behind it.

    The dimensions carry the ids of their events; `events` (type, date and sources of each)
    and `incidents` (the dyad's incidents by that day) are read from the store when first
    used, so the store must still be open then. `resolved` maps each name given that was not
    an id to the id it named.
    """

    actor: str
    counterpart: str
    on: str
    known_at: str | None
    dimensions: dict[str, Answer]
    _sources: Callable[[Iterable[str]], dict[str, dict[str, Any]]] = attrs.field(
        eq=False, repr=False, alias="sources"
    )
    exists: str = lifespans.YES
    lifespans: dict[str, existence.Lifespan] = attrs.field(factory=dict)
    curated_only: bool = False
    resolved: dict[str, str] = attrs.field(factory=dict)
    _incidents: Callable[[], list[Record]] | None = attrs.field(
        default=None, eq=False, repr=False, alias="incidents"
    )

    @functools.cached_property
    def events(self) -> dict[str, dict[str, Any]]:
        """The type, date, recording time and sources of each event behind the answer."""
        ids = [i for ans in self.dimensions.values() for i in ans.events]
        ids += [i for life in self.lifespans.values() for i in life.events]
        found: dict[str, dict[str, Any]] = _read(lambda: self._sources(ids))
        return found

    @functools.cached_property
    def incidents(self) -> list[dict[str, Any]]:
        """The dyad's incidents (attacks, visits) whose window starts by the day asked, with
        their summaries and dead: they change no dimension, but they happened."""
        found = _read(self._incidents) if self._incidents is not None else []
        return [
            {"id": r.id, "type": r.type, "on": r.on, "evidence": _evidence(r), **details(r)}
            for r in found
        ]

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "actor": self.actor,
            "counterpart": self.counterpart,
            "on": self.on,
            "known_at": self.known_at,
            "curated_only": self.curated_only,
            "exists": self.exists,
            "lifespans": {entity: life.to_json() for entity, life in self.lifespans.items()},
            "dimensions": _answers_json(self.dimensions),
            "events": self.events,
            "incidents": self.incidents,
            "resolved": self.resolved,
        }

    to_dict = to_json

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per dimension (needs the `pandas` extra)."""
        from .frames import frame, state_rows

        return frame(state_rows(self))


def _read(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except sqlite3.ProgrammingError as error:  # the store was closed before this first use
        raise TrackerError(f"cannot read the sources behind this answer: {error}") from None


def _evidence(record: Record) -> str:
    return "machine" if record.machine_coded else "curated"


_BLANK = projection.BLANK


def _dyad(store: Store, actor: str, counterpart: str, resolved: dict[str, str]) -> Dyad:
    return resolve(store, actor, resolved), resolve(store, counterpart, resolved)


def state(
    store: Store,
    actor: str,
    counterpart: str,
    on: str,
    known_at: str | None = None,
    *,
    curated_only: bool = False,
) -> StateResult:
    """The state of actor -> counterpart on day `on`, as known at `known_at` (default: now).

    With `curated_only`, machine-coded events are left out. Entities may be named by id (in
    any case), by name or by alias.
    """
    resolved: dict[str, str] = {}
    day = dates.day(on)
    known = None if known_at is None else dates.timestamp(known_at)
    if known is None and not curated_only:
        dyad = (actor, counterpart)
        if not (plain(actor) and plain(counterpart)):
            dyad = _dyad(store, actor, counterpart, resolved)
        found = projection.dyad_state(store.conn, dyad, day)
        if all(found[name] is _BLANK[name] for name in DIMENSIONS):  # nothing recorded yet:
            named = _dyad(store, *dyad, resolved)  # are the entities even known, by id?
            if named != dyad:
                dyad, found = named, projection.dyad_state(store.conn, named, day)
        bounds = projection.bounds(store.conn, dyad)
    else:
        dyad = _dyad(store, actor, counterpart, resolved)
        records, bounds = existence.folded(store, dyad, known, curated_only)
        found = existence.machine_marked(at(records, dyad, day, bounds), [*records, *bounds])
    life = existence.of_dyad(bounds, dyad, day)
    return StateResult(
        dyad[0],
        dyad[1],
        day,
        known,
        found,
        store.sources,
        existence.dyad_exists(life.values()),
        life,
        curated_only,
        resolved,
        lambda: incidents(store, dyad, day, known, curated_only),
    )


@attrs.frozen
class WhoResult:
    """The actors whose dyad toward a counterpart matches every condition on a day.

    An actor whose dyad does not exist that day is never listed; one whose dyad may not exist
    is at most uncertain. `machine_coded` lists the actors whose match rests, for some
    condition, only on machine-coded events. `warnings` name the values no stored answer
    toward the counterpart ever held (a misspelling, most likely).
    """

    counterpart: str
    on: str
    where: conds.Conditions
    actors: list[str]
    uncertain: list[str]
    known_at: str | None = None
    machine_coded: list[str] = attrs.field(factory=list)
    curated_only: bool = False
    warnings: list[str] = attrs.field(factory=list)
    resolved: dict[str, str] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "counterpart": self.counterpart,
            "on": self.on,
            "where": conds.to_json(self.where),
            "actors": self.actors,
            "uncertain": self.uncertain,
            "machine_coded": self.machine_coded,
            "known_at": self.known_at,
            "curated_only": self.curated_only,
            "warnings": self.warnings,
            "resolved": self.resolved,
        }

    to_dict = to_json

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per actor listed (needs the `pandas` extra)."""
        from .frames import frame, who_rows

        return frame(who_rows(self))


def who(
    store: Store,
    counterpart: str,
    where: conds.Where,
    on: str,
    known_at: str | None = None,
    *,
    curated_only: bool = False,
) -> WhoResult:
    """Who, toward `counterpart`, matches every condition on day `on`.

    `where` is a mapping (`{"recognition": "none", "cooperation": ["energy", "trade"]}`) or
    (dimension, value) pairs; a set dimension matches when it holds every value asked. An
    actor whose match depends on an undated event, or on a lifespan not settled that day, is
    listed under `uncertain`, not `actors`; one whose dyad does not exist that day is left out.
    """
    resolved: dict[str, str] = {}
    counterpart = resolve(store, counterpart, resolved)
    conditions = conds.conditions(where)
    day = dates.day(on)
    known = None if known_at is None else dates.timestamp(known_at)
    actors = [a for a in store.dyads_toward(counterpart) if a != counterpart]
    if known is None and not curated_only:
        per_dimension = {
            d: projection.counterpart_at(store.conn, counterpart, d, day) for d in conditions
        }
        table = {a: {d: per_dimension[d].get(a) for d in conditions} for a in actors}
    else:
        table = {}
        for actor in actors:
            dyad = (actor, counterpart)
            records, bounds = existence.folded(store, dyad, known, curated_only)
            found = existence.machine_marked(at(records, dyad, day, bounds), [*records, *bounds])
            table[actor] = {d: found[d] for d in conditions}
    lives = existence.Lives(store, known, curated_only)
    settled, uncertain, machine = [], [], []
    for actor in actors:
        exists = lives.exists((actor, counterpart), day)
        if exists == lifespans.NO:
            continue
        every, some, coded = exists == lifespans.YES, True, False
        for dimension, wanted in conditions.items():
            ans = table[actor][dimension] or _BLANK[dimension]
            hits = [conds.holds(v, wanted) for v in ans.possible]
            every &= all(hits)
            some &= any(hits)
            coded |= ans.machine_coded
        if every:
            settled.append(actor)
        elif some:
            uncertain.append(actor)
        if some and coded:
            machine.append(actor)
    warnings = conds.unknown_values(store.conn, counterpart, conditions)
    return WhoResult(
        counterpart,
        day,
        conditions,
        settled,
        uncertain,
        known,
        machine,
        curated_only,
        warnings,
        resolved,
    )


def world(store: Store, on: str) -> dict[Dyad, Mapping[str, Answer]]:
    """Every dyad's state on day `on`: the dimensions that differ from the initial state (each
    dyad's answers a read-only mapping, decoded when first read)."""
    return projection.world_at(store.conn, dates.day(on))
