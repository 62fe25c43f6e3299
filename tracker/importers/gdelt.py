"""GDELT 2.0 event exports (tab-separated, 61 columns, no header; plain or zipped) as events.

Every field is read as text: CAMEO codes keep their leading zeros ("054" is not "54").

Event codes. Only the codes that move a relationship's standing state are mapped, each by
its exact EventCode (a child code such as 1661 is not its parent 166):

    CAMEO  meaning                                    event
    054    Grant diplomatic recognition               recognition_granted
    057    Sign formal agreement                      cooperation_agreed(area=formal_agreement)
    161    Reduce or break diplomatic relations       relations_severed
    163    Impose embargo, boycott, or sanctions      sanctions_imposed(measure=economic_sanctions)
    085    Ease economic sanctions, boycott, embargo  sanctions_lifted(measure=economic_sanctions)
    172    Impose administrative sanctions            sanctions_imposed(administrative_sanctions)
    081    Ease administrative sanctions              sanctions_lifted(administrative_sanctions)
    166    Expel or withdraw                          envoy_expelled
    1722   Ban political parties or politicians       designation_added(banned_organizations)
    0812   Ease ban on political parties/politicians  designation_removed(banned_organizations)

161 lumps reducing relations with breaking them, and 166 lumps expelling with withdrawing:
the mapping takes the reading news reports most often code, and the event's note keeps the
CAMEO code so an analyst can tell. 1722/0812 are the nearest CAMEO has to designation lists;
they are mapped only toward a non-state entity (a group or government, not an ISO state)
and to their own list, `banned_organizations`, never to a curated list such as
`terrorist_organizations`. Every other code is counted as unmapped.

Actors. A CAMEO actor maps to an entity id by, in order:

    1. its known-group code, from KNOWN_GROUPS (TAL -> TALIBAN, UNO -> UN, NAT -> NATO, ...);
       TAL only with no country or AFG (the Pakistani Taliban, PAKTAL, is another group);
    2. its country code followed only by state roles (GOV, MIL): RUS, RUSGOV, USAMIL -> the
       state; the country code passes through when it is a current ISO 3166-1 alpha-3
       code (CAMEO's own ROM, ZAR, TMP, BUR map to ROU, COD, TLS, MMR). Regions (AFR, WST,
       ...), other roles (RUSOPP, USABUS) and everything else are unmapped and counted.

The table maps codes, not dates: after August 2021 GDELT may code the Taliban government as
AFGGOV, which maps to the state AFG.

Each event keeps GLOBALEVENTID (the locator) and SOURCEURL (the url) in its source, its
`on` is SQLDATE, its source date DATEADDED; its `evidence` is "machine" and its note starts
"machine-coded (GDELT)" and gives NumSources, NumArticles and IsRootEvent. Reading is
bounded and strict (reading.py): numbers and dates in ASCII digits, whole fields only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from events import Event, EventFormatError, from_dict

from .. import dates
from ..entities import Entity
from ..errors import LedgerError
from ..ledger import Located, validate
from ..store import Store
from . import ImportReport, Tally, append, reading

COLUMNS = 61
GLOBALEVENTID, SQLDATE = 0, 1
ACTOR1 = (5, 7, 8)  # Actor1Code, Actor1CountryCode, Actor1KnownGroupCode
ACTOR2 = (15, 17, 18)
IS_ROOT, EVENT_CODE = 25, 26
NUM_SOURCES, NUM_ARTICLES = 32, 33
DATEADDED, SOURCEURL = 59, 60

NOTE = "machine-coded (GDELT)"
PUBLISHER = "The GDELT Project"
TITLE = "GDELT 2.0 event record, coded from the article at the URL"


@attrs.frozen
class Rule:
    """How one CAMEO event code becomes an event: its type and the type's own fields."""

    label: str
    type: str
    fields: dict[str, str] = attrs.field(factory=dict)
    non_state_counterpart: bool = False


CODES: dict[str, Rule] = {
    "054": Rule("Grant diplomatic recognition", "recognition_granted"),
    "057": Rule("Sign formal agreement", "cooperation_agreed", {"area": "formal_agreement"}),
    "161": Rule("Reduce or break diplomatic relations", "relations_severed"),
    "163": Rule(
        "Impose embargo, boycott, or sanctions",
        "sanctions_imposed",
        {"measure": "economic_sanctions"},
    ),
    "085": Rule(
        "Ease economic sanctions, boycott, embargo",
        "sanctions_lifted",
        {"measure": "economic_sanctions"},
    ),
    "172": Rule(
        "Impose administrative sanctions",
        "sanctions_imposed",
        {"measure": "administrative_sanctions"},
    ),
    "081": Rule(
        "Ease administrative sanctions",
        "sanctions_lifted",
        {"measure": "administrative_sanctions"},
    ),
    "166": Rule("Expel or withdraw", "envoy_expelled"),
    "1722": Rule(
        "Ban political parties or politicians",
        "designation_added",
        {"designation": "banned_organizations"},
        non_state_counterpart=True,
    ),
    "0812": Rule(
        "Ease ban on political parties or politicians",
        "designation_removed",
        {"designation": "banned_organizations"},
        non_state_counterpart=True,
    ),
}

