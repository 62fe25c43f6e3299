"""Loading ledger files into a store, streaming JSON Lines, with progress on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .entities import Entity
from .ledger import Located, iter_jsonl, read
from .store import AppendReport, Store

_STREAMED = (".jsonl", ".ndjson")


@contextmanager
def progress_bar(total: int, label: str, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """A tick(n) function drawing a bar on a terminal's stderr; silent otherwise or if quiet."""
    if quiet or total < 5000 or not sys.stderr.isatty():
        yield lambda _: None
        return
    import click

    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def load(store: Store, paths: Sequence[Path], *, quiet: bool = False) -> AppendReport:
    """Validate every file and append all their events in one transaction (all or nothing).

    TOML ledgers are read whole; JSON Lines ledgers are streamed (their entity lines are read
    first, in a quick pass), so a load's memory does not grow with the file.
    """
    entities: list[Located] = []
    small: list[Located] = []
    streamed: list[Path] = []
    total = 0
    for path in paths:
        if Path(path).suffix in _STREAMED:
            entities.extend(_entity_lines(path))
            streamed.append(path)
            total += _count_lines(path)
        else:
            ledger = read(path)
            entities.extend(ledger.entities)
            small.extend(ledger.events)
            total += len(ledger.events)

    def events() -> Iterator[Located]:
        yield from small
        for path in streamed:
            yield from (e for e in iter_jsonl(path) if not isinstance(e.item, Entity))

    with progress_bar(total, "loading", quiet) as tick:
        return store.append(events(), entities, progress=tick)


def _entity_lines(path: Path) -> list[Located]:
    """The entity lines of a JSON Lines ledger (an empty or unreadable file raises here)."""
    return list(iter_jsonl(path, only_entities=True))


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)
