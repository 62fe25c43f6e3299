"""An event made ready to append: validated, its stored body and id computed, its record's
columns read off: work on one event alone, in one pass, before the store is consulted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from . import dates
from .errors import LedgerError, TrackerError
from .validation import body_problem, validate


class Prepared(NamedTuple):
    """An event ready to append: the entities it names, how to report a problem with it, and
    the columns of its record but `seq` (`recorded` None: the load's transaction time)."""

    names: tuple[str, ...]
    fail: Callable[[str], TrackerError]
    id: str
    type: str
    actor: str
    counterpart: str
    on: str
    earliest: str
    latest: str
    recorded: str | None
    operand: str | None
    withdraws: str | None
    body: str


def prepare(item: Any) -> Prepared:
    """`item` (an Event, or a ledger.Located one) ready to append; a TrackerError naming its
    place (a LedgerError for a located item) if it cannot be stored."""
    tools = _tools()
    Located = tools.Located
    fail: Callable[[str], TrackerError] = TrackerError
    event = item
    if isinstance(item, Located):
        event, fail = item.item, functools.partial(LedgerError, item.path, item.line)
    if not (isinstance(item, Located) and item.checked is tools.VALIDATED):
        event = _validated(event, fail)  # Python, importers: as the ledger reader does
    stored = tools.to_dict(event)
    recorded = stored.pop("recorded", None)
    body = tools.dumps(stored)
    problem = body_problem(stored, body)
    if problem is not None:
        raise fail(problem)
    window = dates.parse(event.on)
    return Prepared(
        tools.entities_named(event),
        fail,
        content_id(body, stored),
        event.type,
        event.actor,
        event.counterpart,
        event.on,
        window.earliest,
        window.latest,
        recorded,
        tools.operand(event),
        tools.withdrawn_by(event),
        body,
    )


class _Tools(NamedTuple):
    dumps: Callable[[Any], str]
    to_dict: Callable[[Any], dict[str, Any]]
    entities_named: Callable[[Any], tuple[str, ...]]
    operand: Callable[[Any], str | None]
    withdrawn_by: Callable[[Any], str | None]
    sha256: Callable[[bytes], Any]
    VALIDATED: object
    Located: Any  # ledger.Located, imported on first use like the rest


@functools.cache
def _tools() -> _Tools:
    """What `prepare` calls, imported on first use (a question's process needs none of it),
    once: an import statement in a function runs at every call."""
    import hashlib

    from events import dumps, to_dict
    from events.types import entities_named, operand

    from .ledger import VALIDATED, Located
    from .timeline import withdrawn_by

    return _Tools(
        dumps, to_dict, entities_named, operand, withdrawn_by, hashlib.sha256, VALIDATED, Located
    )


def content_id(body: str, stored: dict[str, Any]) -> str:
    """The event id: the hash of the body, without the schema version if it has one."""
    tools = _tools()
    if "schema" in stored:
        body = tools.dumps({k: v for k, v in stored.items() if k != "schema"})
    digest: str = tools.sha256(body.encode()).hexdigest()
    return digest[:24]


def _validated(event: Any, fail: Callable[[str], TrackerError]) -> Any:
    """The event checked as a ledger's is (dates, sources, empty text), or `fail` naming why."""
    from events import Envelope

    if not isinstance(event, Envelope):
        raise fail(f"not an event: {type(event).__name__}")
    try:
        return validate(event)  # type: ignore[arg-type]
    except ValueError as error:  # DateError included
        raise fail(f"{event.type}: {error}") from None
