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
from typing import TYPE_CHECKING

import attrs
import orjson

if TYPE_CHECKING:
    from events import Event

from . import dates, folds
from . import lifespans as lifespans_
from .folds import BY_NAME, NOTHING
from .folds import Interval as Interval  # where the other layers have always found it
from .reducers import (
    DIMENSIONS,
    INDEX,
    INITIAL,
    Answer,
    Dyad,
    DyadState,
    Value,
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
    # Whether the event was machine-coded, when read without its body (None: see the body).
    machine: int | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def key(self) -> tuple[str, str, int]:
        """The replay order: earliest day, latest day, sequence number."""
        return (self.earliest, self.latest, self.seq)

    @property
    def machine_coded(self) -> bool:
        """Whether the event was machine-coded (its `evidence`), read from the stored body.

        The body is canonical JSON, where these texts can only be keys and their values.
        Events stored by the GDELT importer before `evidence` existed are known by their note.
        """
        if self.machine is not None:
            return bool(self.machine)
        return _MACHINE in self.body or _OLD_GDELT in self.body

    @property
    def event(self) -> Event:
        """The whole event, decoded from `body` (a record read for a fold has none)."""
        from events import from_dict

        if not self.body:
            raise ValueError(f"event {self.id} was read without its body")
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


_MACHINE = '"evidence":"machine"'
_OLD_GDELT = '"note":"machine-coded (GDELT)'
# The same test in SQL, on the `body` column of `events` (neither text holds a quote ').
MACHINE_SQL = f"(instr(body, '{_MACHINE}') > 0 OR instr(body, '{_OLD_GDELT}') > 0)"


def standing_lifespans(
    records: Iterable[Record],
    known_at: str | None = None,
    also: Iterable[str] = (),
    *,
    curated_only: bool = False,
) -> list[Record]:
    """The lifespan events that stand among `records` (an entity's own), in replay order."""
    records = list(records)
    plain = known_at is None and not also and not curated_only
    if plain and all(r.withdraws is None for r in records):  # the common case, made quick
        return sorted((r for r in records if r.type in lifespans_.LIFESPAN_TYPES), key=_KEY)
    found = effective(records, known_at, also, curated_only=curated_only)
    return [r for r in found if r.type in lifespans_.LIFESPAN_TYPES]


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
    records: Iterable[Record],
    known_at: str | None = None,
    also: Iterable[str] = (),
    *,
    curated_only: bool = False,
) -> list[Record]:
    """The records that stand as known at `known_at` (default: all), in replay order.

    `also` are ids withdrawn after everything in `records` (a scenario's retractions). With
    `curated_only`, machine-coded events are left out (their withdrawals too) before anything.
    """
    known = [
        r
        for r in records
        if (known_at is None or r.recorded <= known_at) and not (curated_only and r.machine_coded)
    ]
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
_KEY = operator.attrgetter("earliest", "latest", "seq")
_LATEST = operator.attrgetter("latest")
_EARLIEST = operator.attrgetter("earliest")


def at(
    records: Sequence[Record], dyad: Dyad, day: str, lifespans: Sequence[Record] = ()
) -> dict[str, Answer]:
    """Every dimension of `dyad` on `day`, from `records` already in replay order.

    `lifespans` are the standing lifespan events of the dyad's two entities, in replay order:
    on a day the dyad does not exist every dimension is initial; where its existence is
    uncertain, so is every other value (lifespans.py).
    """
    if not lifespans:
        return folds.at(records, dyad, day)
    periods = _periods(lifespans, dyad)
    period = lifespans_.period_at(periods, day)
    if period.exists == lifespans_.NO:
        return dict(zip(DIMENSIONS, NOTHING, strict=True))
    starts = [start for start, _ in lifespans_.segments(periods)]
    k = lifespans_.counts_in(starts, day)
    found = folds.at([r for r in records if lifespans_.counts_in(starts, r.latest) == k], dyad, day)
    if period.exists == lifespans_.UNCERTAIN:
        return {
            name: lifespans_.masked(ans, NOTHING[INDEX[name]].value, period.events)
            for name, ans in found.items()
        }
    return found


def _periods(lifespans: Sequence[Record], dyad: Dyad) -> list[lifespans_.Period]:
    """The dyad's periods, the same for both its directions (entities taken in id order)."""
    one, two = sorted(dyad)
    return lifespans_.dyad_periods(
        [r for r in lifespans if r.actor == one], [r for r in lifespans if r.actor == two]
    )


def intervals(
    records: Sequence[Record], dyad: Dyad, lifespans: Sequence[Record] = ()
) -> list[Interval]:
    """Each dimension's answers over time as non-overlapping intervals (records in replay order).

    The rows come sorted by dimension name, then valid_from. Dimensions move independently,
    so each is folded from only the records that touch it. `lifespans` bound the dyad as in
    `at`: each segment is folded on its own, and the rows are cut at its ends.
    """
    if not lifespans:
        return folds.intervals(records, dyad)
    periods = _periods(lifespans, dyad)
    if all(p.exists == lifespans_.YES for p in periods):
        return folds.intervals(records, dyad)
    found = _bounded(records, dyad, periods)
    rows: list[Interval] = []
    for i in BY_NAME:
        if i in found:
            rows.extend(_as_intervals(i, found[i]))
    return rows


