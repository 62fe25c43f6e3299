"""Scenarios: hypothetical events added to, and real ones retracted from, the base log.

A scenario never writes to the store. Running one refolds only the dyads it touches, once with
and once without its changes, and reports what differs on each date asked.

    name = "China recognises the Taliban government"
    description = "..."
    known_at = 2025-07-10          # optional: the base log as known then
    base = "other.toml"            # optional: a scenario to build on (relative path)
    compare_on = [2026-06-01]

    [[add]]                        # the ledger's event schema; sources optional
    type = "recognition_granted"
    actor = "CHN"
    counterpart = "TALIBAN"
    on = 2026-01-01

    [[retract]]                    # by id (or a unique prefix) ...
    id = "64bbde6f"
    [[retract]]                    # ... or by a match that must find something
    type = "designation_removed"
    actor = "RUS"
    counterpart = "TALIBAN"
    on = "2025-04-17"              # optional
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from events import Event

from . import dates, ledger, projection, tables
from .errors import LedgerError, TrackerError
from .query import _answers_json, check_entity
from .reducers import DIMENSIONS, Answer, Dyad, effects_on, movers
from .store import Store
from .timeline import Record, at, effective, standing_lifespans
from .validation import blank, text_problem

_KEYS = {"name", "description", "known_at", "base", "compare_on", "add", "retract"}
_MATCH_KEYS = {"id", "type", "actor", "counterpart", "on"}


@attrs.frozen
class Retraction:
    """A retract entry: an id (or prefix), or a match on type, actor, counterpart and `on`.

    A match withdraws every event it finds (even one already corrected), and must find one.
    """

    path: str
    line: int
    id: str | None = None
    type: str | None = None
    actor: str | None = None
    counterpart: str | None = None
    on: str | None = None

    def describe(self) -> str:
        """The entry in words, for error messages."""
        if self.id is not None:
            return f"id {self.id}"
        on = f" on {self.on}" if self.on else ""
        return f"{self.type} {self.actor} -> {self.counterpart}{on}"


@attrs.frozen
class Difference:
    """One dimension of one dyad whose answer on a date differs from the baseline."""

    dyad: Dyad
    dimension: str
    baseline: Answer
    scenario: Answer
    events: tuple[str, ...]


@attrs.frozen
class ScenarioResult:
    """What a scenario changes: per date, every differing dyad and dimension."""

    name: str
    description: str
    known_at: str | None
    touched: tuple[Dyad, ...]
    added: tuple[str, ...]
    retracted: tuple[str, ...]
    dates: dict[str, tuple[Difference, ...]]
    folded: int

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "scenario": self.name,
            "description": self.description,
            "known_at": self.known_at,
            "touched": [{"actor": a, "counterpart": c} for a, c in self.touched],
            "added": list(self.added),
            "retracted": list(self.retracted),
            "dates": [
                {
                    "on": day,
                    "changes": [
                        {
                            "actor": d.dyad[0],
                            "counterpart": d.dyad[1],
                            "dimension": d.dimension,
                            "baseline": _answers_json({"x": d.baseline})["x"],
                            "scenario": _answers_json({"x": d.scenario})["x"],
                            "events": list(d.events),
                        }
                        for d in diffs
                    ],
                }
                for day, diffs in self.dates.items()
            ],
        }

    to_dict = to_json

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per difference (needs the `pandas` extra)."""
        from .frames import frame, scenario_rows

        return frame(scenario_rows(self))


