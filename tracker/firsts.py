"""Who was first: the actor whose relationship toward a counterpart first came to meet every
condition, on or after a day; or, when the dates cannot tell, every actor that may have been.

An actor comes to match on the day its match becomes settled. Another actor whose match was
possible by that day (an event dated only "by 2025-07-04", or within a year) may have come
first: then the order is unknown, and the answer lists them all rather than pick one.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import Any

import attrs

from . import conditions as conds
from . import dates, existence, lifespans, projection
from .names import resolve
from .reducers import Answer
from .store import Store
from .timeline import intervals

_BLANK = projection.BLANK


@attrs.frozen
class Candidate:
    """An actor that came, or may have come, to match first: the event that made it match,
    the day its match became settled (None if not by the first settled match), and the first
    day it could have matched."""

    actor: str
    on: str | None
    event: str | None
    settled: str | None
    possible_from: str
    machine_coded: bool = False

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of one candidate."""
        return {
            "actor": self.actor,
            "on": self.on,
            "event": self.event,
            "settled": self.settled,
            "possible_from": _day(self.possible_from),
            "machine_coded": self.machine_coded,
        }


@attrs.frozen
class FirstResult:
    """Who first came to match every condition toward a counterpart, on or after a day.

    `candidates` holds every actor that was or may have been first. `actor` (and `on`,
    `event`, `since`, `machine_coded`) names the first only when the dates tell: exactly one
    candidate, settled. Otherwise `order_known` is False and `actor` is None.
    """

    counterpart: str
    where: conds.Conditions
    after: str
    candidates: tuple[Candidate, ...] = ()
    known_at: str | None = None
    curated_only: bool = False
    warnings: tuple[str, ...] = ()
    resolved: dict[str, str] = attrs.field(factory=dict)

    @property
    def order_known(self) -> bool:
        """Whether the dates tell who was first (or that nobody came to match)."""
        return not self.candidates or (
            len(self.candidates) == 1 and self.candidates[0].settled is not None
        )

    @property
    def _one(self) -> Candidate | None:
        return self.candidates[0] if self.candidates and self.order_known else None

    @property
    def actor(self) -> str | None:
        """The first actor, when the dates tell."""
        return None if self._one is None else self._one.actor

    @property
    def on(self) -> str | None:
        """The date of the event that made the first actor match."""
        return None if self._one is None else self._one.on

    @property
    def event(self) -> str | None:
        """The id of that event."""
        return None if self._one is None else self._one.event

    @property
    def since(self) -> str | None:
        """The day the first actor's match became settled."""
        return None if self._one is None else self._one.settled

    @property
    def machine_coded(self) -> bool:
        """Whether the first actor's match rests only on machine-coded events."""
        return False if self._one is None else self._one.machine_coded

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "counterpart": self.counterpart,
            "where": conds.to_json(self.where),
            "after": _day(self.after),
            "actor": self.actor,
            "on": self.on,
            "event": self.event,
            "settled": self.since,
            "machine_coded": self.machine_coded,
            "order_known": self.order_known,
            "candidates": [c.to_json() for c in self.candidates],
            "known_at": self.known_at,
            "curated_only": self.curated_only,
            "warnings": list(self.warnings),
            "resolved": self.resolved,
        }

    to_dict = to_json

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per candidate (needs the `pandas` extra)."""
        from .frames import first_rows, frame

        return frame(first_rows(self))


Row = tuple[str, str, str, Answer]  # valid_from, actor, dimension, answer


def _timeline(
    store: Store,
    counterpart: str,
    dimensions: tuple[str, ...],
    after: str,
    known_at: str | None,
    curated_only: bool,
) -> Iterator[Row]:
    """The intervals of the dimensions toward `counterpart` in force from `after`, in order of
    their first day, then actor."""
    if known_at is None and not curated_only:
        yield from heapq.merge(
            *(_labelled(store, counterpart, d, after) for d in dimensions),
            key=lambda row: (row[0], row[1]),
        )
        return
    rows = []
    for actor in store.dyads_toward(counterpart):
        if actor == counterpart:
            continue
        dyad = (actor, counterpart)
        records, bounds = existence.folded(store, dyad, known_at, curated_only)
        machine = {r.id for r in (*records, *bounds) if r.machine_coded}
        for interval in intervals(records, dyad, bounds):
            if interval.dimension in dimensions and (
                interval.valid_to is None or interval.valid_to > after
            ):
                ans = interval.answer
                flag = projection.machine_only(ans.events, machine)
                answer = attrs.evolve(ans, machine_coded=flag)
                rows.append((interval.valid_from, actor, interval.dimension, answer))
    yield from sorted(rows, key=lambda r: (r[0], r[1]))


def _labelled(store: Store, counterpart: str, dimension: str, after: str) -> Iterator[Row]:
    """One dimension's stored intervals toward `counterpart` as timeline rows."""
    for actor, valid_from, ans in projection.counterpart_timeline(
        store.conn, counterpart, dimension, after
    ):
        yield valid_from, actor, dimension, ans


