"""Entities by any name: an id in any case, a declared name or alias, a state's name.

Every command and the Python API name entities through `resolve`. An id written as stored
(`RUS`, `TALIBAN`) is taken as it is, and checked only if the answer holds nothing, so a plain
question reads neither the names nor pycountry. Anything else is matched, ignoring case,
against the ids, then the declared names and aliases and the states' ISO names; a name that
fits more than one entity is an error naming each.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import MutableMapping

from .entities import state_names, unknown_message
from .errors import TrackerError
from .store import Store

_ID = re.compile(r"[A-Z][A-Z0-9_]*")


def plain(text: str) -> bool:
    """Whether `text` is written as entity ids are stored (uppercase letters, digits, `_`)."""
    return _ID.fullmatch(text) is not None


def check_entity(store: Store, entity_id: str) -> str:
    """Return `entity_id` if the store knows it; raise a TrackerError with close matches if not."""
    if store.known_entity(entity_id):
        return entity_id
    raise TrackerError(unknown_message(entity_id, (), close=_suggestions(store, entity_id)))


def resolve(store: Store, text: str, resolved: MutableMapping[str, str] | None = None) -> str:
    """The id of the entity `text` names: an id in any case, a declared name or alias, or a
    state's name (each ignoring case). What was resolved to another text is noted in
    `resolved` (`{"Taliban": "TALIBAN"}`), so that the answer can show it."""
    if store.known_entity(text):
        return text
    found = _by_name(store, text.strip())
    if not found:
        raise TrackerError(unknown_message(text, (), close=_suggestions(store, text)))
    if len(found) > 1:
        listed = "; ".join(f"{i} ({why})" for i, why in sorted(found.items()))
        raise TrackerError(f"{text!r} is ambiguous: it names {listed}; give the id")
    [entity] = found
    if resolved is not None:
        resolved[text] = entity
    return entity


def _by_name(store: Store, text: str) -> dict[str, str]:
    """The entities `text` names, ignoring case: id -> how (its id, name or alias)."""
    wanted = text.casefold()
    upper = text.upper()
    if plain(upper) and upper != text and store.known_entity(upper):
        return {upper: "its id"}
    found: dict[str, str] = {}
    for entity_id, name, aliases in _declared(store):
        if name.casefold() == wanted:
            found[entity_id] = f"named {name!r}"
        elif any(a.casefold() == wanted for a in aliases):
            found.setdefault(entity_id, f"alias {text!r}")
    for code, names in state_names().items():
        for name in names:
            if name.casefold() == wanted:
                found.setdefault(code, f"named {name!r}")
    return found


def _declared(store: Store) -> list[tuple[str, str, list[str]]]:
    rows = store.conn.execute("SELECT id, name, aliases FROM entities ORDER BY id")
    return [(i, n, json.loads(a)) for i, n, a in rows]


def _suggestions(store: Store, text: str) -> list[str]:
    """Close ids, and the ids of close names (shown as `ID (name)`)."""
    ids = [i for i, _, _ in _declared(store)] + list(state_names())
    close = difflib.get_close_matches(text.upper(), ids, n=3, cutoff=0.6)
    names: dict[str, str] = {}
    for entity_id, name, aliases in _declared(store):
        for each in (name, *aliases):
            names.setdefault(each.casefold(), f"{entity_id} ({each})")
    for code, each_names in state_names().items():
        for each in each_names:
            names.setdefault(each.casefold(), f"{code} ({each})")
    by_name = difflib.get_close_matches(text.casefold(), list(names), n=3, cutoff=0.75)
    named = [names[n] for n in by_name if names[n].split(" ", 1)[0] not in close]
    return list(dict.fromkeys([*close, *named]))  # an id offered once, by id or by name
