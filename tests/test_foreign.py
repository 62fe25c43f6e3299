"""Ours or not at all: a file that is not a tracker store is refused by every command in one
line, and left byte for byte as it was, with nothing created beside it."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import tracker
from tracker.cli import main
from tracker.errors import TrackerError
from tracker.store import Store

from .test_cli import commands

SCENARIO = Path(__file__).resolve().parent.parent / "seeds" / "scenarios"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
COW = FIXTURES / "cow"
STATES = COW / "states2016.csv"


def foreign_sqlite(path: Path, wal: bool) -> Path:
    """Someone else's SQLite database, with an `events` table of its own."""
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT, amount REAL)")
    conn.executemany("INSERT INTO events (what, amount) VALUES (?, ?)", [("rent", 900.0)] * 50)
    conn.commit()
    conn.close()  # a clean close checkpoints the log and removes it
    return path


KINDS = {
    "sqlite": lambda p: foreign_sqlite(p, wal=False),
    "sqlite in WAL mode": lambda p: foreign_sqlite(p, wal=True),
    "text": lambda p: (p.write_text("not a database\n", encoding="utf-8"), p)[1],
    "bytes": lambda p: (p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200), p)[1],
}


def fingerprint(path: Path) -> tuple[str, list[str]]:
    """The file's digest, and every file in its folder."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest, sorted(p.name for p in path.parent.iterdir())


def arguments(ledger: Path, out: Path) -> list[list[str]]:
    """One invocation of every command (the command table of the CLI tests)."""
    return [
        ["state", "RUS", "TALIBAN", "--on", "2025-07-04"],
        ["who", "TALIBAN", "--where", "recognition=recognized", "--on", "2025-07-04"],
        ["first", "TALIBAN", "--where", "recognition=recognized"],
        ["history", "RUS", "TALIBAN"],
        ["entities"],
        ["replay"],
        ["scenario", str(SCENARIO / "china_recognises_taliban.toml")],
        ["retract", "d6e9101a", "--reason", "r", "--source", "s"],
        ["load", str(ledger)],
        ["import", "gdelt", str(FIXTURES / "20250712000000.export.CSV")],
        ["import", "cow", str(COW / "Diplomatic_Exchange_2006v1.csv"), "--states", str(STATES)],
        ["import", "cow-states", str(STATES)],
        ["export", "-o", str(out)],
        ["verify"],
        ["rebuild"],
        ["plot", "dyad", "RUS", "TALIBAN", "-o", str(out.with_suffix(".png"))],
        ["plot", "count", "TALIBAN", "--where", "recognition=recognized", "-o", str(out) + ".svg"],
        ["serve", "--port", "1"],
        ["panel", "--dimension", "recognition", "--from", "2020", "--to", "2025"],
    ]


def test_every_command_is_tried() -> None:
    """The invocations below cover every command that opens the database (`bench` works in
    a folder of its own)."""
    tried = set()
    for args in arguments(Path("l.jsonl"), Path("out.jsonl")):
        tried |= {args[0], " ".join(args[:2])}
    wanted = {
        name
        for name, command in commands()
        if not isinstance(command, click.Group) and not name.startswith("bench")
    }
    assert wanted <= tried, wanted - tried


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_command_refuses_and_leaves_it(tmp_path: Path, kind: str) -> None:
    """Each command on a foreign file exits 1 with one line and changes nothing there."""
    folder = tmp_path / "theirs"
    folder.mkdir()
    db = KINDS[kind](folder / "their.db")
    ledger = tmp_path / "l.jsonl"
    ledger.write_text(
        '{"type": "recognition_granted", "actor": "RUS", "counterpart": "CHN", "on": "2020", '
        '"sources": [{"title": "t", "publisher": "p", "date": "2020"}]}\n',
        encoding="utf-8",
    )
    before = fingerprint(db)
    runner = CliRunner()
    for args in arguments(ledger, tmp_path / "out.jsonl"):
        result = runner.invoke(main, ["--db", str(db), *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith(f"error: {db}: "), (args, result.stderr)
        assert "not a tracker store" in result.stderr and result.stderr.count("\n") == 1
        assert fingerprint(db) == before, args
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_python_refuses_too(tmp_path: Path, kind: str) -> None:
    """Store() and tracker.open() refuse a foreign file before writing anything."""
    db = KINDS[kind](tmp_path / "their.db")
    before = fingerprint(db)
    for opening in (Store, tracker.open):
        with pytest.raises(TrackerError, match="not a tracker store"):
            opening(db)
        assert fingerprint(db) == before


@pytest.mark.parametrize("what", ["folder", "fifo", "device"])
def test_what_is_no_file_is_refused(tmp_path: Path, what: str) -> None:
    """A folder, a FIFO or a device given as the database is refused without opening it."""
    if what == "folder":
        path = tmp_path / "a.db"
        path.mkdir()
    elif what == "fifo":
        path = tmp_path / "pipe.db"
        os.mkfifo(path)
    else:
        path = Path("/dev/null")
    result = CliRunner().invoke(main, ["--db", str(path), "entities"])
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {path}: ")
    assert result.stderr.count("\n") == 1
