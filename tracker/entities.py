"""Entities: states by ISO 3166 alpha-3 code, everything else declared in a ledger."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from typing import Literal

import attrs

Kind = Literal["state", "government", "organization", "group"]
KINDS: tuple[str, ...] = ("state", "government", "organization", "group")


@attrs.frozen
class Entity:
    """A country, government, organization or group that events can name.

    `revise` and `recorded` belong to a declaration, not to the entity (they take no part in
    equality): a declaration that changes a stored entity must say `revise`, and `recorded` is
    when the store learned it (stamped at append when absent).
    """

    id: str
    name: str
    kind: Kind
    aliases: tuple[str, ...] = ()
    revise: bool = attrs.field(default=False, kw_only=True, eq=False, repr=False)
    recorded: str | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)


@functools.cache
def iso_states() -> dict[str, str]:
    """ISO 3166-1 alpha-3 codes, and the ISO 3166-3 historic ones pycountry knows, with names."""
    import pycountry  # loaded only when a ledger is validated: keeps queries fast to start

    codes = {c.alpha_3: c.name for c in pycountry.countries}
    for c in pycountry.historic_countries:
        if getattr(c, "alpha_3", None):
            codes.setdefault(c.alpha_3, c.name)
    return codes


@functools.cache
def state_names() -> dict[str, tuple[str, ...]]:
    """The names pycountry gives each ISO code (its name, official and common names)."""
    import pycountry

    names: dict[str, tuple[str, ...]] = {}
    for c in (*pycountry.countries, *pycountry.historic_countries):
        code = getattr(c, "alpha_3", None)
        if code:
            found = (getattr(c, key, None) for key in ("name", "official_name", "common_name"))
            names[code] = tuple(dict.fromkeys((*names.get(code, ()), *filter(None, found))))
    return names


def state(code: str) -> Entity | None:
    """The state with ISO code `code`, if there is one."""
    name = iso_states().get(code)
    return None if name is None else Entity(code, name, "state")


def unknown_message(
    entity_id: str, known: Iterable[str], *, close: Iterable[str] | None = None
) -> str:
    """Say that `entity_id` is unknown, with the closest known ids (or the `close` given)."""
    if close is None:
        close = difflib.get_close_matches(entity_id.upper(), list(known), n=3, cutoff=0.6)
    close = list(close)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (
        f"unknown entity {entity_id!r} (not an ISO 3166 alpha-3 code "
        f"nor declared in an [[entity]] table){hint}"
    )
