"""Ledger files: TOML for curated ledgers, JSON Lines for bulk. Reading validates everything.

TOML: `[[entity]]` tables (`id`, `name`, `kind`, optional `aliases`) and `[[event]]` tables (the
stored shape of an event: `type`, `actor`, `counterpart`, `on`, `sources`, ... ). JSON Lines:
one event object per line, or `{"entity": {...}}` for an entity. Every problem is reported as
`file:line: reason`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import orjson

from events import Event, EventFormatError, from_dict

from . import dates
from .entities import KINDS, Entity
from .errors import LedgerError

_JSON_SPACE = " \t\r\n"  # what JSON counts as white space (str.strip() counts more)
MAX_TEXT = 10_000  # characters in any one string of a ledger
_ENTITY_KEYS = {"id", "name", "kind", "aliases"}
_ENTITY_ID = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


@attrs.frozen
class Located:
    """Something read from a ledger, with the file and line it came from."""

    item: Any
    path: str
    line: int

    def error(self, reason: str) -> LedgerError:
        """A LedgerError pointing at this item."""
        return LedgerError(self.path, self.line, reason)


@attrs.frozen
class Ledger:
    """The validated contents of one or more ledger files."""

    entities: tuple[Located, ...] = ()
    events: tuple[Located, ...] = ()


def read(path: str | Path) -> Ledger:
    """Read and validate one ledger file (by extension: .toml, or .jsonl / .ndjson)."""
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LedgerError(name, None, f"cannot read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise LedgerError(name, line, "not UTF-8 text") from None
    text = text.removeprefix("\ufeff")  # a byte-order mark is not content
    if "\x00" in text:
        raise LedgerError(name, text[: text.index("\x00")].count("\n") + 1, "NUL byte in text")
    if path.suffix == ".toml":
        ledger = _read_toml(name, text)
    elif path.suffix in (".jsonl", ".ndjson"):
        ledger = _read_jsonl(name, text)
    else:
        raise LedgerError(name, None, "unknown ledger format (use .toml or .jsonl)")
    if not ledger.entities and not ledger.events:
        raise LedgerError(name, None, "empty ledger: no [[entity]] or [[event]]")
    return ledger


def _read_toml(name: str, text: str) -> Ledger:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        reason = re.sub(r"\s*\(at line.*\)$", "", str(error)) or "invalid TOML"
        raise LedgerError(
            name, int(found.group(1)) if found else None, f"invalid TOML: {reason}"
        ) from None
    except RecursionError:
        raise LedgerError(name, None, "invalid TOML: nested too deeply") from None
    unknown = set(doc) - {"entity", "event"}
    if unknown:
        raise LedgerError(name, None, f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    lines = text.split("\n")
    entities = _tables(name, doc.get("entity", []), lines, "entity")
    events = _tables(name, doc.get("event", []), lines, "event")
    return Ledger(
        tuple(attrs.evolve(e, item=entity(e)) for e in entities),
        tuple(attrs.evolve(e, item=event(e)) for e in events),
    )


def _tables(name: str, tables: Any, lines: list[str], key: str) -> list[Located]:
    header = re.compile(rf"\s*\[\[\s*{key}\s*\]\]\s*(#.*)?")
    starts = [i + 1 for i, line in enumerate(lines) if header.fullmatch(line)]
    if not isinstance(tables, list) or len(starts) != len(tables):
        raise LedgerError(name, None, f"write each {key} as a [[{key}]] table")
    return [Located(table, name, line) for table, line in zip(tables, starts, strict=True)]


def _read_jsonl(name: str, text: str) -> Ledger:
    entities: list[Located] = []
    events: list[Located] = []
    for located in _jsonl(name, enumerate(text.split("\n"), 1)):
        (entities if isinstance(located.item, Entity) else events).append(located)
    return Ledger(tuple(entities), tuple(events))


def _jsonl(name: str, lines: Iterable[tuple[int, str]]) -> Iterator[Located]:
    for number, line in lines:
        if not line.strip(_JSON_SPACE):
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            reason = str(error).split(": line ")[0]
            near = line[error.pos : error.pos + 12].strip()
            where = f" at column {error.pos + 1}" + (f" (near {near!r})" if near else "")
            raise LedgerError(name, number, f"invalid JSON{where}: {reason}") from None
        if isinstance(obj, dict) and len(obj) == 1 and "entity" in obj:
            yield Located(entity(Located(obj["entity"], name, number)), name, number)
        else:
            short = len(line) <= MAX_TEXT and "\\u0000" not in line and "\x00" not in line
            item = event(Located(obj, name, number), short=short, from_json=True)
            yield Located(item, name, number)


def _check_text(located: Located, value: Any, where: str = "") -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise located.error(f"NUL character at {where or 'top level'}")
        if len(value) > MAX_TEXT:
            raise located.error(f"text longer than {MAX_TEXT} characters at {where or 'top level'}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_text(located, item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(located, item, f"{where}[{i}]")


def entity(located: Located) -> Entity:
    """Validate one entity table."""
    raw = located.item
    if not isinstance(raw, Mapping):
        raise located.error("an entity must be a table")
    _check_text(located, raw)
    unknown = set(raw) - _ENTITY_KEYS
    if unknown:
        raise located.error(f"entity: unknown key(s): {', '.join(sorted(unknown))}")
    for key in ("id", "name", "kind"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise located.error(f"entity: {key!r} is required and must be text")
    if not _ENTITY_ID.fullmatch(raw["id"]):
        raise located.error(f"entity: id {raw['id']!r} must be uppercase letters, digits and _")
    if raw["kind"] not in KINDS:
        raise located.error(
            f"entity {raw['id']}: kind {raw['kind']!r} is not one of {', '.join(KINDS)}"
        )
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise located.error(f"entity {raw['id']}: aliases must be a list of text")
    return Entity(raw["id"], raw["name"], raw["kind"], tuple(aliases))


def event(
    located: Located, *, hypothetical: bool = False, short: bool = False, from_json: bool = False
) -> Event:
    """Validate one event object (shape, dates, sources); entities are checked by the store.

    `short` says the object came from a line too short to hold an overlong or NUL-bearing text;
    `from_json` that it was parsed from JSON, which has no date values to turn into text.
    """
    raw = located.item
    if not isinstance(raw, Mapping):
        raise located.error("an event must be a table or an object")
    if not short:
        try:
            _check_text(located, raw)
        except RecursionError:
            raise located.error("nested too deeply") from None
    body = raw if from_json else _plain_dates(located, raw)
    try:
        parsed = from_dict(body)
    except EventFormatError as error:
        raise located.error(str(error)) from None
    try:
        return validate(parsed, hypothetical=hypothetical)
    except (ValueError, dates.DateError) as error:
        raise located.error(f"{parsed.type}: {error}") from None


def validate(event: Event, *, hypothetical: bool = False) -> Event:
    """Check what the event classes cannot: dates, sources, transaction time; normalize them."""
    window = dates.parse(event.on)
    if event.actor == event.counterpart and not event.ONE_ENTITY:
        raise ValueError(f"actor and counterpart are both {event.actor}")
    if event.hypothetical and not hypothetical:
        raise ValueError("hypothetical events belong in scenario files, not ledgers")
    if not event.sources and not hypothetical:
        raise ValueError("at least one source is required")
    for source in event.sources:
        if not source.title.strip() or not source.publisher.strip():
            raise ValueError("a source needs a title and a publisher")
        dates.parse(source.date)
    recorded = None if event.recorded is None else _timestamp(event.recorded)
    if window.text != event.on or recorded != event.recorded:
        event = attrs.evolve(event, on=window.text, recorded=recorded)
    return event


# dates.timestamp, remembered: a ledger's events share transaction times (errors are not kept).
_timestamp = functools.lru_cache(maxsize=1 << 16)(dates.timestamp)


def _plain_dates(located: Located, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Turn TOML dates into the ISO text the event classes hold."""
    body = dict(raw)
    on = body.get("on")
    if isinstance(on, dt.datetime):
        raise located.error("'on' is a date, not a timestamp")
    if isinstance(on, dt.date):
        body["on"] = on.isoformat()
    recorded = body.get("recorded")
    if isinstance(recorded, dt.date):
        body["recorded"] = dates.timestamp(recorded)
    sources = body.get("sources")
    if isinstance(sources, list):
        body["sources"] = [
            {**s, "date": s["date"].isoformat()}
            if isinstance(s, Mapping) and isinstance(s.get("date"), dt.date)
            else s
            for s in sources
        ]
    return body


