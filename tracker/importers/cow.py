"""The Correlates of War Diplomatic Exchange data set (v2006.1) as envoy events.

Columns: `ccode1, ccode2, year, DR_at_1, DR_at_2, DE, version` (the published file quotes
its header and writes its version as `2006.0999755859375`; it comes zipped). The codebook:
DR_at_1 is the level of diplomatic representation *of country 2 at country 1* (country 2's
envoy in country 1's capital), DR_at_2 that of country 1 at country 2. So DR_at_1 is an
`envoy_sent` by ccode2 to ccode1 and DR_at_2 one by ccode1 to ccode2 (each also the
receiver's `envoy_received`):

    level  COW meaning         event
    0      no evidence         envoy_recalled (when a level was held before)
    1      charge d'affaires   envoy_sent(level=charge_d_affaires)
    2      minister            envoy_sent(level=minister)
    3      ambassador          envoy_sent(level=ambassador)
    9      other               envoy_sent(level=other) (an interests section, a liaison office)
    -9     missing             that snapshot is left out (so is an empty level)

Snapshots. The level a row gives for year Y is the dyad's level on 31 December of Y. A change
between two snapshots Y1 and Y2 of one stretch of the dyad's existence is dated after Y1 and
by the end of Y2 (`Y1+1/Y2`): uncertain in between, settled from 31 December of Y2. The
stretches come from the State System Membership list (cow_states.py, required): a dyad ends
when either state leaves the system or ceases to be, and starts afresh when it comes back,
so nothing reaches across a gap. A stretch's first level is dated from its first day. Where
a COW state changes entity inside its spell (the USSR becoming Russia), the level it had
carries over to the new entity on the day of the change.

A row counts for year Y only if both its states were in the system on 31 December of Y;
two codes that name one entity (678 and 679, both Yemen, both in the 1990 file) are told
apart that way, and the report names the rows involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from events import Event, EventFormatError, from_dict

from ..errors import LedgerError, TrackerError
from ..ledger import Located, validate
from ..ledger import read as read_ledger
from ..store import Store
from . import ImportReport, Tally, append, cow_codes, cow_states, reading

HEADER = ("ccode1", "ccode2", "year", "DR_at_1", "DR_at_2", "DE", "version")
WHAT = "a COW Diplomatic Exchange file"
LEVELS: dict[int, str | None] = {
    0: None,
    1: "charge_d_affaires",
    2: "minister",
    3: "ambassador",
    9: "other",
}
MISSING = -9
BLANKS = frozenset({"", ".", "NA"})  # other spellings of a missing level, read as -9
PUBLISHER = "Correlates of War Project"
URL = "https://correlatesofwar.org/data-sets/diplomatic-exchange/"
MAX_LINE = 1 << 16


@attrs.frozen
class Observation:
    """One snapshot of one directed COW pair: the sender's level at the receiver in a year."""

    year: int
    level: int
    path: str
    line: int
    ccode1: int
    ccode2: int
    column: str

    @property
    def pair(self) -> tuple[int, int]:
        """The directed COW pair: the sender's code, then the receiver's."""
        return (
            (self.ccode2, self.ccode1) if self.column == "DR_at_1" else (self.ccode1, self.ccode2)
        )

    def cite(self) -> str:
        """Where this observation is in the data set (by content, not by place in a file)."""
        return (
            f"{self.year}: {self.column}={self.level} (ccode1 {self.ccode1}, ccode2 {self.ccode2})"
        )


@attrs.frozen
class Parsed:
    """Observations per directed dyad of entities, the version, and where every row went."""

    rows: int
    version: str
    dyads: dict[tuple[str, str], list[Observation]]
    tally: Tally
    notes: tuple[str, ...]


def _level(name: str, line: int, column: str, text: str) -> int:
    return MISSING if text.strip() in BLANKS else reading.integer(name, line, column, text)


def _end_of(year: int) -> str:
    return f"{year:04d}-12-31"


