"""Tamper evidence that holds: each edit made behind the tool's back (triggers dropped first) is
caught by `tracker verify`, which exits 1 naming the seq, table or trigger. A cut tail and a
consistent rewrite (every hash recomputed, derived tables rebuilt) leave a self-contained chain
intact: those are caught by the head an earlier verify printed (--expect-head), and the tests
show that without it they are not, which is the limit RELIABILITY.md states."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from events import from_dict
from tracker.opening import seed_files
from tracker.tables import GENESIS, chain, entity_chain
from tracker.timeline import Record

from .conftest import Cli


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded store, closed (its log checkpointed), made once for the module."""
    made = Cli(tmp_path_factory.mktemp("tamper") / "template.db")
    result = made("load", "--quiet", *map(str, seed_files()))
    assert result.exit_code == 0, result.output
    return made.db


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Cli:
    """A copy of the seeded store, with the head verify printed saved beside it."""
    copy = Cli(tmp_path / "store.db")
    shutil.copyfile(template, copy.db)
    result = copy("verify", "--save-head", str(tmp_path / "head.txt"))
    assert result.exit_code == 0, result.output
    return copy


def edit(db: Path, change: Callable[[sqlite3.Connection], None]) -> None:
    """Edit the database file directly, as someone without the tool would (triggers dropped)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
        conn.execute("DROP TRIGGER IF EXISTS entity_log_no_update")
        conn.execute("DROP TRIGGER IF EXISTS entity_log_no_delete")
        change(conn)
        _restore_triggers(conn)
    finally:
        conn.close()


def _restore_triggers(conn: sqlite3.Connection) -> None:
    """Put back the triggers the change left missing, exactly as the tracker writes them (a
    careful forger would)."""
    from tracker.tables import ENTITY_LOG, TRIGGERS

    for statement in (TRIGGERS + ENTITY_LOG).split(";\n"):
        if "TRIGGER IF NOT EXISTS" in statement:
            conn.execute(statement)


def rechain(conn: sqlite3.Connection) -> None:
    """Recompute every event's hash from the first row on, as a forger would."""
    previous = GENESIS
    rows = conn.execute("SELECT seq, id, recorded, body FROM events ORDER BY seq").fetchall()
    for seq, event_id, recorded, body in rows:
        previous = chain(previous, seq, event_id, recorded, body)
        conn.execute("UPDATE events SET hash = ? WHERE seq = ?", (previous, seq))


def rewrite(conn: sqlite3.Connection, seq: int, body: dict[str, object]) -> None:
    """Give the row at `seq` a new body and the id and columns that body implies."""
    record = Record.of(seq, from_dict(body))
    conn.execute(
        "UPDATE events SET id = ?, type = ?, actor = ?, counterpart = ?, valid_time = ?, "
        "earliest = ?, latest = ?, operand = ?, withdraws = ?, body = ? WHERE seq = ?",
        (
            record.id,
            record.type,
            record.actor,
            record.counterpart,
            record.on,
            record.earliest,
            record.latest,
            record.operand,
            record.withdraws,
            record.body,
            seq,
        ),
    )


def seq_of(conn: sqlite3.Connection, kind: str) -> int:
    """The seq of the first event of type `kind`."""
    return int(conn.execute("SELECT min(seq) FROM events WHERE type = ?", (kind,)).fetchone()[0])


