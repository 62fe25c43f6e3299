"""Hypothesis strategies for dates, sources and every event type, and helpers to make records.

The factories are cached: building a strategy once keeps hypothesis from validating it again.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

from events import EVENT_CLASSES, LEVELS, LIFESPAN_TYPES, Event, Source, event_id
from tracker import dates
from tracker.entities import Entity
from tracker.timeline import Record
from tracker.validation import blank

ACTORS: tuple[str, ...] = ("RUS", "CHN", "USA", "AFG", "PAK", "TALIBAN")
ENTITIES: tuple[Entity, ...] = (
    Entity("TALIBAN", "Taliban government of Afghanistan", "government", ("Taliban",)),
)
TOKENS: tuple[str, ...] = ("terrorist_organizations", "energy", "counter_terrorism", "partner")
RECORDED = "2026-01-01T00:00:00Z"

# Text that every ledger format carries: no control, line-separator or surrogate characters.
SAFE_CHARACTERS = st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"))


def texts(min_size: int = 0, max_size: int = 20) -> st.SearchStrategy[str]:
    """Free text as found in titles, notes and summaries."""
    return st.text(SAFE_CHARACTERS, min_size=min_size, max_size=max_size)


def nonblank_texts(max_size: int = 20) -> st.SearchStrategy[str]:
    """Text with at least one visible character (what the store asks of any text it keeps)."""
    return texts(1, max_size).filter(lambda s: not blank(s))


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None or a value of `strategy`."""
    return st.none() | strategy


# -- dates ---------------------------------------------------------------------------------


@functools.cache
def day_texts(min_year: int = 1990, max_year: int = 2030) -> st.SearchStrategy[str]:
    """Single days, YYYY-MM-DD."""
    return st.dates(dt.date(min_year, 1, 1), dt.date(max_year, 12, 31)).map(dt.date.isoformat)


@functools.cache
def month_texts(min_year: int = 1990, max_year: int = 2030) -> st.SearchStrategy[str]:
    """Months, YYYY-MM."""
    return st.builds(
        lambda y, m: f"{y:04d}-{m:02d}", st.integers(min_year, max_year), st.integers(1, 12)
    )


@functools.cache
def year_texts(min_year: int = 1990, max_year: int = 2030) -> st.SearchStrategy[str]:
    """Years, YYYY."""
    return st.integers(min_year, max_year).map(lambda y: f"{y:04d}")


@functools.cache
def point_texts(min_year: int = 1990, max_year: int = 2030) -> st.SearchStrategy[str]:
    """A day, a month or a year."""
    return st.one_of(
        day_texts(min_year, max_year),
        month_texts(min_year, max_year),
        year_texts(min_year, max_year),
    )


def _ordered(pair: tuple[str, str]) -> str:
    start, end = sorted(pair, key=lambda text: dates.parse(text).earliest)
    return f"{start}/{end}"


@functools.cache
def closed_interval_texts(min_year: int = 1990, max_year: int = 2030) -> st.SearchStrategy[str]:
    """Closed intervals START/END whose ends are days, months or years."""
    point = point_texts(min_year, max_year)
    return st.tuples(point, point).map(_ordered)


@functools.cache
def open_interval_texts(min_year: int = 1990, max_year: int = 2030) -> st.SearchStrategy[str]:
    """Open intervals ../END and START/.."""
    return point_texts(min_year, max_year).flatmap(
        lambda p: st.sampled_from((f"../{p}", f"{p}/.."))
    )


@functools.cache
def date_texts(min_year: int = 1990, max_year: int = 2030) -> st.SearchStrategy[str]:
    """Any valid date text: day, month, year, closed or open interval."""
    return st.one_of(
        point_texts(min_year, max_year),
        closed_interval_texts(min_year, max_year),
        open_interval_texts(min_year, max_year),
    )


