"""Folding a dyad's events through time: point-in-time answers, intervals and changes.

Point-in-time semantics at day D (DESIGN.md §4): `lower` folds the settled events (latest <= D),
`upper` the possible ones (earliest <= D), both in replay order: earliest day, latest day, then
the store's sequence number. A dimension whose value differs between the two is uncertain.
Pure: the records are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import attrs

from events import Event, EventRetracted

from .state import (
    DIMENSIONS,
    INITIAL,
    Answer,
    Dyad,
    DyadState,
    Value,
    answer,
    diff,
    effects_on,
    evolve,
)


@attrs.frozen
class Record:
    """A stored event with its place in the log and its valid-time window."""

    seq: int
    id: str
    event: Event
    earliest: str
    latest: str
    recorded: str

    @property
    def key(self) -> tuple[str, str, int]:
        """The replay order: earliest day, latest day, sequence number."""
        return (self.earliest, self.latest, self.seq)


def retracted_ids(records: Iterable[Record], also: Iterable[str] = ()) -> set[str]:
    """The ids withdrawn by retractions and corrections that are themselves still standing.

    `also` are ids withdrawn after everything in `records` (a scenario's retractions).
    """
    withdrawn: set[str] = set(also)
    for record in sorted(records, key=lambda r: r.seq, reverse=True):
        if record.id in withdrawn:
            continue  # a withdrawn retraction withdraws nothing
        event = record.event
        if isinstance(event, EventRetracted):
            withdrawn.add(event.target)
        if event.corrects is not None:
            withdrawn.add(event.corrects)
    return withdrawn


def effective(
    records: Iterable[Record], known_at: str | None = None, also: Iterable[str] = ()
) -> list[Record]:
    """The records that stand as known at `known_at` (default: all), in replay order.

    `also` are ids withdrawn after everything in `records` (a scenario's retractions).
    """
    known = [r for r in records if known_at is None or r.recorded <= known_at]
    withdrawn = retracted_ids(known, also)
    return sorted((r for r in known if r.id not in withdrawn), key=lambda r: r.key)


def _fold(records: Iterable[Record], dyad: Dyad, state: DyadState = INITIAL) -> DyadState:
    for record in records:
        step = effects_on(record.event, dyad)
        if step:
            state = evolve(state, step, record.id, record.event.on)
    return state


def at(records: Sequence[Record], dyad: Dyad, day: str) -> dict[str, Answer]:
    """Every dimension of `dyad` on `day`, from `records` already in replay order."""
    lower = _fold((r for r in records if r.latest <= day), dyad)
    upper = _fold((r for r in records if r.earliest <= day), dyad)
    return {
        name: answer(low, up)
        for name, low, up in zip(DIMENSIONS, lower.slots, upper.slots, strict=True)
    }


@attrs.frozen
class Interval:
    """A dimension's answer over the days [valid_from, valid_to) (valid_to None: open)."""

    dimension: str
    valid_from: str
    valid_to: str | None
    answer: Answer


def _lower_states(records: Sequence[Record], dyad: Dyad) -> Iterator[tuple[str, DyadState]]:
    """The settled state at each day on which some event becomes settled."""
    by_latest = sorted(records, key=lambda r: (r.latest, r.key))
    settled: list[Record] = []
    state = INITIAL
    i = 0
    while i < len(by_latest):
        day = by_latest[i].latest
        batch = []
        while i < len(by_latest) and by_latest[i].latest == day:
            batch.append(by_latest[i])
            i += 1
        batch.sort(key=lambda r: r.key)
        if not settled or batch[0].key > settled[-1].key:
            state = _fold(batch, dyad, state)  # the common case: settled events come in order
            settled.extend(batch)
        else:  # an event settles behind ones already folded: refold in replay order
            settled = sorted([*settled, *batch], key=lambda r: r.key)
            state = _fold(settled, dyad)
        yield day, state


def _upper_states(records: Sequence[Record], dyad: Dyad) -> Iterator[tuple[str, DyadState]]:
    """The possible state at each day on which some event may first have happened."""
    state = INITIAL
    for i, record in enumerate(records):
        state = _fold((record,), dyad, state)
        if i + 1 == len(records) or records[i + 1].earliest != record.earliest:
            yield record.earliest, state


def intervals(records: Sequence[Record], dyad: Dyad) -> list[Interval]:
    """Each dimension's answers over time as non-overlapping intervals (records in replay order)."""
    points: dict[str, list[DyadState | None]] = {}
    for day, state in _lower_states(records, dyad):
        points.setdefault(day, [None, None])[0] = state
    for day, state in _upper_states(records, dyad):
        points.setdefault(day, [None, None])[1] = state
    lower, upper = INITIAL, INITIAL
    open_rows: dict[str, tuple[str, Answer]] = {}
    rows: list[Interval] = []
    for day in sorted(points):
        new_lower, new_upper = points[day]
        if new_lower is not None:
            lower = new_lower
        if new_upper is not None:
            upper = new_upper
        for name, low, up in zip(DIMENSIONS, lower.slots, upper.slots, strict=True):
            current = answer(low, up)
            previous = open_rows.get(name)
            if previous is not None and previous[1] == current:
                continue
            if previous is not None:
                rows.append(Interval(name, previous[0], day, previous[1]))
            if current == _NOTHING[name] and previous is None:
                continue
            open_rows[name] = (day, current)
    rows.extend(Interval(name, start, None, ans) for name, (start, ans) in open_rows.items())
    rows.sort(key=lambda row: (row.dimension, row.valid_from))
    return rows


_NOTHING = {name: answer(slot, slot) for name, slot in zip(DIMENSIONS, INITIAL.slots, strict=True)}


@attrs.frozen
class Change:
    """One dimension of one dyad changed value because of one event."""

    record: Record
    dyad: Dyad
    dimension: str
    before: Value
    after: Value


def changes(records: Iterable[Record], dyad: Dyad, state: DyadState = INITIAL) -> Iterator[Change]:
    """The value changes of `dyad`, in replay order, folding `records` from `state`."""
    for record in records:
        step = effects_on(record.event, dyad)
        if not step:
            continue
        new = evolve(state, step, record.id, record.event.on)
        for name, old, after in diff(state, new):
            yield Change(record, dyad, name, old, after)
        state = new