def refused(store: Cli, *args: str) -> str:
    """`verify ARGS` fails: exit 1, FAILED lines on stderr; return them."""
    result = store("verify", "--quiet", *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.stderr.startswith("FAILED ")
    return result.stderr


def holds(store: Cli, *args: str) -> None:
    """`verify ARGS` passes."""
    result = store("verify", "--quiet", *args)
    assert result.exit_code == 0, result.output


def head_file(store: Cli) -> str:
    """Where the fixture saved the head."""
    return str(store.db.parent / "head.txt")


# -- caught without a head ---------------------------------------------------------------------


def _body_to_blob(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE events SET body = CAST(body AS BLOB) WHERE seq = 3")


def _deep_body(conn: sqlite3.Connection) -> None:
    deep = '{"type": "visit_paid", "note": ' + "[" * 100_000 + "]" * 100_000 + "}"
    conn.execute("UPDATE events SET body = ? WHERE seq = 2", (deep,))
    rechain(conn)


def _silent_triggers(conn: sqlite3.Connection) -> None:
    for name, verb in (("events_no_update", "UPDATE"), ("events_no_delete", "DELETE")):
        conn.execute(
            f"CREATE TRIGGER {name} BEFORE {verb} ON events WHEN 0 "
            "BEGIN SELECT RAISE(ABORT, 'events is append-only'); END"
        )


CAUGHT: dict[str, tuple[Callable[[sqlite3.Connection], None], str]] = {
    "a body changed": (
        lambda c: c.execute("UPDATE events SET body = json_set(body, '$.note', 'x') WHERE seq = 1"),
        r"seq 1: hash chain broken",
    ),
    "recorded backdated, hash left": (  # the id and body still match: only the chain sees it
        lambda c: c.execute("UPDATE events SET recorded = '2000-01-01T00:00:00Z' WHERE seq = 4"),
        r"seq 4: hash chain broken",
    ),
    "a row's earliest moved": (  # outside the hash: only the columns re-derived from the body
        lambda c: c.execute("UPDATE events SET earliest = '1900-01-01' WHERE seq = 4"),
        r"seq 4: columns do not match the event's content",
    ),
    "a row's actor changed": (
        lambda c: c.execute("UPDATE events SET actor = 'CHN' WHERE seq = 4"),
        r"seq 4: columns do not match the event's content",
    ),
    "the last row deleted, chain intact": (
        lambda c: c.execute("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)"),
        r"dyad_events: .* differs from a rebuild",
    ),
    "a row from the middle deleted": (
        lambda c: c.execute("DELETE FROM events WHERE seq = 5"),
        r"seq 5: seq 5 is missing",
    ),
    "an intervals row edited": (
        lambda c: c.execute(
            "UPDATE intervals SET value = '\"withdrawn\"' WHERE dimension = 'recognition'"
        ),
        r"intervals: RUS->TALIBAN differs from a refold",
    ),
    "a dyad_events row deleted": (
        lambda c: c.execute("DELETE FROM dyad_events WHERE seq = 1"),
        r"dyad_events: .* differs from a rebuild",
    ),
    "the triggers replaced by silent ones": (
        _silent_triggers,
        r"trigger events_no_update differs",
    ),
    "an extra trigger": (
        lambda c: c.execute(
            "CREATE TRIGGER stamp AFTER INSERT ON events BEGIN UPDATE meta SET value = value; END"
        ),
        r"trigger stamp is not part of a tracker store",
    ),
    "the unique index on ids dropped": (
        lambda c: c.execute("DROP INDEX idx_events_id"),
        r"index idx_events_id is missing",
    ),
    "an entity renamed": (
        lambda c: c.execute("UPDATE entities SET name = 'Not the Taliban' WHERE id = 'TALIBAN'"),
        r"entities: TALIBAN is not as the entity log last declares it",
    ),
    "an entity declaration changed": (
        lambda c: c.execute("UPDATE entity_log SET kind = 'group' WHERE id = 'TALIBAN'"),
        r"entity_log: seq 1: hash chain broken",
    ),
    "a BLOB body": (_body_to_blob, r"seq 3: column body holds blob"),
    "a body nested 100,000 deep": (_deep_body, r"seq 2: body does not read as an event"),
}


@pytest.mark.parametrize("case", sorted(CAUGHT))
def test_caught(store: Cli, case: str) -> None:
    """Each edit is caught by verify alone, naming the seq, table or trigger."""
    change, reason = CAUGHT[case]
    edit(store.db, change)
    found = refused(store)
    assert re.search(reason, found), found


@pytest.mark.parametrize("what", ["index", "intervals"])
def test_a_damaged_page_is_caught(store: Cli, what: str) -> None:
    """One page of an index or a derived table overwritten: SQLite's integrity check fails."""
    conn = sqlite3.connect(store.db)
    name = "idx_events_id" if what == "index" else "intervals"
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(store.db, "r+b") as handle:
        handle.seek((page - 1) * size + 8)  # past the page header: the cells become garbage
        handle.write(b"\x07" * (size - 8))
    assert "SQLite integrity check" in refused(store)


# -- caught only with the head kept elsewhere --------------------------------------------------


def _cut_tail(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM events WHERE seq >= 20")


def _consistent_rewrite(conn: sqlite3.Connection) -> None:
    seq = seq_of(conn, "recognition_granted")
    body = orjson.loads(conn.execute("SELECT body FROM events WHERE seq = ?", (seq,)).fetchone()[0])
    rewrite(conn, seq, {**body, "type": "recognition_withdrawn"})
    rechain(conn)


def _backdated(conn: sqlite3.Connection) -> None:
    seq = seq_of(conn, "recognition_granted")
    conn.execute("UPDATE events SET recorded = '2000-01-01T00:00:00Z' WHERE seq = ?", (seq,))
    rechain(conn)


def _entity_rewrite(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE entity_log SET name = 'Not the Taliban' WHERE id = 'TALIBAN'")
    conn.execute("UPDATE entities SET name = 'Not the Taliban' WHERE id = 'TALIBAN'")
    previous = GENESIS
    for seq, *row in conn.execute(
        "SELECT seq, id, name, kind, aliases, recorded FROM entity_log ORDER BY seq"
    ).fetchall():
        previous = entity_chain(previous, seq, row)
        conn.execute("UPDATE entity_log SET hash = ? WHERE seq = ?", (previous, seq))


FORGED: dict[str, tuple[Callable[[sqlite3.Connection], None], str]] = {
    "the tail cut": (_cut_tail, r"seq 19: the log ends at seq 19 but the expected head is at"),
    "an event's type rewritten consistently": (_consistent_rewrite, r"were rewritten"),
    "recorded backdated, rehashed": (_backdated, r"were rewritten"),
    "an entity renamed, its log rehashed": (_entity_rewrite, r"entity declarations up to seq"),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_forged_consistently(store: Cli, case: str) -> None:
    """A cut tail or a consistent rewrite (derived tables rebuilt): verify alone cannot see
    it; with the head kept elsewhere it exits 1 naming the seq."""
    change, reason = FORGED[case]
    edit(store.db, change)
    assert store("rebuild", "--quiet").exit_code == 0  # the forger tidies the derived tables
    holds(store)  # the limit of a self-contained chain
    found = refused(store, "--expect-head", head_file(store))
    assert re.search(reason, found), found


def test_backdating_changes_an_answer(store: Cli) -> None:
    """What the backdating forgery does (so the head is worth keeping): a question about the
    past now answers `recognized`."""
    asked = ["state", "RUS", "TALIBAN", "--on", "2025-07-04", "--known-at", "2000-01-01"]
    before = json.loads(store(*asked, "--json").stdout)["dimensions"]["recognition"]["value"]
    edit(store.db, _backdated)
    store("rebuild", "--quiet")
    after = json.loads(store(*asked, "--json").stdout)["dimensions"]["recognition"]["value"]
    assert (before, after) == ("none", "recognized")


class TestHead:
    """The head: printed, saved, given back as text or as the saved file."""

    def test_a_grown_log_still_holds_its_head(self, store: Cli, tmp_path: Path) -> None:
        """Events appended after the head was kept do not fail the check: the prefix holds."""
        ledger = tmp_path / "more.jsonl"
        ledger.write_text(
            json.dumps(
                {
                    "type": "recognition_granted",
                    "actor": "CHN",
                    "counterpart": "TALIBAN",
                    "on": "2026-01-01",
                    "sources": [{"title": "t", "publisher": "p", "date": "2026"}],
                }
            )
            + "\n",
            encoding="utf-8",
        )
        assert store("load", "--quiet", str(ledger)).exit_code == 0
        saved = Path(head_file(store)).read_text(encoding="utf-8").strip()
        for given in (saved, head_file(store)):
            result = store("verify", "--quiet", "--expect-head", given)
            assert result.exit_code == 0 and f"holds the expected head {saved}" in result.stdout

    def test_printed_head_is_the_saved_one(self, store: Cli) -> None:
        """verify prints the head it saves, in JSON too."""
        saved = Path(head_file(store)).read_text(encoding="utf-8").strip()
        assert f"head {saved}" in store("verify").stdout
        assert json.loads(store("verify", "--json").stdout)["head"] == saved

    @pytest.mark.parametrize("given", ["12:abc", "not-a-head", "1.2:" + "0" * 63])
    def test_a_bad_head_is_one_clean_error(self, store: Cli, given: str) -> None:
        """A head that is not SEQ.ENTITY_SEQ:HASH is refused in one line."""
        result = store("verify", "--expect-head", given)
        assert result.exit_code == 1 and result.stderr.startswith("error: ")
        assert result.stderr.count("\n") == 1

    def test_nothing_to_verify(self, tmp_path: Path, cli: Cli) -> None:
        """A missing or 0-byte file is not an empty store that verifies: verify refuses it."""
        for path in (tmp_path / "absent.db", tmp_path / "zero.db"):
            if path.name == "zero.db":
                path.touch()
            result = Cli(path).bare("--db", str(path), "verify")
            assert result.exit_code == 1 and "no tracker store here yet" in result.stderr
        assert not (tmp_path / "absent.db").exists()