@functools.cache
def timestamps() -> st.SearchStrategy[str]:
    """Normalized transaction times, YYYY-MM-DDTHH:MM:SSZ."""
    return st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 12, 31)).map(
        lambda moment: moment.replace(microsecond=0).isoformat() + "Z"
    )


# -- sources and events ---------------------------------------------------------------------


@functools.cache
def sources() -> st.SearchStrategy[Source]:
    """One source: title, publisher, date, optional url and locator."""
    return st.builds(
        Source,
        title=nonblank_texts(),
        publisher=nonblank_texts(),
        date=date_texts(),
        url=optional(st.sampled_from(("https://example.org/a", "https://example.org/b"))),
        locator=optional(st.sampled_from(("para. 1", "para. 2", "p. 3"))),
    )


@functools.cache
def source_tuples() -> st.SearchStrategy[tuple[Source, ...]]:
    """At least one source."""
    return st.lists(sources(), min_size=1, max_size=3).map(tuple)


_LEVEL = st.sampled_from(LEVELS)
_TOKEN = st.sampled_from(TOKENS)
_CASUALTIES = optional(st.integers(0, 100_000))

# Each event type's own fields (beyond the envelope).
FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "recognition_granted": {},
    "recognition_withdrawn": {},
    "relations_established": {},
    "relations_suspended": {},
    "relations_severed": {},
    "envoy_sent": {"level": _LEVEL},
    "envoy_recalled": {},
    "credentials_accepted": {"level": _LEVEL},
    "envoy_expelled": {},
    "designation_added": {"designation": _TOKEN},
    "designation_removed": {"designation": _TOKEN},
    "sanctions_imposed": {"measure": _TOKEN},
    "sanctions_lifted": {"measure": _TOKEN},
    "intervention_started": {"summary": optional(nonblank_texts())},
    "intervention_ended": {"casualties": _CASUALTIES, "summary": optional(nonblank_texts())},
    "membership_joined": {},
    "membership_suspended": {},
    "membership_left": {},
    "control_taken": {},
    "control_lost": {},
    "cooperation_agreed": {"area": _TOKEN},
    "cooperation_ended": {"area": _TOKEN},
    "statement_made": {"stance": _TOKEN, "summary": optional(nonblank_texts())},
    "attack_carried_out": {"summary": nonblank_texts(), "killed": _CASUALTIES},
    "visit_paid": {"summary": optional(nonblank_texts())},
    "event_retracted": {
        "target": st.text("0123456789abcdef", min_size=24, max_size=24),
        "reason": nonblank_texts(),
    },
    "entity_began": {"predecessors": st.lists(st.sampled_from(ACTORS), unique=True, max_size=2)},
    "entity_ended": {"successors": st.lists(st.sampled_from(ACTORS), unique=True, max_size=2)},
}

ALL_TYPES: tuple[str, ...] = tuple(sorted(EVENT_CLASSES))
# The types of events about a dyad that stand (everything but retractions and lifespans).
STANDING_TYPES: tuple[str, ...] = tuple(
    t for t in ALL_TYPES if t != "event_retracted" and t not in LIFESPAN_TYPES
)


@functools.cache
def dyad_pairs(actors: Sequence[str] = ACTORS) -> st.SearchStrategy[tuple[str, str]]:
    """An (actor, counterpart) pair of two different entities."""
    return st.lists(st.sampled_from(actors), min_size=2, max_size=2, unique=True).map(tuple)


