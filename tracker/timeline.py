"""Folding a dyad's events through time: point-in-time answers, intervals and changes.

Point-in-time semantics at day D (DESIGN.md §4): `lower` folds the settled events (latest <= D),
`upper` the possible ones (earliest <= D), both in replay order: earliest day, latest day, then
the store's sequence number. A dimension whose value differs between the two is uncertain.
Pure: the records are passed in.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeAlias

import attrs
import orjson

if TYPE_CHECKING:
    from events import Event

from . import dates
from .reducers import (
    DIMENSIONS,
    INDEX,
    INITIAL,
    Answer,
    Dyad,
    DyadState,
    Op,
    Raw,
    Value,
    answer,
    diff,
    effects_on,
    evolve,
    raw,
    raw_answer,
    step,
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
        from events.types import operand  # modules, not the package: cheap once loaded

        window = dates.parse(event.on)
        if body is None:
            from events.codec import dumps, to_dict

            stored = to_dict(event)
            stored.pop("recorded", None)
            body = dumps(stored)
        if event_id is None:
            from events.codec import event_id as content_id

            event_id = content_id(event)
        return cls(
            seq,
            event_id,
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
    for record in sorted(records, key=_SEQ, reverse=True):
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
    return in_replay_order(r for r in known if r.id not in withdrawn)


def in_replay_order(records: Iterable[Record]) -> list[Record]:
    """`records` sorted by Record.key: by sequence number, then latest day, then earliest day,
    each sort stable (three sorts on one field each run faster than one on key tuples)."""
    found = sorted(records, key=_SEQ)
    found.sort(key=_LATEST)
    found.sort(key=_EARLIEST)
    return found


_SEQ = operator.attrgetter("seq")
_LATEST = operator.attrgetter("latest")
_EARLIEST = operator.attrgetter("earliest")
_replay_key = operator.attrgetter("earliest", "latest", "seq")  # Record.key, made faster


def at(records: Sequence[Record], dyad: Dyad, day: str) -> dict[str, Answer]:
    """Every dimension of `dyad` on `day`, from `records` already in replay order.

    Both folds run in one pass over the records possible by `day` (earliest <= day, a prefix
    in replay order; the settled ones, latest <= day, are among them). Where the settled fold
    has not diverged from the possible one, it takes the possible one's new state as is.
    """
    lower = list(_START)
    upper = list(_START)
    for record in records:
        if record.earliest > day:
            break  # neither fold takes it, nor any later record (replay order: earliest first)
        settled = record.latest <= day
        for dimension, op, operand in effects_on(record, dyad):
            i = INDEX[dimension]
            before = upper[i]
            upper[i] = step(before, op, operand, record.id, record.on)
            if settled:
                same = lower[i] is before
                lower[i] = upper[i] if same else step(lower[i], op, operand, record.id, record.on)
    return {
        name: raw_answer(low, up) for name, low, up in zip(DIMENSIONS, lower, upper, strict=True)
    }


_START: tuple[Raw, ...] = tuple(raw(slot) for slot in INITIAL.slots)

Touch: TypeAlias = tuple[Record, Op, str]
"""A record's effect on one dimension: the record, the operation and its operand."""


@attrs.frozen
class Interval:
    """A dimension's answer over the days [valid_from, valid_to) (valid_to None: open)."""

    dimension: str
    valid_from: str
    valid_to: str | None
    answer: Answer


def _touches(records: Iterable[Record], dyad: Dyad) -> dict[int, list[Touch]]:
    """Each dimension's touches (by index in DIMENSIONS), in the order of `records`."""
    found: dict[int, list[Touch]] = {}
    for record in records:
        for dimension, op, operand in effects_on(record, dyad):
            found.setdefault(INDEX[dimension], []).append((record, op, operand))
    return found


