"""Questions asked of the store: the state of a dyad, who matches, who was first, a history.

Plain questions are answered from the materialized intervals; `known_at` and `curated_only`
questions fold only the dyads involved, from the events recorded by then (or those a person
coded). Every answer carries the ids of the events behind it, says whether the dyad exists
on the day asked (entity lifespans), marks values that rest only on machine-coded events,
and can be turned into JSON with `to_json()`.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from . import dates, existence, lifespans, projection
from .entities import iso_states, unknown_message
from .errors import TrackerError
from .reducers import (
    DIMENSIONS,
    INITIAL,
    VALUES,
    Answer,
    Dyad,
    Value,
    diff,
    effects_on,
    encode,
    evolve,
    matches,
)
from .store import Store
from .timeline import (
    Record,
    at,
    changes,
    effective,
    intervals,
    plain_order,
    retracted_ids,
)

_TOKEN = re.compile(r"[a-z][a-z0-9_]{0,63}")


def check_entity(store: Store, entity_id: str) -> str:
    """Return `entity_id` if the store knows it; raise a TrackerError with close matches if not."""
    if store.known_entity(entity_id):
        return entity_id
    known = [e.id for e in store.entities()]
    raise TrackerError(unknown_message(entity_id, [*known, *iso_states()]))


def check_condition(dimension: str, value: str) -> tuple[str, str]:
    """Validate a `dimension=value` condition against the vocabulary."""
    if dimension not in DIMENSIONS:
        raise TrackerError(f"unknown dimension {dimension!r}; one of {', '.join(DIMENSIONS)}")
    allowed = VALUES.get(dimension)
    if allowed is not None and value not in allowed:
        raise TrackerError(f"{dimension} takes one of {', '.join(allowed)}, not {value!r}")
    if allowed is None and not _TOKEN.fullmatch(value):
        raise TrackerError(f"{dimension} values are lowercase tokens, not {value!r}")
    return dimension, value


def parse_condition(text: str) -> tuple[str, str]:
    """Read `DIMENSION=VALUE`."""
    dimension, sep, value = text.partition("=")
    if not sep:
        raise TrackerError(f"{text!r}: write a condition as DIMENSION=VALUE")
    return check_condition(dimension.strip(), value.strip())


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
    is read from the store when first used, so the store must still be open then.
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

    @functools.cached_property
    def events(self) -> dict[str, dict[str, Any]]:
        """The type, date, recording time and sources of each event behind the answer."""
        ids = [i for ans in self.dimensions.values() for i in ans.events]
        ids += [i for life in self.lifespans.values() for i in life.events]
        try:
            return self._sources(ids)
        except sqlite3.ProgrammingError as error:  # the store was closed before this first use
            raise TrackerError(f"cannot read the sources behind this answer: {error}") from None

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
        }


_BLANK = projection.BLANK


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

    With `curated_only`, machine-coded events are left out.
    """
    dyad = (actor, counterpart)
    day = dates.day(on)
    known = None if known_at is None else dates.timestamp(known_at)
    if known is None and not curated_only:
        found = projection.dyad_state(store.conn, dyad, day)
        if all(found[name] is _BLANK[name] for name in DIMENSIONS):  # nothing recorded yet:
            check_entity(store, actor)  # are the entities even known?
            check_entity(store, counterpart)
        bounds = projection.bounds(store.conn, dyad)
    else:
        check_entity(store, actor)
        check_entity(store, counterpart)
        records, bounds = existence.folded(store, dyad, known, curated_only)
        found = existence.machine_marked(at(records, dyad, day, bounds), [*records, *bounds])
    life = existence.of_dyad(bounds, dyad, day)
    return StateResult(
        actor,
        counterpart,
        day,
        known,
        found,
        store.sources,
        existence.dyad_exists(life.values()),
        life,
        curated_only,
    )


@attrs.frozen
class WhoResult:
    """The actors whose dyad toward a counterpart matches every condition on a day.

    An actor whose dyad does not exist that day is never listed; one whose dyad may not exist
    is at most uncertain. `machine_coded` lists the actors whose match rests, for some
    condition, only on machine-coded events.
    """

    counterpart: str
    on: str
    where: dict[str, str]
    actors: list[str]
    uncertain: list[str]
    known_at: str | None = None
    machine_coded: list[str] = attrs.field(factory=list)
    curated_only: bool = False

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "counterpart": self.counterpart,
            "on": self.on,
            "where": self.where,
            "actors": self.actors,
            "uncertain": self.uncertain,
            "machine_coded": self.machine_coded,
            "known_at": self.known_at,
            "curated_only": self.curated_only,
        }


