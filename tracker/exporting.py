"""Writing ledgers: entities and stored events as JSON Lines or TOML, one line at a time.

What a store exports loads back with the same ids: each event in its stored body with its
transaction time, each entity declaration in the order recorded (a later one that changed an
entity marked `revise`). The text is produced as a stream, so exporting a store of any size
holds one event in memory at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .entities import Entity

FORMATS = ("jsonl", "toml")


def ledger_lines(
    entities: Iterable[Entity],
    records: Iterable[Any],
    fmt: str = "jsonl",
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The text of a ledger holding `entities` and the records' events, piece by piece
    (`progress` is told of every thousand events)."""
    from events import to_dict

    if fmt not in FORMATS:
        raise ValueError(f"unknown ledger format {fmt!r}")
    first = True
    for entity in entities:
        yield _entry("entity", entity_body(entity), fmt, first)
        first = False
    done = 0
    for record in records:
        body = to_dict(record.event)
        body["recorded"] = record.recorded
        yield _entry("event", {"type": body.pop("type"), **body}, fmt, first)
        first = False
        done += 1
        if progress is not None and done % 1000 == 0:
            progress(1000)
    if progress is not None and done % 1000:
        progress(done % 1000)


def entity_body(entity: Entity) -> dict[str, Any]:
    """A declaration as ledgers write it (`recorded` and `revise` only when they say something)."""
    body: dict[str, Any] = {"id": entity.id, "name": entity.name, "kind": entity.kind}
    body["aliases"] = list(entity.aliases)
    if entity.recorded is not None:
        body["recorded"] = entity.recorded
    if entity.revise:
        body["revise"] = True
    return body


def _entry(kind: str, body: Mapping[str, Any], fmt: str, first: bool) -> str:
    if fmt == "jsonl":
        shaped = {"entity": body} if kind == "entity" else body
        return json.dumps(shaped, ensure_ascii=False) + "\n"
    return ("" if first else "\n") + "\n".join(_toml_table(kind, body)) + "\n"


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
