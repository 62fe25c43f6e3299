"""The Correlates of War State System Membership list (states2016.csv) as entity lifespans.

Columns: `stateabb, ccode, statenme, styear, stmonth, stday, endyear, endmonth, endday,
version`, one row per spell of membership (a state out of the system for a while has two:
Haiti under US occupation, 1915-1934). Plain or zipped; a spreadsheet's copy with empty
columns after the last is read too.

Each spell bounds the entity its code names (cow_codes.py): its first day becomes an
`entity_began` and the day after its last an `entity_ended`, citing the row. A spell that
starts on 1 January 1816 starts with the data set, not the state: it began by then
(`../1816-01-01`). A spell still running when the list ends has no end. Where a code changes
entity inside a spell (Russia and the USSR), the bundled lifespans say so, not the list.
Consecutive spells of one entity (the German Federal Republic, then Germany) are one stretch.
States with no ISO code become declared entities, with the code, name and abbreviation COW
gives them.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from events import Event, EventFormatError, from_dict

from ..entities import Entity
from ..errors import LedgerError
from ..ledger import Located, validate
from . import cow_codes, reading

HEADER = (
    "stateabb",
    "ccode",
    "statenme",
    "styear",
    "stmonth",
    "stday",
    "endyear",
    "endmonth",
    "endday",
    "version",
)
WHAT = "a COW State System Membership list"
PUBLISHER = "Correlates of War Project"
URL = "https://correlatesofwar.org/data-sets/state-system-membership/"
FIRST_DAY = "1816-01-01"  # where the system, and the data, begin
MAX_LINE = 1 << 16


@attrs.frozen
class Spell:
    """One row of the list: a COW state in the system from `start` to `end` (both in)."""

    ccode: int
    abbreviation: str
    name: str
    start: str
    end: str
    version: str
    path: str
    line: int

    def cite(self) -> str:
        """The row, as a source's locator says it (its content, not its place in a file)."""
        return f"{self.abbreviation} {self.ccode} {self.name}: {self.start} to {self.end}"

    def covers(self, day: str) -> bool:
        """Whether the state was in the system on `day`."""
        return self.start <= day <= self.end


@attrs.frozen
class Membership:
    """The spells of every COW code, the list's version, and its last day."""

    spells: dict[int, tuple[Spell, ...]]
    version: str
    last: str
    rows: int
    files: tuple[str, ...]

    def member(self, ccode: int, day: str) -> bool:
        """Whether `ccode` was in the system on `day`."""
        return any(s.covers(day) for s in self.spells.get(ccode, ()))

    def names(self) -> dict[int, Spell]:
        """Each code's first spell (for its name and abbreviation)."""
        return {c: spells[0] for c, spells in self.spells.items()}


def _day(spell: tuple[str, int, list[str]], at: int, column: str) -> str:
    name, line, cells = spell
    year, month, day = (reading.integer(name, line, HEADER[i], cells[i]) for i in range(at, at + 3))
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise LedgerError(name, line, f"{column} {year}-{month}-{day} is not a date") from None


def read(paths: Sequence[Path]) -> Membership:
    """Read membership lists; every problem names the file, the line and the reason."""
    spells: dict[int, list[Spell]] = {}
    versions: set[str] = set()
    rows = 0
    for path in paths:
        for row in reading.csv_rows(path, HEADER, WHAT, MAX_LINE):
            name, line, cells = row
            rows += 1
            ccode = reading.integer(name, line, "ccode", cells[1])
            # both go into a locator and a declared entity's name and aliases: kept short
            abbreviation = reading.field(name, line, "stateabb", cells[0].strip(), 10)
            state = reading.field(name, line, "statenme", cells[2].strip(), 200)
            if not abbreviation or not state:
                raise LedgerError(name, line, "stateabb and statenme must not be empty")
            version = published_version(name, line, cells[9])
            start, end = _day(row, 3, "start"), _day(row, 6, "end")
            if end < start:
                raise LedgerError(name, line, f"the spell ends ({end}) before it starts ({start})")
            found = spells.setdefault(ccode, [])
            for other in found:
                if other.start <= end and start <= other.end:
                    raise LedgerError(
                        name, line, f"COW {ccode}: this spell overlaps the one at line {other.line}"
                    )
            found.append(Spell(ccode, abbreviation, state, start, end, version, name, line))
            versions.add(version)
    if len(versions) > 1:
        raise LedgerError(str(paths[0]), None, f"mixed versions: {', '.join(sorted(versions))}")
    every = [s for found in spells.values() for s in found]
    last = max((s.end for s in every), default=FIRST_DAY)
    return Membership(
        {c: tuple(sorted(found, key=lambda s: s.start)) for c, found in sorted(spells.items())},
        versions.pop() if versions else "",
        last,
        rows,
        tuple(str(p) for p in paths),
    )


