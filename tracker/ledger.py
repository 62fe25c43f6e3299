"""Ledger files: TOML for curated ledgers, JSON Lines for bulk. Reading validates everything.

TOML: `[[entity]]` tables (`id`, `name`, `kind`, optional `aliases`, `revise`, `recorded`) and
`[[event]]` tables (the stored shape of an event: `type`, `actor`, `counterpart`, `on`,
`sources`, ... ). JSON Lines: one event object per line, or `{"entity": {...}}` for an entity.
Every problem is reported as `file:line: reason`.

Reading is bounded: the extension and the file type (a regular file, never a FIFO or a device)
are checked before a byte is read, a TOML ledger is at most MAX_TOML bytes, and a JSON Lines
line at most MAX_LINE bytes (the file itself is streamed).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import orjson

from events import Event, EventFormatError, from_dict

from . import dates
from .entities import Entity
from .errors import LedgerError
from .validation import MAX_LINE, MAX_TEXT, text_problem, validate, validate_entity

__all__ = [
    "MAX_LINE",
    "MAX_TEXT",
    "MAX_TOML",
    "Ledger",
    "Located",
    "dump",
    "entity",
    "event",
    "iter_jsonl",
    "open_regular",
    "read",
    "validate",
]

_JSON_SPACE = " \t\r\n"  # what JSON counts as white space (str.strip() counts more)
MAX_TOML = 8 << 20  # bytes of a TOML ledger (read whole, about 200 MB of memory at most)
_ENTITY_KEYS = {"id", "name", "kind", "aliases", "revise", "recorded"}
_STREAMED = (".jsonl", ".ndjson")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')  # a JSON string, escapes included
VALIDATED = object()  # Located.checked of an event this module validated (see Located)


@attrs.frozen
class Located:
    """Something read from a ledger, with the file and line it came from.

    `checked` is set by this module's reader alone, on events it has already validated, so
    that the store's append does not validate them a second time (it still checks their
    stored form).
    """

    item: Any
    path: str
    line: int
    checked: object = attrs.field(default=None, kw_only=True, eq=False, repr=False)

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
    if path.suffix in _STREAMED:
        ledger = _split(iter_jsonl(path))
    elif path.suffix == ".toml":
        ledger = _read_toml(name, _toml_text(path, name))
    else:
        raise LedgerError(name, None, "unknown ledger format (use .toml or .jsonl)")
    if not ledger.entities and not ledger.events:
        raise LedgerError(name, None, "empty ledger: no [[entity]] or [[event]]")
    return ledger


def open_regular(path: str | Path, name: str | None = None) -> BinaryIO:
    """Open a regular file for reading; a FIFO, a device or a folder is refused (opened without
    blocking, then checked, so nothing waits on a pipe)."""
    name = str(path) if name is None else name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise LedgerError(name, None, f"cannot read: {error.strerror or error}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        from .storefile import describe

        raise LedgerError(name, None, f"not a regular file ({describe(mode)})")
    return os.fdopen(fd, "rb")


def read_text(path: str | Path, name: str, limit: int) -> str:
    """A whole UTF-8 file of at most `limit` bytes, its byte-order mark removed; refused with
    the file and line if it is larger, not UTF-8 or holds a NUL."""
    with open_regular(path, name) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise LedgerError(name, None, f"file larger than {limit >> 20} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise LedgerError(name, line, "not UTF-8 text") from None
    text = text.removeprefix("\ufeff")  # a byte-order mark is not content
    if "\x00" in text:
        raise LedgerError(name, text[: text.index("\x00")].count("\n") + 1, "NUL byte in text")
    return text


def _toml_text(path: Path, name: str) -> str:
    try:
        return read_text(path, name, MAX_TOML)
    except LedgerError as error:
        if error.reason.startswith("file larger"):
            raise LedgerError(
                name, None, f"{error.reason}: a TOML ledger is read whole; use JSON Lines"
            ) from None
        raise


def _split(items: Iterable[Located]) -> Ledger:
    entities: list[Located] = []
    events: list[Located] = []
    for located in items:
        (entities if isinstance(located.item, Entity) else events).append(located)
    return Ledger(tuple(entities), tuple(events))


MAX_NESTING = 100  # levels of arrays and inline tables in TOML (a ledger needs two)
# Strings and comments, whose brackets open no level.
_HIDDEN = re.compile(
    r'''"""(?:[^"\\]|\\.|"(?!""))*+"{3,5}|\'\'\'(?:[^']|'(?!''))*+'{3,5}'''
    r"""|"(?:[^"\\\n]|\\.)*+"|'[^'\n]*'|#[^\n]*""",
    re.DOTALL,
)
_BRACKETS = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def too_deep(text: str) -> int | None:
    """The line on which TOML text first nests more than MAX_NESTING levels deep, or None.

    Read without recursing: strings and comments are blanked out (up to an unterminated
    string, where a parser stops too), then the brackets left are counted.
    """
    plain = _visible(_HIDDEN.sub(" ", text))
    levels = accumulate(map(_STEP.__getitem__, _BRACKETS.findall(plain)))
    if max(levels, default=0) <= MAX_NESTING:
        return None
    plain = _visible(_HIDDEN.sub(lambda m: "\n" * m.group().count("\n"), text))  # lines kept
    depth = 0
    for bracket in _BRACKETS.finditer(plain):
        depth += _STEP[bracket.group()]
        if depth > MAX_NESTING:
            return plain.count("\n", 0, bracket.start()) + 1
    return None  # not reached: both readings count the same brackets


