"""Serialization at the edge: our own cattrs converter, a tagged union on `type`, content ids.

The stored shape of an event is a flat JSON object: `type`, the envelope keys (`actor`,
`counterpart`, `on`, `sources`, optionally `recorded`, `note`, `corrects`) and the type's own
fields. Keys whose value is empty or the default are left out, so an optional field added later
does not change the ids of existing events. `schema` is written only above version 1.

Schema versions: a body is read in the version it was written in (`schema`, default 1) and
upcast to its type's current version; the event remembers that version (its `schema` field) and
is written back in it by the matching downcasters. So an event keeps its body, and its content
id, however many versions later it is read, stored, verified or exported. An upcaster must lose
nothing: `downcast(upcast(body)) == body` for every valid body of the older version.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

import cattrs
import orjson
from cattrs.gen import make_dict_unstructure_fn, override
from cattrs.strategies import configure_tagged_union

from .types import EVENT_CLASSES, Event, Source

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class EventFormatError(ValueError):
    """An event object that cannot be read: the message says why, in one line."""


def _attack_killed(body: dict[str, Any]) -> dict[str, Any]:
    """attack_carried_out 1 -> 2: `casualties` (always the dead) is now `killed`."""
    if "killed" in body:
        raise EventFormatError(
            "attack_carried_out: unknown key(s): killed "
            "(schema 1 calls it casualties; write schema = 2 to use killed)"
        )
    return _renamed(body, "casualties", "killed")


def _attack_casualties(body: dict[str, Any]) -> dict[str, Any]:
    """attack_carried_out 2 -> 1: `killed` is written as schema 1's `casualties`."""
    return _renamed(body, "killed", "casualties")


def _renamed(body: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """`body` with the key `old` called `new`, in the same place."""
    return {new if key == old else key: value for key, value in body.items()}


# (type, version) -> function turning a version-`version` body into a version-`version + 1` one.
UPCASTERS: dict[tuple[str, int], Upcaster] = {("attack_carried_out", 1): _attack_killed}
# (type, version) -> the inverse: a version-`version + 1` body back into a version-`version` one.
DOWNCASTERS: dict[tuple[str, int], Upcaster] = {("attack_carried_out", 1): _attack_casualties}


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
    converter.register_unstructure_hook(
        Source, make_dict_unstructure_fn(Source, converter, _cattrs_omit_if_default=True)
    )
    for cls in EVENT_CLASSES.values():  # `schema` is written by to_dict, in the body's version
        converter.register_unstructure_hook(
            cls,
            make_dict_unstructure_fn(
                cls, converter, _cattrs_omit_if_default=True, schema=override(omit=True)
            ),
        )
    configure_tagged_union(Event, converter, tag_generator=_tag, tag_name="type")
    return converter


def _tag(cls: type[Any]) -> str:
    return str(cls.TYPE)


converter = _make_converter()


def to_dict(event: Event) -> dict[str, Any]:
    """Unstructure `event` into its stored shape, in the schema version it was written in."""
    body: dict[str, Any] = converter.unstructure(event, Event)
    for version in range(event.SCHEMA - 1, event.schema - 1, -1):
        body = DOWNCASTERS[(event.type, version)](body)
    if event.schema > 1:
        body["schema"] = event.schema
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
    written = version
    while version < cls.SCHEMA:
        body = UPCASTERS[(kind, version)](body)
        version += 1
    if written < cls.SCHEMA:
        body["schema"] = written
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
        return f"unknown key(s): {', '.join(_key(k) for k in sorted(error.extra_fields))}"
    text = str(error)
    if " not in literal " in text:
        given, _, allowed = text.partition(" not in literal ")
        choices = ", ".join(re.findall(r"'([^']*)'", allowed))
        return f"{given!r} is not one of {choices}"
    return text or f"invalid value ({type(error).__name__})"


def _key(name: str) -> str:
    """A key as a message shows it: quoted unless a plain name (keys can hold any text)."""
    return name if name.isidentifier() and name.isascii() else repr(name)


def _strip_path(message: str) -> str:
    text, _, path = message.rpartition(" @ ")
    path = path.removeprefix("$").lstrip(".")
    return f"{text} at {path}" if path else text


def dumps(data: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text (the form ids are hashed from)."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def canonical(event: Event) -> str:
    """The canonical JSON text of an event's content as written (without its transaction time
    and schema version)."""
    body = to_dict(event)
    body.pop("recorded", None)
    body.pop("schema", None)
    return dumps(body)


def event_id(event: Event) -> str:
    """The content hash that identifies an event: same content, same id."""
    return hashlib.sha256(canonical(event).encode()).hexdigest()[:24]