def _observe(paths: Sequence[Path], membership: cow_states.Membership, tally: Tally) -> Parsed:
    """Read every row into observations; each row goes in one bucket."""
    dyads: dict[tuple[str, str], dict[int, Observation]] = {}
    versions: set[str] = set()
    claims: dict[tuple[str, str, int], list[tuple[int, int, str]]] = {}  # see _collisions
    rows = 0
    for path in paths:
        for name, line, cells in reading.csv_rows(path, HEADER, WHAT, MAX_LINE):
            rows += 1
            c1, c2, year = (reading.integer(name, line, HEADER[i], cells[i]) for i in range(3))
            at1, at2 = (_level(name, line, HEADER[i], cells[i]) for i in (3, 4))
            reading.integer(name, line, "DE", cells[5])
            versions.add(cow_states.published_version(name, line, cells[6]))
            if not 1816 <= year <= 9999:
                raise LedgerError(name, line, f"year {year} is out of range")
            day = _end_of(year)
            unknown = [c for c in (c1, c2) if c not in membership.spells]
            if unknown:
                tally.unmapped("with a COW code not in the state list")
                for code in unknown:
                    tally.code("COW codes", str(code))
                continue
            a, b = cow_codes.entity(c1, day), cow_codes.entity(c2, day)
            claims.setdefault((a, b, year), []).append((c1, c2, f"{name}:{line}"))
            if not (membership.member(c1, day) and membership.member(c2, day)):
                tally.skip("with a state out of the system on 31 December")
                continue
            if a == b:
                tally.skip("naming one entity with both codes")
                continue
            used, reason = 0, None
            # DR_at_1: country 2's envoy at country 1; DR_at_2: country 1's envoy at country 2.
            for dyad, level, column in (((b, a), at1, "DR_at_1"), ((a, b), at2, "DR_at_2")):
                if level == MISSING:
                    reason = reason or ("skipped", "with both levels missing (-9)")
                    continue
                if level not in LEVELS:
                    tally.code("levels", str(level))
                    reason = ("unmapped", "with a level code not in the codebook")
                    continue
                seen = dyads.setdefault(dyad, {})
                if year in seen:
                    reason = reason or ("skipped", "repeating a dyad and year (the first row kept)")
                    continue
                seen[year] = Observation(year, level, name, line, c1, c2, column)
                used += 1
            if used:
                tally.read()
            elif reason is not None:
                (tally.skip if reason[0] == "skipped" else tally.unmapped)(reason[1])
    if len(versions) > 1:
        raise LedgerError(str(paths[0]), None, f"mixed versions: {', '.join(sorted(versions))}")
    return Parsed(
        rows,
        versions.pop() if versions else "",
        {dyad: [seen[y] for y in sorted(seen)] for dyad, seen in sorted(dyads.items())},
        tally,
        _collisions(claims, membership),
    )


def _collisions(
    claims: dict[tuple[str, str, int], list[tuple[int, int, str]]],
    membership: cow_states.Membership,
) -> tuple[str, ...]:
    """Where two COW codes name one dyad in one year: which held it, and the rows involved."""
    notes = []
    for (a, b, year), rows in sorted(claims.items()):
        if len({(c1, c2) for c1, c2, _ in rows}) < 2:
            continue
        day = _end_of(year)
        kept = [r for r in rows if membership.member(r[0], day) and membership.member(r[1], day)]
        held = ", ".join(f"COW {c1}-{c2} ({where})" for c1, c2, where in kept) or "neither"
        left = ", ".join(
            f"COW {c1}-{c2} ({where})" for c1, c2, where in rows if (c1, c2, where) not in kept
        )
        notes.append(
            f"collision: {a}-{b} in {year}: read {held}, in the system on {day}; left out {left}"
        )
    return tuple(notes)


def _describe(level: int) -> str:
    return f"{level} ({LEVELS[level] or 'none'})"


def _window(start: str, since: int | None, year: int) -> str:
    """When a level seen in `year` took hold: after the snapshot `since` (or from `start`, the
    stretch's first day, whichever is later) and by the end of `year`."""
    if start == cow_states.FIRST_DAY and since is None:
        return f"../{year}"
    if since is not None and f"{since + 1:04d}-01-01" >= start:
        begin = f"{since + 1:04d}"
        return begin if begin == f"{year:04d}" else f"{begin}/{year:04d}"
    return f"{start}/{_end_of(year)}"  # a day to a day: a year's end would read as its start


