"""The checks every event and entity passes on its way into the store, whichever way it comes
(a ledger, `Store.append` from Python, an importer, a command): the same limits and the same
messages everywhere, so whatever is stored exports and loads back.

The store's append runs `validate` and `body_problem` on every event, and `validate_entity` on
every declaration; the ledger reader runs them too, so a ledger is refused before it is loaded.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from . import dates
from .entities import KINDS, Entity

if TYPE_CHECKING:
    from events import Event

MAX_TEXT = 10_000  # characters in any one string of an event or an entity
MAX_BODY = 100_000  # characters of an event's stored JSON: its exported line stays under MAX_LINE
MAX_LINE = 1 << 20  # bytes in one line of a JSON Lines ledger
MAX_ALIASES = 100  # aliases of one entity
ENTITY_ID = re.compile(r"[A-Z][A-Z0-9_]{0,63}")

# Characters that show nothing on their own: text made only of them is empty.
_INVISIBLE = frozenset({"Cc", "Cf", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # letters and symbols drawn as blanks


def blank(text: str) -> bool:
    """Whether `text` is empty once the characters that show nothing are removed."""
    for character in text:  # the first visible character ends it (ordinary text: the first)
        if character not in _FILLERS and unicodedata.category(character) not in _INVISIBLE:
            return False
    return True


def text_problem(value: Any) -> str | None:
    """The first string (or key) in `value` that holds a NUL or more than MAX_TEXT characters,
    in words with where it is; None if there is none. Walks any depth without recursing."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return f"NUL character at {where or 'top level'}"
            if len(item) > MAX_TEXT:
                return f"text longer than {MAX_TEXT} characters at {where or 'top level'}"
        elif isinstance(item, Mapping):
            children = []
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and ("\x00" in key or len(key) > MAX_TEXT):
                    return f"NUL character or overlong text in a key at {where or 'top level'}"
                children.append((child, name))
            stack.extend(reversed(children))  # popped in document order
        elif isinstance(item, (list, tuple)):
            stack.extend((child, f"{where}[{i}]") for i, child in reversed(list(enumerate(item))))
    return None


def body_problem(stored: Mapping[str, Any], body: str) -> str | None:
    """What is wrong with an event's stored shape and its JSON text, if anything: too large,
    or a string too long or holding a NUL (checked in full only when the text could hold one)."""
    if len(body) > MAX_BODY:
        return f"event too large: {len(body)} characters stored (at most {MAX_BODY})"
    if len(body) <= MAX_TEXT and "\\u0000" not in body:
        return None  # no string can be longer than the text that holds it
    return text_problem(stored)


# dates.timestamp, remembered: a ledger's events share transaction times (errors are not kept).
_timestamp = functools.lru_cache(maxsize=1 << 16)(dates.timestamp)


def validate(event: Event, *, hypothetical: bool = False) -> Event:
    """Check what the event classes cannot: dates, sources, empty text, transaction time;
    normalize the dates. Raises ValueError (a DateError for a date) naming the problem."""
    window = dates.parse(event.on)
    if event.actor == event.counterpart and not event.ONE_ENTITY:
        raise ValueError(f"actor and counterpart are both {event.actor}")
    if event.hypothetical and not hypothetical:
        raise ValueError("hypothetical events belong in scenario files, not ledgers")
    if not event.sources and not hypothetical:
        raise ValueError("at least one source is required")
    for name in _text_fields(event.TYPE):
        value = getattr(event, name)
        if value is not None and blank(value):
            raise ValueError(f"{name} is empty")
    for source in event.sources:
        if blank(source.title) or blank(source.publisher):
            raise ValueError("a source needs a title and a publisher")
        for name in ("url", "locator"):
            value = getattr(source, name)
            if value is not None and blank(value):
                raise ValueError(f"a source's {name} is empty (leave it out instead)")
        dates.parse(source.date)
    recorded = None if event.recorded is None else _timestamp(event.recorded)
    if window.text != event.on or recorded != event.recorded:
        event = attrs.evolve(event, on=window.text, recorded=recorded)
    return event


_CHECKED_ELSEWHERE = frozenset({"actor", "counterpart", "on", "recorded"})


@functools.cache
def _text_fields(kind: str) -> tuple[str, ...]:
    """The free-text fields of an event type (ids and dates have checks of their own)."""
    from events import EVENT_CLASSES

    cls = attrs.resolve_types(EVENT_CLASSES[kind])  # as cattrs does: annotations become types
    return tuple(
        f.name
        for f in attrs.fields(cls)
        if f.name not in _CHECKED_ELSEWHERE and f.type in (str, str | None)
    )


def validate_entity(entity: Entity) -> Entity:
    """Check a declaration: id, kind, name and aliases, their length; normalize `recorded`.
    Raises ValueError naming the problem."""
    if not isinstance(entity.id, str) or not ENTITY_ID.fullmatch(entity.id):
        raise ValueError(f"entity: id {entity.id!r} must be uppercase letters, digits and _")
    if entity.kind not in KINDS:
        raise ValueError(
            f"entity {entity.id}: kind {entity.kind!r} is not one of {', '.join(KINDS)}"
        )
    if not isinstance(entity.name, str) or blank(entity.name):
        raise ValueError(f"entity {entity.id}: 'name' is required and must be text")
    if len(entity.aliases) > MAX_ALIASES:
        raise ValueError(f"entity {entity.id}: more than {MAX_ALIASES} aliases")
    for alias in entity.aliases:
        if not isinstance(alias, str) or blank(alias):
            raise ValueError(f"entity {entity.id}: an alias is empty")
    problem = text_problem([entity.name, *entity.aliases])
    if problem is not None:
        raise ValueError(f"entity {entity.id}: {problem.split(' at ')[0]}")
    if entity.recorded is not None:
        recorded = _timestamp(entity.recorded)
        if recorded != entity.recorded:
            entity = attrs.evolve(entity, recorded=recorded)
    return entity