def _possible_matches(ans: Answer, wanted: str) -> tuple[bool, bool]:
    """(every possible value matches, some possible value matches)."""
    hits = [matches(v, wanted) for v in ans.possible]
    return all(hits), any(hits)


def who(
    store: Store,
    counterpart: str,
    where: Mapping[str, str],
    on: str,
    known_at: str | None = None,
    *,
    curated_only: bool = False,
) -> WhoResult:
    """Who, toward `counterpart`, matches every `dimension=value` on day `on`.

    Set dimensions match when they contain the value. An actor whose match depends on an
    undated event, or on a lifespan not settled that day, is listed under `uncertain`, not
    `actors`; one whose dyad does not exist that day is left out.
    """
    check_entity(store, counterpart)
    conditions = dict(check_condition(d, v) for d, v in where.items())
    if not conditions:
        raise TrackerError("give at least one condition, DIMENSION=VALUE")
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
            all_match, any_match = _possible_matches(ans, wanted)
            every &= all_match
            some &= any_match
            coded |= ans.machine_coded
        if every:
            settled.append(actor)
        elif some:
            uncertain.append(actor)
        if some and coded:
            machine.append(actor)
    return WhoResult(
        counterpart, day, dict(conditions), settled, uncertain, known, machine, curated_only
    )


@attrs.frozen
class FirstResult:
    """The first actor to come to match a condition toward a counterpart, on or after a day."""

    counterpart: str
    where: dict[str, str]
    after: str
    actor: str | None
    on: str | None
    event: str | None
    since: str | None = None
    machine_coded: bool = False

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "actor": self.actor,
            "on": self.on,
            "event": self.event,
            "settled": self.since,
            "machine_coded": self.machine_coded,
        }


def _timeline(
    store: Store,
    counterpart: str,
    dimension: str,
    after: str,
    known_at: str | None,
    curated_only: bool,
) -> Iterator[tuple[str, str, Answer]]:
    if known_at is None and not curated_only:
        yield from projection.counterpart_timeline(store.conn, counterpart, dimension, after)
        return
    rows = []
    for actor in store.dyads_toward(counterpart):
        if actor == counterpart:
            continue
        dyad = (actor, counterpart)
        records, bounds = existence.folded(store, dyad, known_at, curated_only)
        machine = {r.id for r in (*records, *bounds) if r.machine_coded}
        for interval in intervals(records, dyad, bounds):
            if interval.dimension == dimension and (
                interval.valid_to is None or interval.valid_to > after
            ):
                ans = interval.answer
                flag = projection.machine_only(ans.events, machine)
                rows.append((interval.valid_from, actor, attrs.evolve(ans, machine_coded=flag)))
    for valid_from, actor, ans in sorted(rows, key=lambda r: (r[0], r[1])):
        yield actor, valid_from, ans


def first(
    store: Store,
    counterpart: str,
    condition: tuple[str, str],
    after: str,
    known_at: str | None = None,
    *,
    curated_only: bool = False,
) -> FirstResult:
    """The first actor whose settled state toward `counterpart` came to match from `after` on.

    A dyad matches only while it exists: an entity's end is never a change to match.
    """
    check_entity(store, counterpart)
    dimension, wanted = check_condition(*condition)
    day = dates.day(after)
    known = None if known_at is None else dates.timestamp(known_at)
    lives = existence.Lives(store, known, curated_only)
    matched: dict[str, bool] = {}
    rows = _timeline(store, counterpart, dimension, day, known, curated_only)
    for actor, valid_from, ans in rows:
        now = matches(ans.value, wanted) and not ans.uncertain
        if now and lives.exists((actor, counterpart), valid_from) != lifespans.YES:
            now = False
        before = matched.get(actor, False)
        matched[actor] = now
        if now and not before and valid_from >= day:
            event = ans.events[-1]  # the event that made the value match
            info = store.sources([event]).get(event, {})
            return FirstResult(
                counterpart,
                {dimension: wanted},
                day,
                actor,
                info.get("on"),
                event,
                valid_from,
                ans.machine_coded,
            )
    return FirstResult(counterpart, {dimension: wanted}, day, None, None, None)


