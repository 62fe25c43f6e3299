"""Which files are tracker stores: a file is inspected, read-only, before anything writes to it.

A path is a store of ours, a place for a new one (missing, a 0-byte file, or an SQLite file
with no tables yet), or something else, which is refused in one line and never written to:
another program's SQLite file, a file that is not SQLite at all, a folder, a device or a FIFO.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from .errors import TrackerError

APPLICATION_ID = 0x47535431  # "GST1": PRAGMA application_id of every store this version creates
_HEADER = b"SQLite format 3\x00"
IN_MEMORY = ":memory:"

Kind = Literal["missing", "empty", "ours"]


def inspect(path: str) -> Kind:
    """What is at `path`: nothing yet, a place for a new store, or a store of ours.

    Raises TrackerError for anything else; nothing is written (a read-only connection, or
    none at all, looks at the file).
    """
    if path == IN_MEMORY:
        return "missing"
    try:
        info = os.stat(path)
    except FileNotFoundError:
        parent = Path(path).parent
        if not parent.is_dir():
            raise TrackerError(f"{path}: folder {parent} does not exist") from None
        return "missing"
    except OSError as error:
        raise TrackerError(f"{path}: cannot open: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise TrackerError(f"{path}: is a folder, not a database file")
    if not stat.S_ISREG(info.st_mode):
        raise TrackerError(f"{path}: not a regular file ({describe(info.st_mode)})")
    if info.st_size == 0:
        return "empty"  # a new store, or one whose creation was interrupted
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as error:
        raise TrackerError(f"{path}: cannot read: {error.strerror or error}") from None
    if not header.startswith(_HEADER):
        raise TrackerError(f"{path}: not a tracker store (not an SQLite database)")
    return _inspect_sqlite(path, header)


def _inspect_sqlite(path: str, header: bytes) -> Kind:
    """Look inside an SQLite file through a read-only connection."""
    wal_mode = len(header) >= 20 and header[18] == 2 and header[19] == 2
    # A file in WAL mode with no log beside it holds everything in the main file: open it
    # immutable, so that not even the -shm file is created beside someone else's database.
    immutable = wal_mode and not os.path.exists(f"{path}-wal")
    uri = f"file:{quote(os.path.abspath(path))}?mode=ro" + ("&immutable=1" if immutable else "")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=5.0)
    except sqlite3.Error as error:
        raise TrackerError(
            f"{path}: not a tracker store (SQLite cannot open it: {error})"
        ) from None
    try:
        app = int(conn.execute("PRAGMA application_id").fetchone()[0])
        objects = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
        names = {name for kind, name in objects if kind == "table"}
        schema = None
        if {"meta", "events", "entities"} <= names:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            schema = None if row is None else row[0]
    except sqlite3.Error as error:
        raise TrackerError(
            f"{path}: not a tracker store (SQLite cannot read it: {error})"
        ) from None
    finally:
        conn.close()
    if app not in (0, APPLICATION_ID):
        raise TrackerError(f"{path}: not a tracker store (another application's SQLite file)")
    if not objects:
        return "empty"
    if schema is None:
        shown = ", ".join(sorted(names or {n for _, n in objects})[:5])
        shown += ", ..." if len(objects) > 5 else ""
        raise TrackerError(
            f"{path}: not a tracker store (an SQLite database with tables {shown}); "
            "it was left untouched"
        )
    return "ours"


def describe(mode: int) -> str:
    """A file type in words, for messages."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def companions(path: str | Path) -> tuple[str, ...]:
    """The database file and the files SQLite keeps beside it."""
    return tuple(f"{path}{suffix}" for suffix in ("", "-wal", "-shm", "-journal"))