def first(
    store: Store,
    counterpart: str,
    where: conds.Where,
    after: str = dates.OPEN_START,
    known_at: str | None = None,
    *,
    curated_only: bool = False,
) -> FirstResult:
    """Who first came to meet every condition toward `counterpart`, from `after` on.

    `where` is a mapping (`{"recognition": "recognized"}`), (dimension, value) pairs, or one
    pair. A dyad matches only while it exists: an entity's end is never a change to match.
    """
    resolved: dict[str, str] = {}
    counterpart = resolve(store, counterpart, resolved)
    wanted = conds.conditions(where)
    day = dates.day(after)
    known = None if known_at is None else dates.timestamp(known_at)
    lives = existence.Lives(store, known, curated_only)
    current: dict[str, dict[str, Answer]] = {}
    settled: dict[str, bool] = {}
    possible: dict[str, Candidate] = {}
    winners: list[Candidate] = []

    def judge(actor: str, on: str) -> str:
        """Whether the actor's dyad settled-matches, may match, or does not, on `on`."""
        exists = lives.exists((actor, counterpart), on)
        answers = [current[actor].get(d) or _BLANK[d] for d in wanted]
        if exists == lifespans.NO:
            return "no"
        every = exists == lifespans.YES and all(
            not a.uncertain and conds.holds(a.value, w)
            for a, w in zip(answers, wanted.values(), strict=True)
        )
        if every:
            return "settled"
        some = all(
            any(conds.holds(v, w) for v in a.possible)
            for a, w in zip(answers, wanted.values(), strict=True)
        )
        return "possible" if some else "no"

    def candidate(actor: str, on: str, moved: Answer, is_settled: bool) -> Candidate:
        event = moved.events[-1] if moved.events else None
        info = store.sources([event]).get(event, {}) if event else {}
        since = possible[actor].possible_from if actor in possible else on
        return Candidate(
            actor, info.get("on"), event, on if is_settled else None, since, moved.machine_coded
        )

    rows = _timeline(store, counterpart, tuple(wanted), day, known, curated_only)
    started = False
    for valid_from, group in itertools.groupby(rows, key=lambda row: row[0]):
        if valid_from >= day and not started:
            started = True
            _start(current, settled, possible, judge, candidate, day)
        moved: dict[str, Answer] = {}
        for _, actor, dimension, ans in group:
            current.setdefault(actor, {})[dimension] = ans
            moved[actor] = ans
        if not started:
            continue
        for actor, ans in moved.items():
            verdict = judge(actor, valid_from)
            if verdict == "settled" and not settled.get(actor, False):
                winners.append(candidate(actor, valid_from, ans, True))
            elif verdict == "possible" and actor not in possible:
                possible[actor] = candidate(actor, valid_from, ans, False)
            settled[actor] = verdict == "settled"
        if winners:
            break
    if not started:
        _start(current, settled, possible, judge, candidate, day)
    won = {c.actor for c in winners}
    found = sorted([*winners, *(c for a, c in possible.items() if a not in won)], key=_order)
    warnings = conds.unknown_values(store.conn, counterpart, wanted)
    return FirstResult(
        counterpart, wanted, day, tuple(found), known, curated_only, tuple(warnings), resolved
    )


def _start(
    current: dict[str, dict[str, Answer]],
    settled: dict[str, bool],
    possible: dict[str, Candidate],
    judge: Any,
    candidate: Any,
    day: str,
) -> None:
    """Judge every actor on `after`: those already matching did not come to match after it;
    those that may match may have come to match after it."""
    for actor in sorted(current):
        verdict = judge(actor, day)
        settled[actor] = verdict == "settled"
        if verdict == "possible":
            answers = list(current[actor].values())
            uncertain = [a for a in answers if a.uncertain] or answers
            possible[actor] = candidate(actor, day, uncertain[-1], False)


def _day(day: str | None) -> str | None:
    """A day as JSON: None for the open start (no `--after`, a window open to the past)."""
    return None if day == dates.OPEN_START else day


def _order(c: Candidate) -> tuple[int, str, str]:
    return (c.settled is None, c.settled or "", c.actor)