def _event(
    dyad: tuple[str, str], on: str, level: int, cites: list[Observation], version: str, note: str
) -> Event:
    named = LEVELS[level]
    body: dict[str, Any] = {
        "type": "envoy_sent" if named else "envoy_recalled",
        "actor": dyad[0],
        "counterpart": dyad[1],
        "on": on,
        "sources": [
            {
                "title": f"Diplomatic Exchange data set, v{version}",
                "publisher": PUBLISHER,
                "date": version[:4],
                "url": URL,
                "locator": "; ".join(o.cite() for o in cites),
            }
        ],
        "note": note,
        **({"level": named} if named else {}),
    }
    return validate(from_dict(body))


def _located(obs: Observation, *args: Any) -> Located:
    try:
        return Located(_event(*args), obs.path, obs.line)
    except (ValueError, EventFormatError) as error:
        raise LedgerError(obs.path, obs.line, str(error)) from None


def _stretch_of(
    runs: dict[str, list[cow_states.Stretch]], entity: str, day: str
) -> cow_states.Stretch | None:
    return next((r for r in runs.get(entity, ()) if r.start <= day <= r.end), None)


def events(parsed: Parsed, membership: cow_states.Membership) -> list[Located]:
    """The envoy events of every directed dyad: one per change of level within a stretch."""
    runs = cow_states.stretches(membership)
    by_pair: dict[tuple[int, int], list[Observation]] = {}
    for observations in parsed.dyads.values():
        for obs in observations:
            by_pair.setdefault(obs.pair, []).append(obs)
    for found_pair in by_pair.values():
        found_pair.sort(key=lambda o: o.year)

    def stretch(dyad: tuple[str, str], day: str) -> tuple[cow_states.Stretch, cow_states.Stretch]:
        one, two = _stretch_of(runs, dyad[0], day), _stretch_of(runs, dyad[1], day)
        assert one is not None and two is not None  # both were members that day
        return one, two

    found: list[Located] = []
    version = parsed.version
    for dyad, observations in parsed.dyads.items():
        previous: Observation | None = None
        start = ""
        for obs in observations:
            one, two = stretch(dyad, _end_of(obs.year))
            begins = max(one.start, two.start)
            handed: tuple[tuple[str, str], str] | None = None  # the dyad this one carries on
            if begins != start:  # a new stretch of the dyad: from nothing, or carried on
                start, previous = begins, None
                carried = (
                    _carried(by_pair[obs.pair], begins) if _continues(one, two, begins) else None
                )
                if carried is not None:
                    day = _end_of(carried.year)
                    old = (
                        cow_codes.entity(carried.pair[0], day),
                        cow_codes.entity(carried.pair[1], day),
                    )
                    handed = (old, max(run.start for run in stretch(old, day)))
                    previous = carried
                    if carried.level != 0:
                        note = (
                            f"COW {carried.pair[0]} and {carried.pair[1]} go on as {dyad[0]} and "
                            f"{dyad[1]} from {begins}: {_describe(carried.level)} in "
                            f"{carried.year}, carried over"
                        )
                        found.append(
                            _located(obs, dyad, begins, carried.level, [carried], version, note)
                        )
            if previous is not None and handed is not None and obs.level != previous.level:
                # the change may have come before the entities changed: then the dyad carried
                # on changed too, by the end of its stretch or not
                old, old_start = handed
                note = (
                    f"COW snapshots: {_describe(previous.level)} in {previous.year}, "
                    f"{_describe(obs.level)} in {obs.year} (as {dyad[0]}-{dyad[1]}); "
                    f"changed between them, maybe before {old[0]}-{old[1]} ended"
                )
                on = _window(old_start, previous.year, obs.year)
                found.append(_located(obs, old, on, obs.level, [previous, obs], version, note))
            if previous is None:
                if obs.level != 0:
                    note = (
                        f"first COW snapshot of this stretch: {_describe(obs.level)} in {obs.year}"
                    )
                    on = _window(start, None, obs.year)
                    found.append(_located(obs, dyad, on, obs.level, [obs], version, note))
            elif obs.level != previous.level:
                note = (
                    f"COW snapshots: {_describe(previous.level)} in {previous.year}, "
                    f"{_describe(obs.level)} in {obs.year}; changed between them"
                )
                on = _window(start, previous.year, obs.year)
                found.append(_located(obs, dyad, on, obs.level, [previous, obs], version, note))
            previous = obs
    return found


