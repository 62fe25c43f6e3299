"""Folding a dyad's events through time: point-in-time answers, intervals and changes.

Point-in-time semantics at day D (DESIGN.md §4): `lower` folds the settled events (latest <= D),
`upper` the possible ones (earliest <= D), both in replay order: earliest day, latest day, then
the store's sequence number. A dimension whose value differs between the two is uncertain.
Pure: the records are passed in.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import attrs
import orjson

if TYPE_CHECKING:
    from events import Event

from . import dates
from .reducers import (
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
    """A stored event: its place in the log, its valid-time window, and what the reducers need.

    `body` is the event's stored JSON; `event` decodes it when the whole event is wanted.
    """

    seq: int
    id: str
    type: str
    actor: str
    counterpart: str
    on: str
    earliest: str
    latest: str
    recorded: str
    operand: str | None
    withdraws: str | None
    body: str = attrs.field(repr=False, eq=False)

    @property
    def key(self) -> tuple[str, str, int]:
        """The replay order: earliest day, latest day, sequence number."""
        return (self.earliest, self.latest, self.seq)

    @property
    def event(self) -> Event:
        """The whole event, decoded from `body`."""
        from events import from_dict

        return from_dict(orjson.loads(self.body))

    @classmethod
    def of(
        cls,
        seq: int,
        event: Event,
        recorded: str = "",
        event_id: str | None = None,
        body: str | None = None,
    ) -> Record:
        """The record of `event` at `seq` (its id and stored body computed unless given)."""
        from events import dumps, operand, to_dict
        from events import event_id as content_id

        window = dates.parse(event.on)
        if body is None:
            stored = to_dict(event)
            stored.pop("recorded", None)
            body = dumps(stored)
        return cls(
            seq,
            event_id or content_id(event),
            event.type,
            event.actor,
            event.counterpart,
            event.on,
            window.earliest,
            window.latest,
            recorded or event.recorded or "",
            operand(event),
            withdrawn_by(event),
            body,
        )


def withdrawn_by(event: Event) -> str | None:
    """The id an event withdraws: a retraction's target, or the id a replacement corrects."""
    from events import EventRetracted

    return event.target if isinstance(event, EventRetracted) else event.corrects


def retracted_ids(records: Iterable[Record], also: Iterable[str] = ()) -> set[str]:
    """The ids withdrawn by retractions and corrections that are themselves still standing.

    `also` are ids withdrawn after everything in `records` (a scenario's retractions).
    """
    withdrawn: set[str] = set(also)
    for record in sorted(records, key=lambda r: r.seq, reverse=True):
        if record.id in withdrawn:
            continue  # a withdrawn retraction withdraws nothing
        if record.withdraws is not None:
            withdrawn.add(record.withdraws)
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
        step = effects_on(record, dyad)
        if step:
            state = evolve(state, step, record.id, record.on)
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
    """The settled state at each day on which some event becomes settled.

    Events settle in order of their latest day but fold in replay order, so one may settle
    behind others already folded: the fold is resumed from the state just before it.
    """
    by_latest = sorted(records, key=lambda r: (r.latest, r.key))
    keys: list[tuple[str, str, int]] = []  # the settled records' replay keys, in order
    settled: list[Record] = []
    states: list[DyadState] = []  # states[i]: after folding settled[: i + 1]
    i = 0
    while i < len(by_latest):
        day = by_latest[i].latest
        start = len(settled)
        while i < len(by_latest) and by_latest[i].latest == day:
            record = by_latest[i]
            at_ = bisect.bisect(keys, record.key)
            keys.insert(at_, record.key)
            settled.insert(at_, record)
            start = min(start, at_)
            i += 1
        state = states[start - 1] if start else INITIAL
        del states[start:]
        for record in settled[start:]:
            step = effects_on(record, dyad)
            if step:
                state = evolve(state, step, record.id, record.on)
            states.append(state)
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
    lower = upper = INITIAL
    previous = [(low, up) for low, up in zip(lower.slots, upper.slots, strict=True)]
    open_rows: dict[int, tuple[str, Answer]] = {}
    rows: list[Interval] = []
    for day in sorted(points):
        new_lower, new_upper = points[day]
        if new_lower is not None:
            lower = new_lower
        if new_upper is not None:
            upper = new_upper
        for i, (low, up) in enumerate(zip(lower.slots, upper.slots, strict=True)):
            if previous[i][0] is low and previous[i][1] is up:
                continue  # a fold leaves untouched slots as the same objects
            previous[i] = (low, up)
            current = answer(low, up)
            opened = open_rows.get(i)
            if opened is not None:
                if opened[1] == current:
                    continue
                rows.append(Interval(DIMENSIONS[i], opened[0], day, opened[1]))
            elif current == _NOTHING[i]:
                continue
            open_rows[i] = (day, current)
    rows.extend(Interval(DIMENSIONS[i], start, None, ans) for i, (start, ans) in open_rows.items())
    rows.sort(key=lambda row: (row.dimension, row.valid_from))
    return rows


_NOTHING = [answer(slot, slot) for slot in INITIAL.slots]


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
        step = effects_on(record, dyad)
        if not step:
            continue
        new = evolve(state, step, record.id, record.on)
        for name, old, after in diff(state, new):
            yield Change(record, dyad, name, old, after)
        state = new