@attrs.frozen
class Scenario:
    """A set of hypothetical changes to the log, read from a scenario file or built in Python."""

    name: str
    description: str = ""
    known_at: str | None = None
    adds: tuple[Event, ...] = ()
    retracts: tuple[Retraction, ...] = ()
    compare_on: tuple[str, ...] = ()

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """Read a scenario file (and the scenarios it builds on); errors name file and line."""
        return _read(Path(path))

    def records(self, after_seq: int) -> list[Record]:
        """The added events as records numbered after the store's last `seq`."""
        marked = (attrs.evolve(event, hypothetical=True) for event in self.adds)
        return [Record.of(after_seq + i, event) for i, event in enumerate(marked, 1)]

    def run(self, store: Store, on: Sequence[str] = ()) -> ScenarioResult:
        """Compare the scenario with the baseline on each date (`on`, else `compare_on`)."""
        days = [dates.day(d) for d in (on or self.compare_on)]
        if not days:
            raise TrackerError(f"scenario {self.name!r}: give dates with --on or compare_on")
        known = None if self.known_at is None else dates.timestamp(self.known_at)
        for event in self.adds:
            for entity in (event.actor, event.counterpart):
                check_entity(store, entity)
        added = self.records(store.head()[0])
        by_id = {r.id: r for r in added}
        withdrawn = self.withdrawn(store, added, known)
        reach = {r.id: store.reach(r, by_id) for r in added}
        touched: set[Dyad] = set().union(*reach.values())
        for target in withdrawn:
            found = by_id.get(target) or store.stored(target)
            assert found is not None  # withdrawn() only names events that exist
            touched |= store.reach(found, by_id)
        # a lifespan (an entity's own dyad) bounds every dyad of its entity
        lives = [a for a, c in touched if a == c]
        touched = {d for d in touched if d[0] != d[1]}
        touched.update(projection.dyads_of_entities(store.conn, lives))
        results: dict[str, list[Difference]] = {day: [] for day in days}
        # Dimensions fold independently: when the scenario only adds plain events, only the
        # dimensions they move can change, and only the events that move those are folded.
        narrow = not withdrawn and not lives and all(r.withdraws is None for r in added)
        folded = 0
        for dyad in sorted(touched):
            mine = [r for r in added if dyad in reach[r.id]]
            own = [r for e in dyad for r in projection.lifespan_records(store.conn, e)]
            bounds = standing_lifespans(own, known)
            alt_bounds = standing_lifespans(
                [*own, *(r for r in added if r.actor == r.counterpart and r.actor in dyad)],
                known,
                withdrawn,
            )
            names = DIMENSIONS
            if narrow:
                moved = {name for r in mine for name, _, _ in effects_on(r, dyad)}
                names = tuple(name for name in DIMENSIONS if name in moved)
                if not names:
                    continue
            # read as folds read them: from the dyad index alone, without bodies
            stored = tables.records(
                store.conn, dyad, movers(names) if narrow else None, bodies=False
            )
            folded += len(stored) + len(mine)
            # hypothetical records carry no transaction time: they are known at any known_at
            alt = effective([*stored, *mine], known, withdrawn)
            base = None if known is None else effective(stored, known)
            for day in days:
                # the baseline is the log as it stands: the projection, unless known_at
                if base is None:
                    before = projection.dyad_state(store.conn, dyad, day)
                else:
                    before = at(base, dyad, day, bounds)
                after = at(alt, dyad, day, alt_bounds)
                for name in names:
                    answer_before, answer_after = before[name], after[name]
                    if answer_before != answer_after:
                        why = tuple(e for e in answer_after.events if e not in answer_before.events)
                        why += tuple(
                            e for e in answer_before.events if e not in answer_after.events
                        )
                        results[day].append(
                            Difference(dyad, name, answer_before, answer_after, why)
                        )
        return ScenarioResult(
            self.name,
            self.description,
            known,
            tuple(sorted(touched)),
            tuple(r.id for r in added),
            tuple(withdrawn),
            {d: tuple(v) for d, v in results.items()},
            folded,
        )

    def withdrawn(self, store: Store, added: Sequence[Record], known: str | None) -> list[str]:
        """The ids the retract entries name, in order; a LedgerError for an entry naming none."""
        found: list[str] = []
        for entry in self.retracts:
            found.extend(i for i in _resolve(store, entry, added, known) if i not in found)
        return found


def _resolve(
    store: Store, entry: Retraction, added: Sequence[Record], known: str | None
) -> list[str]:
    """Every id a retract entry names: one for an id, all the matching events for a match."""
    if entry.id is not None:
        for record in added:
            if record.id.startswith(entry.id):
                return [record.id]
        try:
            return [store.resolve(entry.id)]
        except TrackerError as error:
            raise LedgerError(entry.path, entry.line, f"retract: {error}") from None
    assert entry.actor is not None and entry.counterpart is not None
    dyad = (entry.actor, entry.counterpart)
    stored = [r for r in store.records(dyad) if known is None or r.recorded <= known]
    found = [
        r.id
        for r in sorted([*stored, *added], key=lambda r: r.key)
        if r.type == entry.type
        and (r.actor, r.counterpart) == dyad
        and (entry.on is None or _same_window(entry.on, r))
    ]
    if not found:
        raise LedgerError(entry.path, entry.line, f"retract: no event matches {entry.describe()}")
    return found


def _same_window(on: str, record: Record) -> bool:
    window = dates.parse(on)
    return (window.earliest, window.latest) == (record.earliest, record.latest)


MAX_BASES = 32  # scenarios in one chain of `base`