def _carried(observations: list[Observation], begins: str) -> Observation | None:
    """The COW pair's last snapshot before `begins` (under the entities it named then)."""
    before = [o for o in observations if _end_of(o.year) < begins]
    return before[-1] if before else None


def _continues(one: cow_states.Stretch, two: cow_states.Stretch, begins: str) -> bool:
    """Whether a stretch starting on `begins` only carries on one that ended the day before
    under other entities (a code changing entity inside its spell), not a new membership."""
    return all(run.switched_in for run in (one, two) if run.start == begins)


def read(
    paths: Sequence[Path], states: Sequence[Path], tally: Tally | None = None
) -> tuple[Parsed, list[Located], cow_states.Membership]:
    """Read Diplomatic Exchange files, bounded by the membership lists, into envoy events."""
    if not states:
        raise TrackerError(
            "the Diplomatic Exchange data needs the COW State System Membership list "
            "(states2016.csv) to know when each dyad exists: give it with --states"
        )
    membership = cow_states.read(states)
    parsed = _observe(paths, membership, tally or Tally())
    return parsed, events(parsed, membership), membership


def bundled_lifespans(store: Store, entities: set[str], path: Path | None) -> list[Located]:
    """The lifespan events that mark where a COW code changes entity (from the bundled
    ledger, `path`); without one, the store must hold them already."""
    needed = entities & cow_codes.switching()
    if path is not None:
        return [e for e in read_ledger(path).events if e.item.actor in needed]
    from .. import projection

    missing = sorted(e for e in needed if not projection.lifespan_records(store.conn, e))
    if missing:
        raise TrackerError(
            f"the store has no lifespan for {', '.join(missing)}, where COW codes change "
            "entity: load the bundled seeds/lifespans.toml first"
        )
    return []


def import_files(
    store: Store,
    paths: Sequence[Path],
    *,
    states: Sequence[Path],
    lifespans: Path | None = None,
    quiet: bool = False,
) -> ImportReport:
    """Read Diplomatic Exchange files and their membership lists; append their envoy events,
    the lifespans of the membership's spells and the entities declared for states without
    an ISO code, in one transaction."""
    tally = Tally()
    parsed, found, membership = read(paths, states, tally)
    spells, entities = cow_states.events_of(membership)
    bounds = bundled_lifespans(store, cow_states.entities_of(membership), lifespans)
    everything = [*bounds, *spells, *found]
    added, present, declared = append(
        store, everything, entities, label="importing COW", quiet=quiet
    )
    notes = (
        f"with {len(spells)} lifespan events from the membership list and {len(bounds)} "
        "bundled ones where a code changes entity",
        *parsed.notes,
    )
    return ImportReport(
        "cow",
        tuple(str(p) for p in (*paths, *states)),
        parsed.rows,
        len(everything),
        added,
        present,
        tally.bucket_dict(),
        declared,
        tally.code_dict(),
        notes,
    )


def import_states(
    store: Store, paths: Sequence[Path], *, lifespans: Path | None = None, quiet: bool = False
) -> ImportReport:
    """Read membership lists and append their spells as lifespan events (and the entities
    declared for states without an ISO code), in one transaction."""
    tally = Tally()
    membership = cow_states.read(paths)
    tally.read(membership.rows)  # every row is a spell
    spells, entities = cow_states.events_of(membership)
    bounds = bundled_lifespans(store, cow_states.entities_of(membership), lifespans)
    added, present, declared = append(
        store, [*bounds, *spells], entities, label="importing COW states", quiet=quiet
    )
    return ImportReport(
        "cow-states",
        membership.files,
        membership.rows,
        len(bounds) + len(spells),
        added,
        present,
        tally.bucket_dict(),
        declared,
        {},
        (f"{len(bounds)} of the events are bundled lifespans, where a code changes entity",),
    )