def iter_jsonl(path: str | Path, *, only_entities: bool = False) -> Iterator[Located]:
    """Stream validated items from a JSON Lines file, without holding the file in memory.

    With `only_entities`, read just the entity lines (a quick first pass over a big file).
    """
    name = str(path)

    def lines() -> Iterator[tuple[int, str]]:
        empty = True
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, errors reported as ours
        except OSError as error:
            raise LedgerError(name, None, f"cannot read: {error.strerror or error}") from None
        with handle:
            for number, data in enumerate(handle, 1):
                if number == 1:
                    data = data.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is not content
                if empty and data.strip(b" \t\r\n"):
                    empty = False
                if only_entities and b'"entity"' not in data:
                    continue
                try:
                    yield number, data.decode("utf-8")
                except UnicodeDecodeError:
                    raise LedgerError(name, number, "not UTF-8 text") from None
        if empty:
            raise LedgerError(name, None, "empty ledger: no entities or events")

    found = _jsonl(name, lines())
    if only_entities:
        return (item for item in found if isinstance(item.item, Entity))
    return found


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a TOML basic string, once DEL (which TOML forbids raw) is escaped too.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_table(name: str, body: Mapping[str, Any]) -> list[str]:
    lines = [f"[[{name}]]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in body.items() if k != "sources"]
    for source in body.get("sources", []):
        lines.append(f"[[{name}.sources]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in source.items()]
    return lines


def dump(entities: Iterable[Entity], records: Iterable[Any], fmt: str = "jsonl") -> str:
    """A ledger (JSON Lines or TOML) holding the entities and the records' events as stored."""
    from events import to_dict

    items: list[tuple[str, dict[str, Any]]] = [
        ("entity", {"id": e.id, "name": e.name, "kind": e.kind, "aliases": list(e.aliases)})
        for e in entities
    ]
    for record in records:
        body = to_dict(record.event)
        body["recorded"] = record.recorded
        items.append(("event", {"type": body.pop("type"), **body}))
    if fmt == "jsonl":
        return "".join(
            json.dumps({"entity": body} if kind == "entity" else body, ensure_ascii=False) + "\n"
            for kind, body in items
        )
    return "\n".join("\n".join(_toml_table(kind, body)) + "\n" for kind, body in items)
