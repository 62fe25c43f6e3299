"""Loading ledger files into a store, with progress on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .ledger import Located, read
from .store import AppendReport, Store


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
    """Validate every file, then append all their events in one transaction (all or nothing)."""
    entities: list[Located] = []
    events: list[Located] = []
    for path in paths:
        ledger = read(path)
        entities.extend(ledger.entities)
        events.extend(ledger.events)
    with progress_bar(len(events), "loading", quiet) as tick:
        return store.append(events, entities, progress=tick)
