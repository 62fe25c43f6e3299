"""JSON Lines ledgers read, validated and hashed in a second process while this one writes.

A large load spends about a third of its time reading, validating and hashing events: work
that needs no store. A worker process does it and sends the events back ready to append
(preparing.Prepared: a few texts each, cheap to send), a thousand at a time through a pipe, so
at most a few blocks wait in memory. Errors come back as data, after the events before them,
so a load reports the same first bad line as it would read in one process. Small loads (and
machines with one core) skip the worker: starting it would cost more than it saves.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .errors import LedgerError, TrackerError
from .preparing import Prepared, prepare

WORTH_BYTES = 16 << 20  # JSON Lines bytes from which a worker pays for itself (~30,000 events)
BLOCK = 1000  # events sent at a time


def worthwhile(paths: Sequence[Path]) -> bool:
    """Whether reading `paths` in a worker is worth starting one."""
    if (os.cpu_count() or 1) < 2 or os.environ.get("TRACKER_PREFETCH") == "0":
        return False
    return sum(Path(p).stat().st_size for p in paths) >= WORTH_BYTES


def prepared(files: Sequence[tuple[Path, str | None]]) -> Iterator[Prepared]:
    """The events of JSON Lines files (each a path, and the name its messages give it if not
    the path), entity lines left out, ready to append, read in a worker process; a LedgerError
    as the reader in this process would raise it."""
    context: Any = multiprocessing.get_context(start_method())
    receiving, sending = context.Pipe(duplex=False)
    worker = context.Process(
        target=_work, args=([(str(p), n) for p, n in files], sending), daemon=True
    )
    worker.start()
    sending.close()
    try:
        while True:
            try:
                message = receiving.recv()
            except EOFError:
                raise TrackerError("the reading process stopped without a word") from None
            if isinstance(message, list):
                for fields in message:
                    yield Prepared._make((fields[0], _fail(fields[1]), *fields[2:]))
            elif message is None:
                return
            else:
                raise _error(message)
    finally:
        receiving.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()


def start_method() -> str:
    """How the worker starts: forked (cheap) where that is safe, a fresh interpreter otherwise.

    A process with other threads (a test runner's, a notebook's) may be forked while one of
    them holds a lock the child would then wait on forever.
    """
    import threading

    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _work(paths: list[tuple[str, str | None]], out: Connection) -> None:
    """In the worker: read each file, send its events in blocks, then None (or the error)."""
    try:
        block, ending = _read_all(paths, out)
        out.send(block)
        out.send(ending)
    except OSError:
        pass  # the pipe is closed: the load stopped reading (it failed or was interrupted)
    finally:
        out.close()


def _read_all(
    paths: list[tuple[str, str | None]], out: Connection
) -> tuple[list[tuple[Any, ...]], Any]:
    """Send every full block; return the last one and what ends the stream (None or an error)."""
    from .entities import Entity
    from .ledger import iter_jsonl

    block: list[tuple[Any, ...]] = []
    try:
        for path, name in paths:
            for located in iter_jsonl(path, name=name):
                if isinstance(located.item, Entity):
                    continue
                ready = prepare(located)
                block.append((ready.names, (located.path, located.line), *ready[2:]))
                if len(block) >= BLOCK:
                    out.send(block)
                    block = []
    except LedgerError as error:
        return block, ("ledger", error.path, error.line, error.reason)
    except TrackerError as error:
        return block, ("tracker", str(error))
    except OSError:
        raise
    except Exception as error:  # a bug: said as plainly as it would be in one process
        return block, ("bug", f"{type(error).__name__}: {error}")
    return block, None


def _fail(where: tuple[str, int]) -> functools.partial[LedgerError]:
    return functools.partial(LedgerError, *where)


def _error(message: tuple[Any, ...]) -> Exception:
    if message[0] == "ledger":
        return LedgerError(message[1], message[2], message[3])
    if message[0] == "tracker":
        return TrackerError(message[1])
    return RuntimeError(f"reading process failed: {message[1]}")
