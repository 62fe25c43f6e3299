"""A dyad's history: every event in replay order, what each changed, and what each says.

Incidents (an attack, a visit) change no standing state, but they are part of the story: a
history entry carries each event's own words and numbers (`details`: the summary, the dead,
a statement's stance) beside the changes it made.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

import attrs
import orjson

from . import dates, lifespans, projection
from .names import resolve
from .reducers import INITIAL, RULES, Dyad, Value, diff, effects_on, encode, evolve
from .store import Store
from .timeline import Record, changes, effective, plain_order, retracted_ids

INCIDENTS = frozenset(
    kind
    for kind, steps in RULES.items()
    if not steps and kind != "event_retracted" and kind not in lifespans.LIFESPAN_TYPES
)
"""Event types that change no standing state: incidents (attacks, visits)."""

_DETAILS = ("stance", "summary", "killed", "casualties")


def details(record: Record) -> dict[str, Any]:
    """What an event says beyond its type and date: its summary, the number killed (an
    attack), the actor's dead (an intervention's end), a statement's stance; only those it has.

    Read from the stored body: a schema 1 attack calls its dead `casualties`, shown as `killed`.
    """
    body = orjson.loads(record.body)
    found = {key: body[key] for key in _DETAILS if body.get(key) is not None}
    if record.type == "attack_carried_out" and "casualties" in found:
        found["killed"] = found.pop("casualties")
    return found


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

    @property
    def details(self) -> dict[str, Any]:
        """The event's summary, dead and stance, as far as it has them."""
        return details(self.record)

    def to_json(self, sources: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """The JSON shape of one history line (sources read from the stored body if not given)."""
        event = self.record.event
        if sources is None:
            sources = {self.record.id: {"sources": orjson.loads(self.record.body)["sources"]}}
        said = self.details
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
            "summary": said.get("summary"),
            "killed": said.get("killed"),
            "casualties": said.get("casualties"),
            "stance": said.get("stance"),
            "retracted_by": self.retracted_by,
            "outside_lifespan": self.outside,
            "sources": sources.get(self.record.id, {}).get("sources", []),
        }

    to_dict = to_json


class History(list[HistoryEntry]):
    """A dyad's history (a list of entries) that can be turned into JSON or a DataFrame."""

    resolved: dict[str, str]

    def to_dict(self) -> list[dict[str, Any]]:
        """The documented JSON shape: one object per event."""
        return [entry.to_json() for entry in self]

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per event (needs the `pandas` extra)."""
        from .frames import frame, history_rows

        return frame(history_rows(self))


def history(store: Store, actor: str, counterpart: str, known_at: str | None = None) -> History:
    """Every event of actor -> counterpart in replay order, with the changes each made.

    Withdrawn events stay in the history, marked with the id that withdrew them; events dated
    when the dyad did not exist (entity lifespans) are marked `outside`.
    """
    resolved: dict[str, str] = {}
    found = History(iter_history(store, actor, counterpart, known_at, resolved))
    found.resolved = resolved
    return found


def iter_history(
    store: Store,
    actor: str,
    counterpart: str,
    known_at: str | None = None,
    resolved: MutableMapping[str, str] | None = None,
) -> Iterator[HistoryEntry]:
    """`history`, streamed: one event at a time from the store's cursor, so a dyad of any size
    takes the memory of one event (and of its withdrawals, read first)."""
    dyad = (resolve(store, actor, resolved), resolve(store, counterpart, resolved))
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


def incidents(
    store: Store, dyad: Dyad, day: str, known_at: str | None = None, curated_only: bool = False
) -> list[Record]:
    """The standing incidents of a dyad whose window starts by `day`, in replay order."""
    records = store.records(dyad, INCIDENTS)
    standing = effective(records, known_at, curated_only=curated_only)
    return [r for r in standing if r.type in INCIDENTS and r.earliest <= day]
