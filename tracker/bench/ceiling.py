"""The write ceilings of `tracker bench`: what writing the rows a load (or a rebuild) leaves
behind costs this machine at best, measured beside the load in the same run."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from ..appending import LOAD_CACHE_KIB


def copy_rows(
    db: str, target: str, names: Sequence[str], *, keep: bool = False
) -> tuple[int, float]:
    """Copy the rows of `names` into an empty database of the same tables and indexes, in
    SQL alone: one `INSERT INTO ... SELECT *` a table (read in key order; SQLite may move
    the records without decoding them), indexes built after the rows, WAL and the load's
    cache. What writing those rows costs this machine at best: no Python per row and no
    work but the writing. Return the events they stand for and the seconds taken (the copy
    is removed unless `keep`)."""
    Path(target).unlink(missing_ok=True)
    out = sqlite3.connect(target, isolation_level=None)
    out.execute("PRAGMA journal_mode = WAL")
    out.execute("PRAGMA synchronous = NORMAL")
    out.execute(f"PRAGMA cache_size = {LOAD_CACHE_KIB}")
    out.execute("ATTACH DATABASE ? AS source", (db,))  # read only: nothing here writes it
    marks = ", ".join("?" * len(names))
    schema = out.execute(
        f"SELECT type, name, sql FROM source.sqlite_schema WHERE tbl_name IN ({marks}) "
        "AND sql IS NOT NULL AND type IN ('table', 'index')",
        list(names),
    ).fetchall()
    for kind, _, sql in schema:
        if kind == "table":
            out.execute(sql)
    count = int(out.execute("SELECT count(*) FROM source.events").fetchone()[0])
    started = time.perf_counter()
    out.execute("BEGIN")
    for name in names:
        out.execute(f"INSERT INTO main.{name} SELECT * FROM source.{name}")
    for kind, _, sql in schema:
        if kind == "index":
            out.execute(sql)
    out.execute("COMMIT")
    seconds = time.perf_counter() - started
    out.close()
    for suffix in ("", "-wal", "-shm") if not keep else ():
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    return count, seconds
