"""The folds behind point-in-time answers and intervals, fast: one pass for both bounds of a
day, and each dimension's intervals from only the records that touch it.

`at` and `intervals` here know nothing of lifespans; timeline.py bounds them. Pure: the
records are passed in, in replay order (earliest day, latest day, seq).
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeAlias

import attrs

from .reducers import (
    DIMENSIONS,
    INDEX,
    INITIAL,
    Answer,
    Dyad,
    Fact,
    Op,
    Raw,
    answer,
    effects_on,
    raw,
    raw_answer,
    step,
)


class Stored(Fact, Protocol):
    """What the folds need of a stored event (a Record has it)."""

    @property
    def seq(self) -> int: ...
    @property
    def id(self) -> str: ...
    @property
    def on(self) -> str: ...
    @property
    def earliest(self) -> str: ...
    @property
    def latest(self) -> str: ...


_replay_key = operator.attrgetter("earliest", "latest", "seq")  # Record.key, made faster


def at(records: Sequence[Stored], dyad: Dyad, day: str) -> dict[str, Answer]:
    """Every dimension of `dyad` on `day`, from `records` already in replay order.

    Both folds run in one pass over the records possible by `day` (earliest <= day, a prefix
    in replay order; the settled ones, latest <= day, are among them). Where the settled fold
    has not diverged from the possible one, it takes the possible one's new state as is.
    """
    lower = list(START)
    upper = list(START)
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


START: tuple[Raw, ...] = tuple(raw(slot) for slot in INITIAL.slots)

Touch: TypeAlias = tuple[Stored, Op, str]
"""A record's effect on one dimension: the record, the operation and its operand."""


@attrs.frozen
class Interval:
    """A dimension's answer over the days [valid_from, valid_to) (valid_to None: open)."""

    dimension: str
    valid_from: str
    valid_to: str | None
    answer: Answer


def _touches(records: Iterable[Stored], dyad: Dyad) -> dict[int, list[Touch]]:
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
    start = START[i]
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
        elif current == NOTHING[i]:
            continue
        opened = (day, current)
    if opened is not None:
        yield Interval(name, opened[0], None, opened[1])


def intervals(records: Sequence[Stored], dyad: Dyad) -> list[Interval]:
    """Each dimension's answers over time as non-overlapping intervals (records in replay order).

    The rows come sorted by dimension name, then valid_from. Dimensions move independently,
    so each is folded from only the records that touch it.
    """
    touches = _touches(records, dyad)
    rows: list[Interval] = []
    for i in BY_NAME:
        if i in touches:
            rows.extend(_dimension_intervals(i, touches[i]))
    return rows


NOTHING = [answer(slot, slot) for slot in INITIAL.slots]
BY_NAME = sorted(range(len(DIMENSIONS)), key=DIMENSIONS.__getitem__)