@functools.cache
def events_of(
    kind: str,
    *,
    actors: Sequence[str] = ACTORS,
    min_year: int = 1990,
    max_year: int = 2030,
    recorded: st.SearchStrategy[str | None] | None = None,
    any_envelope: bool = False,
) -> st.SearchStrategy[Event]:
    """Valid events of type `kind` (as a ledger accepts them unless `any_envelope`)."""
    cls = EVENT_CLASSES[kind]
    extra = {
        "note": optional(nonblank_texts()),
        "recorded": optional(timestamps()) if recorded is None else recorded,
    }
    if any_envelope:
        extra["corrects"] = optional(st.text("0123456789abcdef", min_size=24, max_size=24))
        extra["hypothetical"] = st.booleans()
        if "schema" in attrs.fields_dict(cls):  # events read from older bodies keep their schema
            extra["schema"] = st.integers(1, cls.SCHEMA)

    def build(pair: tuple[str, str], on: str, found: tuple[Source, ...], **kw: Any) -> Event:
        if cls.ONE_ENTITY and kind != "event_retracted":  # a lifespan names its entity alone
            kw = {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}
            lone: Event = cls(actor=pair[0], on=on, sources=found, **kw)  # type: ignore[assignment]
            return lone
        made: Event = cls(actor=pair[0], counterpart=pair[1], on=on, sources=found, **kw)  # type: ignore[assignment]
        return made

    return st.builds(
        build,
        dyad_pairs(actors),
        date_texts(min_year, max_year),
        source_tuples(),
        **extra,
        **FIELDS[kind],
    )


@functools.cache
def events(types: Sequence[str] = STANDING_TYPES, **options: Any) -> st.SearchStrategy[Event]:
    """An event of any of `types`."""
    return st.one_of([events_of(kind, **options) for kind in types])


@functools.cache
def event_lists(
    types: Sequence[str] = STANDING_TYPES, *, min_size: int = 0, max_size: int = 12, **options: Any
) -> st.SearchStrategy[list[Event]]:
    """A list of events of any of `types`."""
    return st.lists(events(types, **options), min_size=min_size, max_size=max_size)


@functools.cache
def dyad_event_lists(max_size: int = 12) -> st.SearchStrategy[list[Event]]:
    """Events crowded on a few dyads and a few years, so that windows overlap and tie."""
    return event_lists(
        actors=("RUS", "TALIBAN", "CHN"),
        min_year=2020,
        max_year=2022,
        max_size=max_size,
        recorded=st.none(),
    )


LIVES: tuple[str, ...] = ("RUS", "TALIBAN", "CHN")  # the crowded dyads' entities


@functools.cache
def lifespan_event_lists(max_size: int = 4) -> st.SearchStrategy[list[Event]]:
    """Beginnings and ends of the crowded dyads' entities, dated in the same few years."""
    kinds = ("entity_began", "entity_ended")
    options = {"actors": LIVES, "min_year": 2020, "max_year": 2022, "recorded": st.none()}
    return st.lists(st.one_of([events_of(k, **options) for k in kinds]), max_size=max_size)


@functools.cache
def bounded_logs(max_size: int = 10) -> st.SearchStrategy[list[Event]]:
    """A crowded log of dyad events with lifespan events of its entities, in any order."""
    return st.tuples(dyad_event_lists(max_size), lifespan_event_lists()).flatmap(
        lambda pair: st.permutations([*pair[0], *pair[1]])
    )


# -- records --------------------------------------------------------------------------------


def to_records(items: Iterable[Event], recorded: str = RECORDED) -> list[Record]:
    """Number events as a store would (duplicates skipped), in `seq` order."""
    found: list[Record] = []
    seen: set[str] = set()
    for event in items:
        key = event_id(event)
        if key in seen:
            continue
        seen.add(key)
        found.append(make_record(len(found) + 1, event, event.recorded or recorded, key))
    return found


def make_record(seq: int, event: Event, recorded: str = RECORDED, key: str | None = None) -> Record:
    """The record a store would hold for `event` at `seq` (id computed unless `key` is given)."""
    of = getattr(Record, "of", None)
    if of is not None:
        made: Record = of(seq, event, recorded, key)
        return made
    window = dates.parse(event.on)
    return Record(  # type: ignore[call-arg]
        seq, key or event_id(event), event, window.earliest, window.latest, recorded
    )


def in_replay_order(records: Iterable[Record]) -> list[Record]:
    """Records sorted by the replay key."""
    return sorted(records, key=lambda r: r.key)