KNOWN_GROUPS: dict[str, Entity] = {
    "TAL": Entity(
        "TALIBAN",
        "Taliban government of Afghanistan",
        "government",
        ("Islamic Emirate of Afghanistan", "Taliban"),
    ),
    "UNO": Entity("UN", "United Nations", "organization", ("UNO",)),
    "NAT": Entity("NATO", "North Atlantic Treaty Organization", "organization"),
    "EEC": Entity("EU", "European Union", "organization"),
    "ARL": Entity("ARAB_LEAGUE", "League of Arab States", "organization", ("Arab League",)),
    "ALQ": Entity("AL_QAEDA", "Al-Qaeda", "group"),
    "HMS": Entity("HAMAS", "Hamas", "group"),
    "HEZ": Entity("HEZBOLLAH", "Hezbollah", "group"),
}
GROUP_COUNTRIES: dict[str, frozenset[str]] = {"TAL": frozenset({"", "AFG"})}
STATE_ROLES = frozenset({"GOV", "MIL"})
CAMEO_COUNTRIES: dict[str, str] = {"ROM": "ROU", "ZAR": "COD", "TMP": "TLS", "BUR": "MMR"}


@functools.cache
def _iso_current() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries)


def actor_entity(code: str, country: str, group: str) -> str | Entity | None:
    """The state id or declared Entity a CAMEO actor maps to, or None when it does not map."""
    if group:
        entity = KNOWN_GROUPS.get(group)
        if entity is None or country not in GROUP_COUNTRIES.get(group, frozenset({country})):
            return None
        return entity
    if not country or not code.startswith(country):
        return None
    rest = code[len(country) :]
    if len(rest) % 3 or any(rest[i : i + 3] not in STATE_ROLES for i in range(0, len(rest), 3)):
        return None
    iso = CAMEO_COUNTRIES.get(country, country)
    return iso if iso in _iso_current() else None


@attrs.frozen
class Options:
    """The filters a GDELT user expects."""

    min_sources: int = 1
    min_articles: int = 1
    root_only: bool = False


MAX_LINE = 1 << 20  # bytes in one row (a real row is a few hundred)
ACTOR_CODE = 64  # characters in an actor code (CAMEO codes run to a dozen): they go in the note


def _day(name: str, line: int, column: str, text: str, digits: int = 8) -> str:
    """A YYYYMMDD date (or YYYYMMDDHHMMSS for DATEADDED) in ASCII digits, as its ISO day."""
    if len(text) != digits or not (text.isascii() and text.isdigit()):
        shape = "YYYYMMDD" if digits == 8 else "YYYYMMDDHHMMSS"
        raise LedgerError(name, line, f"{column} {text!r} is not a date ({shape})")
    try:
        day = dates.day(f"{text[:4]}-{text[4:6]}-{text[6:8]}")
    except dates.DateError as error:
        raise LedgerError(name, line, f"{column} {text!r}: {error}") from None
    if digits == 14 and not (text[8:10] < "24" and text[10:12] < "60" and text[12:14] < "60"):
        raise LedgerError(name, line, f"{column} {text!r}: no such time of day")
    return day