Point = tuple[str, Answer]
"""From a day on, one dimension's answer."""


def _bounded(
    records: Sequence[Record], dyad: Dyad, periods: Sequence[lifespans_.Period]
) -> dict[int, list[Point]]:
    """Each dimension's answers from each segment's own fold, cut to the segment and masked
    where the dyad's existence is uncertain."""
    spans = lifespans_.segments(periods)
    starts = [start for start, _ in spans]
    groups: list[list[Record]] = [[] for _ in spans]
    for record in records:
        k = lifespans_.counts_in(starts, record.latest)
        if k is not None:
            groups[k].append(record)
    points: dict[int, list[Point]] = {}
    for (start, end), mine in zip(spans, groups, strict=True):
        touched = set()
        for row in folds.intervals(mine, dyad):
            low = max(row.valid_from, start)
            high = _earlier(row.valid_to, end)
            if high is not None and high <= low:
                continue
            i = INDEX[row.dimension]
            points.setdefault(i, []).append((low, row.answer))
            touched.add(i)
        if end is not None:
            for i in touched:
                points[i].append((end, NOTHING[i]))
    unsure = [p for p in periods if p.exists == lifespans_.UNCERTAIN]
    return {i: _mask(i, found, unsure) for i, found in points.items()}


def _earlier(one: str | None, two: str | None) -> str | None:
    """The earlier of two exclusive ends (None: open)."""
    if one is None:
        return two
    return one if two is None else min(one, two)


def _mask(i: int, points: list[Point], unsure: Sequence[lifespans_.Period]) -> list[Point]:
    """Dimension i's points with every answer on a day of uncertain existence masked."""
    if not unsure:
        return points
    days = sorted(
        {d for d, _ in points}
        | {p.valid_from for p in unsure}
        | {p.valid_to for p in unsure if p.valid_to is not None}
    )
    starts = [d for d, _ in points]
    found: list[Point] = []
    for day in days:
        k = bisect.bisect_right(starts, day) - 1
        current = points[k][1] if k >= 0 else NOTHING[i]
        period = next((p for p in unsure if p.valid_from <= day and _before(day, p.valid_to)), None)
        if period is not None:
            current = lifespans_.masked(current, NOTHING[i].value, period.events)
        found.append((day, current))
    return found


def _before(day: str, end: str | None) -> bool:
    return end is None or day < end


def _as_intervals(i: int, points: Sequence[Point]) -> Iterator[Interval]:
    """Dimension i's intervals from its points: equal neighbours merged, no leading initial."""
    name = DIMENSIONS[i]
    opened: Point | None = None
    for day, current in points:
        if opened is not None:
            if opened[1] == current:
                continue
            yield Interval(name, opened[0], day, opened[1])
        elif current == NOTHING[i]:
            continue
        opened = (day, current)
    if opened is not None:
        yield Interval(name, opened[0], None, opened[1])


@attrs.frozen
class Change:
    """One dimension of one dyad changed value because of one event.

    `day` is where a plain fold places the change: the event's earliest day, or the start of
    the stretch of the dyad's existence it counts in if that is later, or, for a lifespan
    event that ends the dyad, the first day the dyad does not exist (default: earliest day).
    """

    record: Record
    dyad: Dyad
    dimension: str
    before: Value
    after: Value
    day: str = ""

    @property
    def placed(self) -> str:
        """The day the change is placed at."""
        return self.day or self.record.earliest


def changes(
    records: Sequence[Record],
    dyad: Dyad,
    state: DyadState = INITIAL,
    lifespans: Sequence[Record] = (),
) -> Iterator[Change]:
    """The value changes of `dyad`, in replay order, folding `records` from `state`.

    With `lifespans` (as in `at`), events that count in no segment change nothing, the others
    fold at their earliest day but not before their segment starts, and the end of a segment
    returns every dimension to its initial value, a change made by the lifespan event.
    """
    for record, ends, day in plain_order(records, dyad, lifespans):
        if ends:
            new = INITIAL
        else:
            step = effects_on(record, dyad)
            if not step:
                continue
            new = evolve(state, step, record.id, record.on)
        for name, old, after in diff(state, new):
            yield Change(record, dyad, name, old, after, day)
        state = new


def plain_order(
    records: Sequence[Record], dyad: Dyad, lifespans: Sequence[Record] = ()
) -> list[tuple[Record, bool, str]]:
    """The records that count, in the order a plain fold takes them, each with whether it is
    the lifespan event that ends a segment (and so the dyad's state) rather than a record, and
    the day it is placed at."""
    if not lifespans:
        return [(r, False, r.earliest) for r in records]
    periods = _periods(lifespans, dyad)
    spans = lifespans_.segments(periods)
    starts = [start for start, _ in spans]
    by_id = {r.id: r for r in lifespans}
    items: list[tuple[tuple[str, str, int], Record, bool]] = []
    for record in records:
        k = lifespans_.counts_in(starts, record.latest)
        if k is None:
            continue
        start, end = spans[k]
        place = max(record.earliest, start)
        if end is None or place < end:
            items.append(((place, record.latest, record.seq), record, False))
    for _, end in spans:
        if end is not None:
            ended = by_id[lifespans_.period_at(periods, end).events[0]]
            items.append(((end, "", -1), ended, True))
    items.sort(key=lambda item: item[0])
    return [(record, ends, key[0]) for key, record, ends in items]