def _read(path: Path) -> Scenario:
    """Read a scenario and the chain of scenarios it builds on (iteratively: a chain of any
    length is refused cleanly), then build it from the innermost base outward."""
    chain: list[tuple[str, dict[str, Any], list[str]]] = []
    seen: set[Path] = set()
    current = path
    while True:
        name = str(current)
        resolved = current.resolve()
        if resolved in seen:
            raise LedgerError(name, None, "scenario 'base' chain loops back to this file")
        if len(chain) == MAX_BASES:
            raise LedgerError(
                str(path), None, f"more than {MAX_BASES} scenarios in its 'base' chain"
            )
        seen.add(resolved)
        text = ledger.read_text(current, name, ledger.MAX_TOML)
        doc = ledger.parse_toml(name, text)
        _check_keys(name, doc)
        chain.append((name, doc, text.split("\n")))
        if "base" not in doc:
            break
        folder = current.parent.resolve()
        target = (folder / doc["base"]).resolve()
        if not target.is_relative_to(folder):
            raise LedgerError(name, None, f"'base' must be a scenario in {folder}, not {target}")
        current = target
    scenario: Scenario | None = None
    for name, doc, lines in reversed(chain):
        scenario = _built(name, doc, lines, scenario or Scenario(name=doc["name"]))
    assert scenario is not None
    return scenario


def _check_keys(name: str, doc: dict[str, Any]) -> None:
    """Refuse unknown keys and values of the wrong type, naming the file."""
    unknown = set(doc) - _KEYS
    if unknown:
        raise LedgerError(name, None, f"unknown key(s): {', '.join(sorted(unknown))}")
    if not isinstance(doc.get("name"), str) or blank(doc["name"]):
        raise LedgerError(name, None, "a scenario needs a 'name'")
    if "description" in doc and not isinstance(doc["description"], str):
        raise LedgerError(name, None, "'description' must be text")
    if "base" in doc and not isinstance(doc["base"], str):
        raise LedgerError(name, None, "'base' is the path of another scenario file")
    if "known_at" in doc and not isinstance(doc["known_at"], (str, dt.date)):
        raise LedgerError(name, None, "'known_at' must be a day or a timestamp")
    compare = doc.get("compare_on", [])
    if not isinstance(compare, list) or not all(
        isinstance(d, (str, dt.date)) and not isinstance(d, dt.datetime) for d in compare
    ):
        raise LedgerError(name, None, "'compare_on' must be a list of days, YYYY-MM-DD")
    problem = text_problem(doc)
    if problem is not None:
        raise LedgerError(name, None, problem)


def _built(name: str, doc: dict[str, Any], lines: list[str], base: Scenario) -> Scenario:
    adds = [_add(item) for item in ledger._tables(name, doc.get("add", []), lines, "add")]
    retracts = [
        _retract(item) for item in ledger._tables(name, doc.get("retract", []), lines, "retract")
    ]
    try:
        compare = tuple(dates.day(d) for d in doc.get("compare_on", []))
        known_at = doc.get("known_at", base.known_at)
        known_at = None if known_at is None else dates.timestamp(known_at)
    except dates.DateError as error:
        raise LedgerError(name, None, str(error)) from None
    return Scenario(
        name=doc["name"],
        description=doc.get("description", ""),
        known_at=known_at,
        adds=(*base.adds, *adds),
        retracts=(*base.retracts, *retracts),
        compare_on=compare or base.compare_on,
    )


def _add(located: ledger.Located) -> Event:
    raw = located.item
    if not isinstance(raw, Mapping):
        raise located.error("an [[add]] entry must be a table")
    body = {**raw, "hypothetical": True}
    event = ledger.event(attrs.evolve(located, item=body), hypothetical=True)
    return event


def _retract(located: ledger.Located) -> Retraction:
    raw = located.item
    if not isinstance(raw, Mapping):
        raise located.error("a [[retract]] entry must be a table")
    unknown = set(raw) - _MATCH_KEYS
    if unknown:
        raise located.error(f"retract: unknown key(s): {', '.join(sorted(unknown))}")
    values = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in raw.items()}
    if not all(isinstance(v, str) for v in values.values()):
        raise located.error("retract: values must be text")
    if "id" in values:
        if len(values) > 1:
            raise located.error("retract: give either 'id' or a match, not both")
    elif not {"type", "actor", "counterpart"} <= set(values):
        raise located.error("retract: give 'id', or 'type', 'actor' and 'counterpart'")
    return Retraction(located.path, located.line, **values)