def _settle(settled: list[Touch], states: list[Raw], touch: Touch, start: Raw) -> None:
    """Insert `touch` among the `settled` touches in replay order and mend their `states`.

    states[k] is the state after settled[: k + 1]. The states from the insertion on are
    refolded, until one equals the state the same touch led to before: the rest stand.
    """
    record, op, operand = touch
    key = _replay_key(record)
    if not settled or _replay_key(settled[-1][0]) <= key:  # most often: it goes last
        settled.append(touch)
        states.append(step(states[-1] if states else start, op, operand, record.id, record.on))
        return
    at_ = bisect.bisect(settled, key, key=lambda t: _replay_key(t[0]))
    settled.insert(at_, touch)
    state = states[at_ - 1] if at_ else start
    fresh: list[Raw] = []
    end = len(settled)
    for k in range(at_, len(settled)):
        record, op, operand = settled[k]
        state = step(state, op, operand, record.id, record.on)
        if k > at_ and state == states[k - 1]:
            end = k
            break
        fresh.append(state)
    states[at_ : end - 1] = fresh


def _lower_states(touches: list[Touch], start: Raw) -> Iterator[tuple[str, Raw]]:
    """One dimension's settled state at each day on which one of its touches becomes settled.

    Touches settle in order of their latest day but fold in replay order, so one may settle
    behind others already folded: the states after it are mended (see `_settle`).
    """
    settled: list[Touch] = []
    states: list[Raw] = []
    by_latest = sorted(touches, key=lambda t: t[0].latest)  # stable: replay order within a day
    for i, touch in enumerate(by_latest):
        _settle(settled, states, touch, start)
        day = touch[0].latest
        if i + 1 == len(by_latest) or by_latest[i + 1][0].latest != day:
            yield day, states[-1]


def _upper_states(touches: list[Touch], start: Raw) -> Iterator[tuple[str, Raw]]:
    """One dimension's possible state at each day on which one of its touches may first happen."""
    state = start
    for i, (record, op, operand) in enumerate(touches):
        state = step(state, op, operand, record.id, record.on)
        if i + 1 == len(touches) or touches[i + 1][0].earliest != record.earliest:
            yield record.earliest, state


def _dimension_intervals(i: int, touches: list[Touch]) -> Iterator[Interval]:
    """Dimension i's intervals, in order, from its touches (in replay order)."""
    start = _START[i]
    points: dict[str, list[Raw | None]] = {}
    if all(record.earliest == record.latest for record, _, _ in touches):
        # Single days only: each touch settles the day it becomes possible, so the settled
        # and possible folds take the same touches in the same order.
        for day, state in _upper_states(touches, start):
            points[day] = [state, state]
    else:
        for day, state in _lower_states(touches, start):
            points.setdefault(day, [None, None])[0] = state
        for day, state in _upper_states(touches, start):
            points.setdefault(day, [None, None])[1] = state
    name = DIMENSIONS[i]
    lower = upper = start
    opened: tuple[str, Answer] | None = None
    for day in sorted(points):
        new_lower, new_upper = points[day]
        if (new_lower is None or new_lower is lower) and (new_upper is None or new_upper is upper):
            continue
        lower = lower if new_lower is None else new_lower
        upper = upper if new_upper is None else new_upper
        current = raw_answer(lower, upper)
        if opened is not None:
            if opened[1] == current:
                continue
            yield Interval(name, opened[0], day, opened[1])
        elif current == _NOTHING[i]:
            continue
        opened = (day, current)
    if opened is not None:
        yield Interval(name, opened[0], None, opened[1])


def intervals(records: Sequence[Record], dyad: Dyad) -> list[Interval]:
    """Each dimension's answers over time as non-overlapping intervals (records in replay order).

    The rows come sorted by dimension name, then valid_from. Dimensions move independently,
    so each is folded from only the records that touch it.
    """
    touches = _touches(records, dyad)
    rows: list[Interval] = []
    for i in _BY_NAME:
        if i in touches:
            rows.extend(_dimension_intervals(i, touches[i]))
    return rows


_NOTHING = [answer(slot, slot) for slot in INITIAL.slots]
_BY_NAME = sorted(range(len(DIMENSIONS)), key=DIMENSIONS.__getitem__)


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