def shift(day: str, days: int) -> str:
    """The ISO day `days` after `day`, clamped to the calendar's range."""
    try:
        return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()
    except OverflowError:
        return day


def boundary_days(records: Iterable[Record]) -> list[str]:
    """Every window edge of `records` and the days either side: where answers can change."""
    found = {"2021-06-15"}
    for record in records:
        for edge in (record.earliest, record.latest):
            found.update((shift(edge, -1), edge, shift(edge, 1)))
    return sorted(found)


def retraction_of(target: Record, reason: str = "retracted in a test") -> Event:
    """An event_retracted withdrawing `target`'s event."""
    from events import EventRetracted

    event = target.event
    return EventRetracted(
        actor=event.actor,
        counterpart=event.counterpart,
        on=event.on,
        sources=(Source(title="Correction", publisher="Desk", date="2026"),),
        target=target.id,
        reason=reason,
    )


def without_recorded(event: Event) -> Event:
    """`event` with no transaction time (the part of its content its id covers)."""
    return attrs.evolve(event, recorded=None)


# -- hostile text ---------------------------------------------------------------------------

_MAX_TEXT = 10_000  # tracker.validation.MAX_TEXT, written out: the tests hold the limit fixed


@functools.cache
def hostile_texts(tabs: bool = True) -> st.SearchStrategy[str]:
    """Text a hostile source may carry into any text field: controls and escapes, NUL,
    nothing visible, lengths at the limit and one past it (`tabs=False`: no tab, line break
    or carriage return, as a tab-separated field cannot hold them)."""
    long = st.builds(
        lambda n, c: c * n,
        st.sampled_from((_MAX_TEXT, _MAX_TEXT + 1, 2 * _MAX_TEXT)),
        st.sampled_from(("a", "é", "\U0001f600")),
    )
    found = st.one_of(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
        st.sampled_from(
            (
                "\x00",
                "a\x00b",
                "",
                "\u200b",
                "\u2060\ufeff",
                " \u3164 ",
                "\u202eevil",
                "\x1b]0;retitled\x07",
                "line\rhidden",
                "two\nlines",
                "tab\there",
            )
        ),
        long,
    )
    if not tabs:
        found = found.map(lambda s: s.replace("\t", " ").replace("\n", " ").replace("\r", " "))
    return found


@st.composite
def corrections(draw: st.DrawFn, records: Sequence[Record]) -> tuple[Record, Event]:
    """One of `records` and an event correcting it: the same event moved to another date
    (often across the days between the two, where answers are asked)."""
    target = draw(st.sampled_from(records))
    year = int(target.earliest[:4]) if target.earliest[:4].isdigit() else 2021
    on = draw(date_texts(max(year - 2, 1), min(year + 2, 9999)))
    return target, attrs.evolve(target.event, on=on, corrects=target.id)


def moments_around(moment: str, after: bool) -> st.SearchStrategy[str]:
    """Transaction times at the edge of `moment`: a second or a day after it (`after`), else
    `moment` itself or a second or a day before it."""
    at = dt.datetime.fromisoformat(moment.removesuffix("Z"))
    steps = (1, 86_400) if after else (0, -1, -86_400)

    def shifted(seconds: int) -> str:
        return (at + dt.timedelta(seconds=seconds)).isoformat() + "Z"

    return st.sampled_from([shifted(s) for s in steps])


@functools.cache
def wide_event_lists(max_size: int = 8) -> st.SearchStrategy[list[Event]]:
    """Events on more dyads, dated across centuries or crowded in three years (so windows still
    tie), at every precision."""
    options = {"actors": ("RUS", "TALIBAN", "CHN", "USA", "PAK"), "recorded": st.none()}
    crowded = events(min_year=2020, max_year=2022, **options)
    spread = events(min_year=1600, max_year=2400, **options)
    return st.lists(crowded | spread, max_size=max_size)