@attrs.frozen
class HistoryEntry:
    """One event of a dyad's history, what it changed, and whether it was withdrawn.

    `outside` says that the event counts in no stretch of the dyad's existence (entity
    lifespans), so it changed nothing.
    """

    record: Record
    changes: tuple[tuple[str, Value, Value], ...]
    retracted_by: str | None
    outside: bool = False

    def to_json(self, sources: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        """The JSON shape of one history line."""
        event = self.record.event
        return {
            "id": self.record.id,
            "type": event.type,
            "actor": event.actor,
            "counterpart": event.counterpart,
            "on": event.on,
            "recorded": self.record.recorded,
            "evidence": "machine" if self.record.machine_coded else "curated",
            "changes": [
                {"dimension": d, "before": encode(b), "after": encode(a)}
                for d, b, a in self.changes
            ],
            "retracted_by": self.retracted_by,
            "outside_lifespan": self.outside,
            "sources": sources.get(self.record.id, {}).get("sources", []),
        }


def history(
    store: Store, actor: str, counterpart: str, known_at: str | None = None
) -> list[HistoryEntry]:
    """Every event of actor -> counterpart in replay order, with the changes each made.

    Withdrawn events stay in the history, marked with the id that withdrew them; events dated
    when the dyad did not exist (entity lifespans) are marked `outside`.
    """
    return list(iter_history(store, actor, counterpart, known_at))


def iter_history(
    store: Store, actor: str, counterpart: str, known_at: str | None = None
) -> Iterator[HistoryEntry]:
    """`history`, streamed: one event at a time from the store's cursor, so a dyad of any size
    takes the memory of one event (and of its withdrawals, read first)."""
    dyad = (check_entity(store, actor), check_entity(store, counterpart))
    known = None if known_at is None else dates.timestamp(known_at)
    bounds = projection.bounds(store.conn, dyad, known)
    if bounds:  # lifespans reorder and drop events: the dyad's records are read whole
        yield from _bounded_history(store, dyad, known, bounds)
        return
    withdrawing = [r for r in store.records(dyad, ()) if known is None or r.recorded <= known]
    withdrawn = retracted_ids(withdrawing)
    by = _withdrawn_by(withdrawing, withdrawn)
    state = INITIAL
    for record in store.in_replay_order(dyad):
        if known is not None and record.recorded > known:
            continue
        made: tuple[tuple[str, Value, Value], ...] = ()
        step = () if record.id in withdrawn else effects_on(record, dyad)
        if step:
            new = evolve(state, step, record.id, record.on)
            made = tuple(diff(state, new))
            state = new
        yield HistoryEntry(record, made, by.get(record.id))


def _bounded_history(
    store: Store, dyad: Dyad, known: str | None, bounds: list[Record]
) -> Iterator[HistoryEntry]:
    """`iter_history` of a dyad bounded by its entities' lifespans."""
    records = [r for r in store.records(dyad) if known is None or r.recorded <= known]
    withdrawn = retracted_ids(records)
    by = _withdrawn_by(records, withdrawn)
    standing = effective(records)
    counted = {r.id for r, _, _ in plain_order(standing, dyad, bounds)}
    made: dict[str, list[tuple[str, Value, Value]]] = {}
    for change in changes(standing, dyad, lifespans=bounds):
        made.setdefault(change.record.id, []).append(
            (change.dimension, change.before, change.after)
        )
    for r in sorted(records, key=lambda r: r.key):
        outside = r.id not in withdrawn and r.id not in counted
        yield HistoryEntry(r, tuple(made.get(r.id, ())), by.get(r.id), outside)


def _withdrawn_by(records: Iterable[Record], withdrawn: set[str]) -> dict[str, str]:
    by: dict[str, str] = {}
    for record in records:
        target = record.withdraws
        if target is not None and target in withdrawn and record.id not in withdrawn:
            by[target] = record.id
    return by


def world(store: Store, on: str) -> dict[Dyad, Mapping[str, Answer]]:
    """Every dyad's state on day `on`: the dimensions that differ from the initial state (each
    dyad's answers a read-only mapping, decoded when first read)."""
    return projection.world_at(store.conn, dates.day(on))
