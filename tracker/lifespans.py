"""Entity lifespans: when an entity exists, and which stretches of a dyad's history count.

An entity exists unless its lifespan events say otherwise. They fold in replay order like any
dimension: `entity_began` makes it exist, `entity_ended` ends it; before its first lifespan
event it exists, unless that event is an `entity_began` (it has not come into being yet).
Windows give uncertainty as everywhere: between the earliest and the latest day of a
lifespan event, whether the entity exists is uncertain.

A dyad exists while both its entities do. Its history is cut into *segments*, the stretches
in which it may exist, and each segment is folded from nothing: a dyad does not carry its
state across a gap. An event counts in the last segment that starts by its latest day (an
event dated "by 2025-07-04" counts in the stretch holding that day, from the stretch's
start); an event whose latest day comes before every segment moves nothing. Outside its
segments the dyad does not exist; where its existence is uncertain, so is every value that
is not the initial one.

Pure: the records are passed in.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Protocol

import attrs

from . import dates
from .reducers import Answer, Raw, Value, raw_answer, step

BEGAN, ENDED = "entity_began", "entity_ended"
LIFESPAN_TYPES = frozenset({BEGAN, ENDED})
EXISTS, ABSENT = "exists", "absent"  # an entity's existence, as a one-dimension value
YES, NO, UNCERTAIN = "yes", "no", "uncertain"  # whether a dyad exists


class Item(Protocol):
    """What a lifespan fold needs of a stored event (a Record has it)."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def on(self) -> str: ...
    @property
    def earliest(self) -> str: ...
    @property
    def latest(self) -> str: ...


@attrs.frozen
class Span:
    """An entity's existence over the days [valid_from, valid_to) (valid_to None: open)."""

    valid_from: str
    valid_to: str | None
    answer: Answer


@attrs.frozen
class Period:
    """Whether a dyad exists over [valid_from, valid_to): yes, no or uncertain, and the
    lifespan events that make it so (none for yes)."""

    valid_from: str
    valid_to: str | None
    exists: str
    events: tuple[str, ...]


_ALWAYS = Answer(EXISTS, None, False, (EXISTS,), ())


def _start(records: Sequence[Item]) -> Raw:
    """The existence before any lifespan event: absent if the first one is a beginning."""
    if records and records[0].type == BEGAN:
        return (ABSENT, None, (records[0].id,), ())
    return (EXISTS, None, (), ())


def existence_at(records: Sequence[Item], day: str) -> Answer:
    """Whether one entity exists on `day`, from its standing lifespan events in replay order."""
    if not records:
        return _ALWAYS
    lower = upper = _start(records)
    for record in records:
        if record.earliest > day:
            break
        value = EXISTS if record.type == BEGAN else ABSENT
        upper = step(upper, "set", value, record.id, record.on)
        if record.latest <= day:
            lower = step(lower, "set", value, record.id, record.on)
    return raw_answer(lower, upper)


def entity_spans(records: Sequence[Item]) -> list[Span]:
    """One entity's existence over time, from its standing lifespan events in replay order."""
    days = sorted({dates.OPEN_START, *(r.earliest for r in records), *(r.latest for r in records)})
    spans: list[Span] = []
    for day in days:
        found = existence_at(records, day)
        if spans and spans[-1].answer == found:
            continue
        if spans:
            spans[-1] = attrs.evolve(spans[-1], valid_to=day)
        spans.append(Span(day, None, found))
    return spans


def _span_at(spans: Sequence[Span], day: str) -> Answer:
    at = bisect.bisect_right([s.valid_from for s in spans], day) - 1
    return spans[at].answer


def combine(answers: Iterable[Answer]) -> tuple[str, tuple[str, ...]]:
    """Whether a dyad exists, from its two entities' existence on one day."""
    found = list(answers)
    gone = [a for a in found if a.value == ABSENT and not a.uncertain]
    unsure = gone or [a for a in found if a.uncertain]
    events = tuple(dict.fromkeys(e for a in unsure for e in a.events))
    if gone:
        return NO, events
    return (UNCERTAIN, events) if unsure else (YES, ())


def dyad_periods(first: Sequence[Item], second: Sequence[Item]) -> list[Period]:
    """Whether a dyad exists over time, from each entity's standing lifespan events."""
    one, two = entity_spans(first), entity_spans(second)
    days = sorted({s.valid_from for s in (*one, *two)})
    periods: list[Period] = []
    for day in days:
        exists, events = combine((_span_at(one, day), _span_at(two, day)))
        if periods and (periods[-1].exists, periods[-1].events) == (exists, events):
            continue
        if periods:
            periods[-1] = attrs.evolve(periods[-1], valid_to=day)
        periods.append(Period(day, None, exists, events))
    return periods


def period_at(periods: Sequence[Period], day: str) -> Period:
    """The period holding `day`."""
    return periods[bisect.bisect_right([p.valid_from for p in periods], day) - 1]


Segment = tuple[str, str | None]
"""A stretch [start, end) in which a dyad may exist (end None: open)."""


def segments(periods: Sequence[Period]) -> list[Segment]:
    """The stretches in which the dyad may exist (every period but the `no` ones)."""
    found: list[list[str | None]] = []
    for period in periods:
        if period.exists == NO:
            if found and found[-1][1] is None:
                found[-1][1] = period.valid_from
            continue
        if not found or found[-1][1] is not None:
            found.append([period.valid_from, None])
    return [(str(start), end) for start, end in found]


def counts_in(starts: Sequence[str], latest: str) -> int | None:
    """The segment an event with this latest day counts in (by index), or None: the last one
    starting by that day. `starts` are the segments' first days, in order."""
    at = bisect.bisect_right(starts, latest) - 1
    return None if at < 0 else at


def masked(answer: Answer, initial: Value, events: tuple[str, ...]) -> Answer:
    """`answer` on a day the dyad may not exist: uncertain, with the initial value possible."""
    if not answer.uncertain and answer.value == initial:
        return answer
    possible = answer.possible if initial in answer.possible else (*answer.possible, initial)
    extra = tuple(e for e in events if e not in answer.events)
    return Answer(answer.value, answer.since, True, possible, answer.events + extra)
