"""Serialization at the edge: our own cattrs converter, a tagged union on `type`, content ids.

The stored shape of an event is a flat JSON object: `type`, the envelope keys (`actor`,
`counterpart`, `on`, `sources`, optionally `recorded`, `note`, `corrects`) and the type's own
fields. Keys whose value is empty or the default are left out, so an optional field added later
does not change the ids of existing events. `schema` is written only above version 1.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

import cattrs
import orjson
from cattrs.gen import make_dict_unstructure_fn
from cattrs.strategies import configure_tagged_union

from .types import EVENT_CLASSES, Event, Source

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# (type, version) -> function turning a version-`version` body into a version-`version + 1` one.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class EventFormatError(ValueError):
    """An event object that cannot be read: the message says why, in one line."""


def _strict(kind: type) -> Callable[[Any, type], Any]:
    def structure(value: Any, _: type) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    for kind in (str, int, bool):
        converter.register_structure_hook(kind, _strict(kind))
    classes: list[type[Any]] = [Source, *EVENT_CLASSES.values()]
    for cls in classes:
        converter.register_unstructure_hook(
            cls, make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True)
        )
    configure_tagged_union(Event, converter, tag_generator=_tag, tag_name="type")
    return converter


def _tag(cls: type[Any]) -> str:
    return str(cls.TYPE)


converter = _make_converter()


def to_dict(event: Event) -> dict[str, Any]:
    """Unstructure `event` into its stored shape."""
    body: dict[str, Any] = converter.unstructure(event, Event)
    if event.SCHEMA > 1:
        body["schema"] = event.SCHEMA
    return body


def from_dict(data: Mapping[str, Any]) -> Event:
    """Structure a stored-shape object into an event, upcasting older schema versions."""
    if not isinstance(data, Mapping):
        raise EventFormatError(f"an event must be an object, got {type(data).__name__}")
    body = dict(data)
    kind = body.get("type")
    if not isinstance(kind, str):
        raise EventFormatError("missing or non-text 'type'")
    cls = EVENT_CLASSES.get(kind)
    if cls is None:
        close = difflib.get_close_matches(kind, EVENT_CLASSES, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise EventFormatError(f"unknown event type {kind!r}{hint}")
    version = body.pop("schema", 1)
    if type(version) is not int or not 1 <= version <= cls.SCHEMA:
        raise EventFormatError(f"{kind}: unsupported schema {version!r} (1 to {cls.SCHEMA})")
    while version < cls.SCHEMA:
        body = UPCASTERS[(kind, version)](body)
        version += 1
    try:
        event: Event = converter.structure(body, Event)  # type: ignore[arg-type]
        return event
    except Exception as error:  # cattrs wraps every failure; flatten it to one line
        raise EventFormatError(f"{kind}: {_describe(error)}") from None


def _describe(error: BaseException) -> str:
    if isinstance(error, cattrs.BaseValidationError):
        messages = cattrs.transform_error(error, path="$", format_exception=_format)
        return "; ".join(_strip_path(m) for m in messages)
    return _format(error, None)


def _format(error: BaseException, _type: type | None) -> str:
    if isinstance(error, KeyError):
        return "required field missing"
    if isinstance(error, cattrs.ForbiddenExtraKeysError):
        return f"unknown key(s): {', '.join(sorted(error.extra_fields))}"
    text = str(error)
    if " not in literal " in text:
        given, _, allowed = text.partition(" not in literal ")
        choices = ", ".join(re.findall(r"'([^']*)'", allowed))
        return f"{given!r} is not one of {choices}"
    return text or f"invalid value ({type(error).__name__})"


def _strip_path(message: str) -> str:
    text, _, path = message.rpartition(" @ ")
    path = path.removeprefix("$").lstrip(".")
    return f"{text} at {path}" if path else text


def dumps(data: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text (the form ids are hashed from)."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def canonical(event: Event) -> str:
    """The canonical JSON text of an event's content (without its transaction time)."""
    body = converter.unstructure(event, Event)
    body.pop("recorded", None)
    return dumps(body)


def event_id(event: Event) -> str:
    """The content hash that identifies an event: same content, same id."""
    return hashlib.sha256(canonical(event).encode()).hexdigest()[:24]