def _count(name: str, line: int, column: str, text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise LedgerError(name, line, f"{column} {text!r} is not a whole number (ASCII digits)")
    return int(text)


@attrs.frozen
class Row:
    """The fields of one export row that the importer reads, checked."""

    name: str
    line: int
    event_id: str
    on: str
    added: str
    root: bool
    sources: int
    articles: int
    code: str
    actors: tuple[tuple[str, str, str], tuple[str, str, str]]
    url: str


def rows(path: Path) -> Iterator[Row]:
    """Read and check every row; raise LedgerError (file, line, reason) on a malformed one."""
    for name, found in reading.members(path, (".csv",), MAX_LINE):
        for line, text in found:
            if text.strip():
                yield _row(name, line, text)


def _row(name: str, line: int, text: str) -> Row:
    """One export row, checked."""
    fields = text.split("\t")
    if len(fields) != COLUMNS:
        hint = " (a GDELT 1.0 file has 57 or 58)" if len(fields) in (57, 58) else ""
        raise LedgerError(
            name,
            line,
            f"expected {COLUMNS} tab-separated columns (GDELT 2.0 event export), "
            f"found {len(fields)}{hint}",
        )
    event_id = fields[GLOBALEVENTID]
    if not (event_id.isascii() and event_id.isdigit()) or len(event_id) > 20:
        raise LedgerError(name, line, f"GLOBALEVENTID {event_id!r} is not a number")
    if fields[IS_ROOT] not in ("0", "1"):
        raise LedgerError(name, line, f"IsRootEvent {fields[IS_ROOT]!r} is not 0 or 1")
    return Row(
        name,
        line,
        event_id,
        _day(name, line, "SQLDATE", fields[SQLDATE]),
        _day(name, line, "DATEADDED", fields[DATEADDED], 14),
        fields[IS_ROOT] == "1",
        _count(name, line, "NumSources", fields[NUM_SOURCES]),
        _count(name, line, "NumArticles", fields[NUM_ARTICLES]),
        fields[EVENT_CODE],
        tuple(  # type: ignore[arg-type]
            tuple(reading.field(name, line, "actor codes", fields[i], ACTOR_CODE) for i in columns)
            for columns in (ACTOR1, ACTOR2)
        ),
        reading.field(name, line, "SOURCEURL", fields[SOURCEURL].strip()),
    )


def _event(row: Row, rule: Rule, actor: str, counterpart: str) -> Event:
    body: dict[str, Any] = {
        "type": rule.type,
        "actor": actor,
        "counterpart": counterpart,
        "on": row.on,
        "sources": [
            {
                "title": TITLE,
                "publisher": PUBLISHER,
                "date": row.added,
                **({"url": row.url} if row.url else {}),
                "locator": f"GLOBALEVENTID {row.event_id}",
            }
        ],
        "note": (
            f"{NOTE}: CAMEO {row.code} {rule.label}; "
            f"Actor1Code {row.actors[0][0]}, Actor2Code {row.actors[1][0]}; "
            f"{_n(row.sources, 'source')}, {_n(row.articles, 'article')}, "
            f"{'a root event' if row.root else 'not a root event'}"
        ),
        "evidence": "machine",
        **rule.fields,
    }
    return validate(from_dict(body))


@attrs.frozen
class Parsed:
    """The events read from GDELT files, the entities they need, and what was left out."""

    files: tuple[str, ...]
    rows: int
    events: tuple[Located, ...]
    entities: tuple[Entity, ...]
    tally: Tally


def read(paths: Sequence[Path], options: Options = Options()) -> Parsed:
    """Read GDELT exports into validated events; put every other row in its bucket.

    The checks run in this order, and a row goes in the bucket of the first it fails:
    repeated GLOBALEVENTID, --root-only, --min-sources, --min-articles, event code, actor
    codes, the same entity on both sides, a ban toward a state.
    """
    tally = Tally()
    seen: set[str] = set()
    events: list[Located] = []
    entities: dict[str, Entity] = {}
    count = 0
    for path in paths:
        for row in rows(path):
            count += 1
            if row.event_id in seen:
                tally.skip("repeated GLOBALEVENTID")
                continue
            seen.add(row.event_id)
            if options.root_only and not row.root:
                tally.skip("not a root event (--root-only)")
                continue
            if row.sources < options.min_sources:
                tally.skip(f"fewer than {options.min_sources} sources (--min-sources)")
                continue
            if row.articles < options.min_articles:
                tally.skip(f"fewer than {options.min_articles} articles (--min-articles)")
                continue
            rule = CODES.get(row.code)
            if rule is None:
                tally.unmapped("with an event code not in the table")
                tally.code("event codes", row.code)
                continue
            if not row.actors[0][0] or not row.actors[1][0]:
                tally.skip("missing actor code")
                continue
            mapped = [actor_entity(*actor) for actor in row.actors]
            for actor, found in zip(row.actors, mapped, strict=True):
                if found is None:
                    tally.code("actor codes", actor[0])
            if None in mapped:
                tally.unmapped("with an actor not in the table")
                continue
            ids = [m.id if isinstance(m, Entity) else m for m in mapped if m is not None]
            if ids[0] == ids[1]:
                tally.skip("same entity on both sides")
                continue
            if rule.non_state_counterpart and not isinstance(mapped[1], Entity):
                tally.skip(f"CAMEO {row.code} toward a state")
                continue
            try:
                event = _event(row, rule, ids[0], ids[1])
            except (ValueError, EventFormatError) as error:
                raise LedgerError(row.name, row.line, str(error)) from None
            for found in mapped:
                if isinstance(found, Entity):
                    entities[found.id] = found
            events.append(Located(event, row.name, row.line))
            tally.read()
    return Parsed(
        tuple(str(p) for p in paths), count, tuple(events), tuple(entities.values()), tally
    )


def import_files(
    store: Store, paths: Sequence[Path], options: Options = Options(), *, quiet: bool = False
) -> ImportReport:
    """Read GDELT exports and append their events in one transaction (all or nothing)."""
    parsed = read(paths, options)
    added, present, declared = append(
        store, parsed.events, parsed.entities, label="importing GDELT", quiet=quiet
    )
    parsed.tally.settle(present)  # one event per row: a row whose event is stored already
    return ImportReport(
        "gdelt",
        parsed.files,
        parsed.rows,
        len(parsed.events),
        added,
        present,
        parsed.tally.bucket_dict(),
        declared,
        parsed.tally.code_dict(),
        (NOTICE,) if parsed.events else (),
    )


NOTICE = (
    "every event is marked machine-coded: answers that rest on them alone say so, "
    "and --curated-only leaves them out"
)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