def _visible(plain: str) -> str:
    """`plain` (text with its strings and comments blanked) up to an unterminated string."""
    cuts = [at for at in (plain.find('"'), plain.find("'")) if at >= 0]
    return plain[: min(cuts)] if cuts else plain


def parse_toml(name: str, text: str) -> dict[str, Any]:
    """Parse TOML text; a LedgerError names the line of a syntax error.

    Text nested more than MAX_NESTING levels deep is refused before the parser, which
    recurses at each level, comes near Python's recursion limit (there even a finalizer run
    by the garbage collector would fail, and be reported as an unraisable exception).
    """
    line = too_deep(text)
    if line is not None:
        raise LedgerError(name, line, f"invalid TOML: nested more than {MAX_NESTING} levels deep")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        reason = re.sub(r"\s*\(at line.*\)$", "", str(error)) or "invalid TOML"
        raise LedgerError(
            name, int(found.group(1)) if found else None, f"invalid TOML: {reason}"
        ) from None
    except RecursionError:
        raise LedgerError(name, None, "invalid TOML: nested too deeply") from None


def _read_toml(name: str, text: str) -> Ledger:
    doc = parse_toml(name, text)
    unknown = set(doc) - {"entity", "event"}
    if unknown:
        raise LedgerError(name, None, f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    lines = text.split("\n")
    entities = _tables(name, doc.get("entity", []), lines, "entity")
    events = _tables(name, doc.get("event", []), lines, "event")
    return Ledger(
        tuple(attrs.evolve(e, item=entity(e)) for e in entities),
        tuple(attrs.evolve(e, item=event(e), checked=VALIDATED) for e in events),
    )


def _tables(name: str, tables: Any, lines: list[str], key: str) -> list[Located]:
    header = re.compile(rf"\s*\[\[\s*{key}\s*\]\]\s*(#.*)?")
    starts = [i + 1 for i, line in enumerate(lines) if header.fullmatch(line)]
    if not isinstance(tables, list) or len(starts) != len(tables):
        raise LedgerError(name, None, f"write each {key} as a [[{key}]] table")
    return [Located(table, name, line) for table, line in zip(tables, starts, strict=True)]


def _jsonl(name: str, lines: Iterable[tuple[int, str]], only_entities: bool) -> Iterator[Located]:
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
        _no_duplicate_keys(name, number, line, obj)
        if isinstance(obj, dict) and len(obj) == 1 and "entity" in obj:
            yield Located(entity(Located(obj["entity"], name, number)), name, number)
        elif not only_entities:
            short = len(line) <= MAX_TEXT and "\\u0000" not in line and "\x00" not in line
            item = event(Located(obj, name, number), short=short, from_json=True)
            yield Located(item, name, number, checked=VALIDATED)


def _no_duplicate_keys(name: str, number: int, line: str, obj: Any) -> None:
    """Refuse an object that names a key twice (orjson keeps the last one without a word).

    Outside strings, JSON has one colon per object member, so the line's colons, less those
    inside its keys and strings, number the members written: more than the members read means
    a key was repeated. (A line with \\u escapes, which could spell a colon, has its strings
    cut out of it instead.)
    """
    members = inside = 0
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            members += len(item)
            for key, value in item.items():
                inside += key.count(":")
                if isinstance(value, str):
                    inside += value.count(":")
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            for value in item:
                if isinstance(value, str):
                    inside += value.count(":")
                elif isinstance(value, (dict, list)):
                    stack.append(value)
    escaped = "\\u" in line
    written = _STRING.sub("", line).count(":") if escaped else line.count(":") - inside
    if written == members:
        return
    import json

    def pairs(found: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in found]
        for key in keys:
            if keys.count(key) > 1:
                raise LedgerError(name, number, f"duplicate key {key!r} in a JSON object")
        return dict(found)

    if _depth(obj) <= MAX_NESTING:  # json recurses at each level: name the key only if shallow
        json.loads(line, object_pairs_hook=pairs)
    raise LedgerError(name, number, "duplicate key in a JSON object")


def _depth(value: Any) -> int:
    """How many levels of arrays and objects `value` nests (read without recursing)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in _children(item))
    return deepest


def _children(item: dict[str, Any] | list[Any]) -> Iterable[Any]:
    return item.values() if isinstance(item, dict) else item


def _check_text(located: Located, value: Any) -> None:
    problem = text_problem(value)
    if problem is not None:
        raise located.error(problem)


def entity(located: Located) -> Entity:
    """Validate one entity table."""
    raw = located.item
    if not isinstance(raw, Mapping):
        raise located.error("an entity must be a table")
    _check_text(located, raw)
    unknown = set(raw) - _ENTITY_KEYS
    if unknown:
        raise located.error(f"entity: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    for key in ("id", "name", "kind"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise located.error(f"entity: {key!r} is required and must be text")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise located.error(f"entity {raw['id']}: aliases must be a list of text")
    revise = raw.get("revise", False)
    if not isinstance(revise, bool):
        raise located.error(f"entity {raw['id']}: revise must be true or false")
    recorded = raw.get("recorded")
    if recorded is not None and not isinstance(recorded, (str, dt.date)):
        raise located.error(f"entity {raw['id']}: recorded must be a timestamp")
    if isinstance(recorded, dt.date):
        recorded = dates.timestamp(recorded)
    try:
        return validate_entity(
            Entity(
                raw["id"],
                raw["name"],
                raw["kind"],
                tuple(aliases),
                revise=revise,
                recorded=recorded,
            )
        )
    except ValueError as error:  # DateError included
        raise located.error(str(error)) from None


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
        _check_text(located, raw)
    body = raw if from_json else _plain_dates(located, raw)
    try:
        parsed = from_dict(body)
    except EventFormatError as error:
        raise located.error(str(error)) from None
    except RecursionError:  # cattrs, on values nested past Python's limit
        raise located.error("nested too deeply") from None
    try:
        return validate(parsed, hypothetical=hypothetical)
    except (ValueError, dates.DateError) as error:
        raise located.error(f"{parsed.type}: {error}") from None


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


def iter_jsonl(
    path: str | Path, *, only_entities: bool = False, name: str | None = None
) -> Iterator[Located]:
    """Stream validated items from a JSON Lines file, without holding the file in memory.

    With `only_entities`, read just the entity lines (a quick first pass over a big file:
    a line is parsed only if it could be an entity line, even one whose key is escaped).
    `name` is how messages name the file (`<stdin>` for standard input spooled to it).
    """
    name = str(path) if name is None else name

    def lines() -> Iterator[tuple[int, str]]:
        empty = True
        with open_regular(path, name) as handle:
            for number, data in enumerate(capped_lines(handle, name), 1):
                if number == 1:
                    data = data.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is not content
                if empty and data.strip(b" \t\r\n"):
                    empty = False
                if only_entities and b'"entity"' not in data and b"\\" not in data:
                    continue
                if b"\x00" in data:
                    raise LedgerError(name, number, "NUL byte in text")
                try:
                    yield number, data.decode("utf-8")
                except UnicodeDecodeError:
                    raise LedgerError(name, number, "not UTF-8 text") from None
        if empty:
            raise LedgerError(name, None, "empty ledger: no entities or events")

    return _jsonl(name, lines(), only_entities)


def capped_lines(handle: BinaryIO, name: str) -> Iterator[bytes]:
    """The file's lines, each at most MAX_LINE bytes (a longer one is refused, not read)."""
    number = 0
    while True:
        data = handle.readline(MAX_LINE + 1)
        if not data:
            return
        number += 1
        if len(data) > MAX_LINE and not data.endswith(b"\n"):
            raise LedgerError(
                name, number, f"line longer than {MAX_LINE >> 20} MiB (one event a line)"
            )
        yield data


def dump(entities: Iterable[Entity], records: Iterable[Any], fmt: str = "jsonl") -> str:
    """A ledger (JSON Lines or TOML) holding the entities and the records' events as stored."""
    from .exporting import ledger_lines

    return "".join(ledger_lines(entities, records, fmt))
