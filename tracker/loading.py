"""Loading ledger files into a store, streaming JSON Lines, with progress on a terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import BinaryIO

from .entities import Entity
from .errors import LedgerError
from .ledger import Located, capped_lines, iter_jsonl, open_regular, read
from .store import AppendReport, Store

_STREAMED = (".jsonl", ".ndjson")
_FORMATS = (".toml", *_STREAMED)
PROGRESS_FROM = 5000  # work items below which no bar is drawn
STDIN = "-"
STDIN_NAME = "<stdin>"


def ledgers_in(folder: Path) -> list[Path]:
    """The ledgers in a folder, sorted by name: its .toml, .jsonl and .ndjson files (hidden
    ones and subfolders, such as seeds/scenarios, left out)."""
    found = sorted(
        p for p in folder.iterdir() if p.suffix in _FORMATS and not p.name.startswith(".")
    )
    found = [p for p in found if not p.is_dir()]
    if not found:
        raise LedgerError(str(folder), None, "no ledgers in this folder (.toml or .jsonl files)")
    return found


def expand(paths: Sequence[str]) -> list[Path]:
    """The files to load: each path given, a folder's ledgers in its place, `-` as itself."""
    files: list[Path] = []
    for given in paths:
        if given == STDIN:
            if Path(STDIN) in files:
                raise LedgerError(STDIN_NAME, None, "standard input can be read only once")
            files.append(Path(STDIN))
        elif Path(given).is_dir():
            files.extend(ledgers_in(Path(given)))
        else:
            files.append(Path(given))
    return files


@contextmanager
def spooled(stream: BinaryIO) -> Iterator[Path]:
    """Standard input copied to a temporary JSON Lines file (each line capped as a file's
    are, so an endless line stops at the cap), removed afterwards: then it is read like any
    ledger, entity lines first."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix="tracker-stdin.", suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as handle:
            for line in capped_lines(stream, STDIN_NAME):
                handle.write(line)
        yield Path(name)
    finally:
        os.unlink(name)


def showing_progress(quiet: bool = False) -> bool:
    """Whether a progress bar would be drawn (stderr is a terminal, and not quiet)."""
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(total: int, label: str, quiet: bool = False) -> Iterator[Callable[[int], None]]:
    """A tick(n) function drawing a bar on a terminal's stderr; silent otherwise or if quiet."""
    if total < PROGRESS_FROM or not showing_progress(quiet):
        yield lambda _: None
        return
    import click

    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def check_paths(paths: Sequence[Path]) -> None:
    """Refuse, before anything is read or written, a path that cannot be a ledger: an unknown
    extension, a missing file, a folder, a FIFO or a device."""
    for path in paths:
        if Path(path).suffix not in _FORMATS:
            raise LedgerError(str(path), None, "unknown ledger format (use .toml or .jsonl)")
        open_regular(path).close()


def ledger_items(
    paths: Sequence[Path], count: bool = False, names: Mapping[Path, str] | None = None
) -> tuple[list[Located], Generator[Located, None, None], int]:
    """The entity declarations of every file, their events (a stream), and with `count` how
    many lines or events there are (for a progress bar; 0 without).

    TOML ledgers are read whole; JSON Lines ledgers are streamed (their entity lines are read
    first, in a quick pass), so memory does not grow with the file.
    """
    check_paths(paths)
    named = dict(names or {})
    entities: list[Located] = []
    small: list[Located] = []
    streamed: list[Path] = []
    total = 0
    for path in paths:
        if Path(path).suffix in _STREAMED:
            entities.extend(iter_jsonl(path, only_entities=True, name=named.get(path)))
            streamed.append(path)
            total += _count_lines(path) if count else 0
        else:
            ledger = read(path)
            entities.extend(ledger.entities)
            small.extend(ledger.events)
            total += len(ledger.events)

    def events() -> Generator[Located, None, None]:
        yield from small
        for path in streamed:
            items = iter_jsonl(path, name=named.get(path))
            yield from (e for e in items if not isinstance(e.item, Entity))

    return entities, events(), total


def load(
    store: Store,
    paths: Sequence[Path],
    *,
    quiet: bool = False,
    names: Mapping[Path, str] | None = None,
) -> AppendReport:
    """Validate every file and append all their events in one transaction (all or nothing).

    `names` says how messages name a file (`<stdin>` for standard input spooled to one).
    """
    entities, events, total = ledger_items(paths, count=showing_progress(quiet), names=names)
    with closing(events), progress_bar(total, "loading", quiet) as tick:
        return store.append(events, entities, progress=tick)


def _count_lines(path: Path) -> int:
    """The lines of a file, counted a block at a time (memory stays flat on any file)."""
    lines = 0
    with open_regular(path) as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
    return lines