def published_version(name: str, line: int, text: str) -> str:
    """A version number as its publisher writes it: `2006.0999755859375` (a 32-bit float
    written out in full) is 2006.1, so that either spelling names one version."""
    cleaned = text.strip()
    if not re.fullmatch(r"[0-9]{4}(\.[0-9]{1,20})?", cleaned):
        raise LedgerError(name, line, f"version {text!r} is not a version number (YYYY.N)")
    if "." not in cleaned:
        return cleaned
    value = float(cleaned)
    single = struct.pack("<f", value)
    for digits in range(1, 8):
        shorter = f"{value:.{digits}f}"
        if struct.pack("<f", float(shorter)) == single:
            return shorter.rstrip("0").rstrip(".") if "." in shorter else shorter
    return cleaned


def _next(day: str, days: int = 1) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


@attrs.frozen
class Stretch:
    """A stretch in which one entity is in the system: its first and last day, the spells
    that open and close it, and whether either end is only a change of code."""

    entity: str
    start: str
    end: str
    opened: Spell
    closed: Spell
    switched_in: bool
    switched_out: bool


def stretches(membership: Membership) -> dict[str, list[Stretch]]:
    """Each entity's stretches in the system, from every code that names it, merged."""
    pieces: list[Stretch] = []
    for ccode, spells in membership.spells.items():
        steps = cow_codes.periods(ccode)
        for spell in spells:
            for k, (first, entity) in enumerate(steps):
                last = _next(steps[k + 1][0], -1) if k + 1 < len(steps) else "9999-12-31"
                start, end = max(first, spell.start), min(last, spell.end)
                if start > end:
                    continue
                switched_in = start == first and start != spell.start
                switched_out = end == last and end != spell.end
                pieces.append(Stretch(entity, start, end, spell, spell, switched_in, switched_out))
    found: dict[str, list[Stretch]] = {}
    for piece in sorted(pieces, key=lambda p: (p.entity, p.start)):
        merged = found.setdefault(piece.entity, [])
        if merged and piece.start <= _next(merged[-1].end):
            before = merged[-1]
            if piece.end > before.end:
                merged[-1] = attrs.evolve(
                    before, end=piece.end, closed=piece.closed, switched_out=piece.switched_out
                )
        else:
            merged.append(piece)
    return found


def lifespan_events(membership: Membership) -> list[tuple[Spell, Event]]:
    """The lifespan events of every stretch (each with the row it cites)."""
    found: list[tuple[Spell, Event]] = []
    for entity, runs in stretches(membership).items():
        for run in runs:
            if not run.switched_in:
                on = f"../{FIRST_DAY}" if run.start == FIRST_DAY else run.start
                note = f"COW: in the state system from {run.start}" + (
                    " (the data set's first day: the state is older)"
                    if run.start == FIRST_DAY
                    else ""
                )
                found.append((run.opened, _event("entity_began", entity, on, run.opened, note)))
            if not run.switched_out and run.end != membership.last:
                note = f"COW: in the state system until {run.end}, its last day as a member"
                found.append(
                    (run.closed, _event("entity_ended", entity, _next(run.end), run.closed, note))
                )
    return found


def _event(kind: str, entity: str, on: str, spell: Spell, note: str) -> Event:
    body: dict[str, Any] = {
        "type": kind,
        "actor": entity,
        "on": on,
        "sources": [
            {
                "title": f"State System Membership List, v{spell.version}",
                "publisher": PUBLISHER,
                "date": spell.version[:4],
                "url": URL,
                "locator": spell.cite(),
            }
        ],
        "note": note,
    }
    try:
        return validate(from_dict(body))
    except (ValueError, EventFormatError) as error:
        raise LedgerError(spell.path, spell.line, str(error)) from None


def declared(membership: Membership, ccodes: Iterable[int]) -> list[Entity]:
    """The entities to declare for the codes with no ISO code (named as COW names them)."""
    names = membership.names()
    found = []
    for ccode in sorted(set(ccodes)):
        spell = names.get(ccode)
        ids = {entity for _, entity in cow_codes.periods(ccode)}
        if spell is not None and cow_codes.declared_id(ccode) in ids:
            aliases = (f"COW {ccode}", f"COW {spell.abbreviation}")
            found.append(Entity(cow_codes.declared_id(ccode), spell.name, "state", aliases))
    return found


def events_of(membership: Membership) -> tuple[list[Located], list[Entity]]:
    """The lifespan events of a membership list (each located at the row it cites), and the
    entities to declare for it."""
    events = [Located(e, s.path, s.line) for s, e in lifespan_events(membership)]
    return events, declared(membership, membership.spells)


def entities_of(membership: Membership) -> set[str]:
    """Every entity the list's codes name."""
    return {e for ccode in membership.spells for _, e in cow_codes.periods(ccode)}
