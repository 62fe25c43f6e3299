"""Tamper evidence that holds: each edit made behind the tool's back (triggers dropped first) is
caught by `tracker verify`, which exits 1 naming the seq, table or trigger. A cut tail and a
consistent rewrite (every hash recomputed, derived tables rebuilt) leave a self-contained chain
intact: those are caught by the head an earlier verify printed (--expect-head), and the tests
show that without it they are not, which is the limit RELIABILITY.md states."""

from __future__ import annotations

import json
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
from tracker.verify import head

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


def event_hash(conn: sqlite3.Connection, seq: int) -> str:
    """The stored chain hash of the event at `seq`."""
    return str(conn.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()[0])


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


DEEP = '{"type": "visit_paid", "note": ' + "[" * 100_000 + "]" * 100_000 + "}"


def _deep_body(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE events SET body = ? WHERE seq = 2", (DEEP,))
    rechain(conn)


def _orjson_error(text: str) -> str:
    """What orjson says of `text` (its wording is orjson's, not the tracker's)."""
    with pytest.raises(orjson.JSONDecodeError) as error:
        orjson.loads(text)
    return str(error.value)


def _silent_triggers(conn: sqlite3.Connection) -> None:
    for name, verb in (("events_no_update", "UPDATE"), ("events_no_delete", "DELETE")):
        conn.execute(
            f"CREATE TRIGGER {name} BEFORE {verb} ON events WHEN 0 "
            "BEGIN SELECT RAISE(ABORT, 'events is append-only'); END"
        )


def _body_at_2(body: str) -> Callable[[sqlite3.Connection], None]:
    """Give the row at seq 2 the body `body`, and rehash the chain."""

    def change(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE events SET body = ? WHERE seq = 2", (body,))
        rechain(conn)

    return change


def _respaced(conn: sqlite3.Connection) -> None:
    body = conn.execute("SELECT body FROM events WHERE seq = 2").fetchone()[0]
    _body_at_2(json.dumps(json.loads(body), indent=1))(conn)


def _new_id(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE events SET id = 'forged' WHERE seq = 2")
    rechain(conn)


def rechain_entities(conn: sqlite3.Connection) -> None:
    """Recompute every entity declaration's hash from the first on, as a forger would."""
    previous = GENESIS
    for seq, *row in conn.execute(
        "SELECT seq, id, name, kind, aliases, recorded FROM entity_log ORDER BY seq"
    ).fetchall():
        previous = entity_chain(previous, seq, row)
        conn.execute("UPDATE entity_log SET hash = ? WHERE seq = ?", (previous, seq))


def _declared(column: str, value: str) -> Callable[[sqlite3.Connection], None]:
    """Set `column` of the first entity declaration to `value`, and rehash the entity log."""

    def change(conn: sqlite3.Connection) -> None:
        conn.execute(f"UPDATE entity_log SET {column} = ? WHERE seq = 1", (value,))
        rechain_entities(conn)

    return change


def _with_rowid(conn: sqlite3.Connection) -> None:
    from tracker.projection import SECONDARY

    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'intervals'").fetchone()[0]
    conn.execute("ALTER TABLE intervals RENAME TO old")
    conn.execute(sql.replace(" WITHOUT ROWID", ""))
    conn.execute("INSERT INTO intervals SELECT * FROM old")
    conn.execute("DROP TABLE old")
    conn.execute(SECONDARY)


def _index_as(name: str, sql: str) -> Callable[[sqlite3.Connection], None]:
    def change(conn: sqlite3.Connection) -> None:
        conn.execute(f"DROP INDEX {name}")
        conn.execute(sql)

    return change


UNKNOWN = "x" * 300  # an event type, or an entity id, whose problem is longer than 200 characters

# Each edit, and the exact problems verify prints for it (each after "FAILED ").
CAUGHT: dict[str, tuple[Callable[[sqlite3.Connection], None], tuple[str, ...]]] = {
    "a body changed": (
        lambda c: c.execute("UPDATE events SET body = json_set(body, '$.note', 'x') WHERE seq = 1"),
        ("seq 1: hash chain broken: the row or one before it was changed",),
    ),
    "recorded backdated, hash left": (  # the id and body still match: only the chain sees it
        lambda c: c.execute("UPDATE events SET recorded = '2000-01-01T00:00:00Z' WHERE seq = 4"),
        ("seq 4: hash chain broken: the row or one before it was changed",),
    ),
    "a row's earliest moved": (  # outside the hash: only the columns re-derived from the body
        lambda c: c.execute("UPDATE events SET earliest = '1900-01-01' WHERE seq = 4"),
        ("seq 4: columns do not match the event's content",),
    ),
    "a row's actor changed": (
        lambda c: c.execute("UPDATE events SET actor = 'CHN' WHERE seq = 4"),
        ("seq 4: columns do not match the event's content",),
    ),
    "an id changed, rehashed": (_new_id, ("seq 2: id does not match the event's content",)),
    "a body respaced, rehashed": (  # the same event: its id holds, its stored text does not
        _respaced,
        ("seq 2: body is not the event's stored form (its text was changed)",),
    ),
    "a body of an unknown type, rehashed": (  # the reason is cut at 200 characters
        _body_at_2(json.dumps({"type": UNKNOWN})),
        (f"seq 2: body does not read as an event: unknown event type '{UNKNOWN[:180]}",),
    ),
    "the last row deleted, chain intact": (
        lambda c: c.execute("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)"),
        ("seq 80: dyad_events: RUS->TALIBAN differs from a rebuild",),
    ),
    "a row from the middle deleted": (
        lambda c: c.execute("DELETE FROM events WHERE seq = 5"),
        ("seq 5: seq 5 is missing",),
    ),
    "an intervals row edited": (
        lambda c: c.execute(
            "UPDATE intervals SET value = '\"withdrawn\"' WHERE dimension = 'recognition'"
        ),
        ("intervals: RUS->TALIBAN differs from a refold",),
    ),
    "intervals of a dyad without events": (
        lambda c: c.execute(
            "INSERT INTO intervals VALUES "
            "('AAA', 'BBB', 'recognition', '2020-01-01', NULL, '\"recognized\"', NULL, 0, "
            "'[]', '[]', 0)"
        ),
        ("intervals: AAA->BBB has rows but no events",),
    ),
    "a dyad_events row deleted": (
        lambda c: c.execute("DELETE FROM dyad_events WHERE seq = 1"),
        ("seq 1: dyad_events: TALIBAN->TALIBAN differs from a rebuild",),
    ),
    "the triggers replaced by silent ones": (
        _silent_triggers,
        (
            "trigger events_no_update differs from the tracker's",
            "trigger events_no_delete differs from the tracker's",
        ),
    ),
    "an extra trigger": (
        lambda c: c.execute(
            "CREATE TRIGGER stamp AFTER INSERT ON events BEGIN UPDATE meta SET value = value; END"
        ),
        ("trigger stamp is not part of a tracker store",),
    ),
    "the unique index on ids dropped": (
        lambda c: c.execute("DROP INDEX idx_events_id"),
        ("index idx_events_id is missing",),
    ),
    "the unique index on ids made not unique": (
        _index_as("idx_events_id", "CREATE INDEX idx_events_id ON events (id)"),
        ("index idx_events_id differs from the tracker's",),
    ),
    "the replay index made partial": (
        _index_as(
            "events_replay",
            "CREATE INDEX events_replay ON events (earliest, latest, seq) WHERE seq > 10",
        ),
        ("index events_replay differs from the tracker's",),
    ),
    "a column added to entities": (
        lambda c: c.execute("ALTER TABLE entities ADD COLUMN note TEXT"),
        ("table entities differs from the tracker's",),
    ),
    "intervals made with a rowid": (  # the same columns: only WITHOUT ROWID is missing
        _with_rowid,
        (
            "table intervals differs from the tracker's",
            "index intervals_counterpart differs from the tracker's",
            "index sqlite_autoindex_intervals_1 is not part of a tracker store",
        ),
    ),
    "an entity renamed": (
        lambda c: c.execute("UPDATE entities SET name = 'Not the Taliban' WHERE id = 'TALIBAN'"),
        ("entities: TALIBAN is not as the entity log last declares it",),
    ),
    "an entity declaration changed": (
        lambda c: c.execute("UPDATE entity_log SET kind = 'group' WHERE id = 'TALIBAN'"),
        ("entity_log: seq 1: hash chain broken: the declaration was changed",),
    ),
    "an entity declaration deleted from the middle": (
        lambda c: c.execute("DELETE FROM entity_log WHERE seq = 2"),
        ("entity_log: seq 2 is missing",),
    ),
    "a declared name a BLOB": (
        lambda c: c.execute("UPDATE entity_log SET name = CAST(name AS BLOB) WHERE seq = 1"),
        ("entity_log: seq 1: a column is not text",),
    ),
    "an entity added behind the log": (
        lambda c: c.execute("INSERT INTO entities VALUES ('EXTRA', 'Extra', 'group', '[]')"),
        ("entities: EXTRA is not as the entity log last declares it",),
    ),
    "aliases not a list, rehashed": (
        _declared("aliases", "5"),
        ("entity_log: seq 1: aliases are not a list of text",),
    ),
    "an empty alias, rehashed": (
        _declared("aliases", '[""]'),
        ("entity_log: seq 1: entity TALIBAN: an alias is empty",),
    ),
    "a declaration recorded at no time, rehashed": (
        _declared("recorded", "yesterday"),
        ("entity_log: seq 1: 'yesterday' is not a date (YYYY-MM-DD) or an ISO timestamp",),
    ),
    "an entity id past 200 characters, rehashed": (  # the reason is cut at 200 characters
        _declared("id", UNKNOWN),
        (f"entity_log: seq 1: entity: id '{UNKNOWN[:188]}",),
    ),
    "a BLOB body": (_body_to_blob, ("seq 3: column body holds blob, not text",)),
    "a BLOB hash": (
        lambda c: c.execute("UPDATE events SET hash = CAST(hash AS BLOB) WHERE seq = 3"),
        ("seq 3: column hash holds blob, not text",),
    ),
    "a BLOB operand": (
        lambda c: c.execute("UPDATE events SET operand = x'01' WHERE seq = 3"),
        ("seq 3: column operand holds blob, not text or null",),
    ),
    "a body nested 100,000 deep": (
        _deep_body,
        (f"seq 2: body does not read as an event: {_orjson_error(DEEP)[:200]}",),
    ),
}


@pytest.mark.parametrize("case", sorted(CAUGHT))
def test_caught(store: Cli, case: str) -> None:
    """Each edit is caught by verify alone, which prints exactly the problems it found, naming
    the seq, table or trigger."""
    change, reasons = CAUGHT[case]
    edit(store.db, change)
    assert refused(store) == "".join(f"FAILED {reason}\n" for reason in reasons)


@pytest.mark.parametrize(
    ("name", "allows"),
    [
        ("events_no_update", "events can be edited"),
        ("events_no_delete", "events can be deleted"),
        ("entity_log_no_update", "entity declarations can be edited"),
        ("entity_log_no_delete", "entity declarations can be deleted"),
    ],
)
def test_a_dropped_trigger_is_named(store: Cli, name: str, allows: str) -> None:
    """An append-only trigger dropped (and not put back) is named as missing, with what its
    absence allows on the table it guarded (every trigger of a store is listed here)."""
    conn = sqlite3.connect(store.db, isolation_level=None)
    triggers = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert triggers == {
        "events_no_update",
        "events_no_delete",
        "entity_log_no_update",
        "entity_log_no_delete",
    }
    conn.execute(f"DROP TRIGGER {name}")
    conn.close()
    assert refused(store) == f"FAILED trigger {name} is missing ({allows})\n"


def test_the_schema_in_other_words_holds(store: Cli) -> None:
    """Tables and indexes are judged by what they are (columns, rowid, uniqueness), not by the
    words of their SQL: recreated in other words, they verify."""

    def reworded(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE meta RENAME TO old")
        conn.execute("create table meta (key text primary key, value text)")
        conn.execute("INSERT INTO meta SELECT * FROM old")
        conn.execute("DROP TABLE old")
        _index_as("idx_events_id", "create unique index idx_events_id on events(id)")(conn)

    edit(store.db, reworded)
    holds(store)


@pytest.mark.parametrize("what", ["index", "intervals"])
def test_a_damaged_page_is_caught(store: Cli, what: str) -> None:
    """One page of an index or a derived table overwritten: SQLite's integrity check fails, and
    verify prints what it found."""
    conn = sqlite3.connect(store.db)
    name = "idx_events_id" if what == "index" else "intervals"
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(store.db, "r+b") as handle:
        handle.seek((page - 1) * size + 8)  # past the page header: the cells become garbage
        handle.write(b"\x07" * (size - 8))
    conn = sqlite3.connect(store.db)
    try:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as error:  # a table's page: SQLite cannot even walk it
        expected = f"SQLite integrity check failed: {error}"
    else:  # an index's page: SQLite's findings, each of them, in its order
        assert len(found) > 1
        expected = f"SQLite integrity check: {'; '.join(found)}"
    finally:
        conn.close()
    assert refused(store) == f"FAILED {expected}\n"


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
    rechain_entities(conn)


def _entity_tail_cut(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM entity_log WHERE seq = 4")
    conn.execute("DELETE FROM entities WHERE id = 'WESTERN_GOVERNMENTS'")


REWRITTEN = (
    "seq 80: the store does not hold the expected head {head}: entity declarations up to seq 4 "
    "or events up to seq 80 were rewritten"
)
# Each forgery, and the one problem verify prints for it given the saved head ({head}).
FORGED: dict[str, tuple[Callable[[sqlite3.Connection], None], str]] = {
    "the tail cut": (
        _cut_tail,
        "seq 19: the log ends at seq 19 but the expected head is at seq 80: "
        "events were cut from its end",
    ),
    "the entity log's tail cut": (
        _entity_tail_cut,
        "entity_log ends at seq 3 but the expected head is at seq 4: "
        "declarations were cut from its end",
    ),
    "an event's type rewritten consistently": (_consistent_rewrite, REWRITTEN),
    "recorded backdated, rehashed": (_backdated, REWRITTEN),
    "an entity renamed, its log rehashed": (_entity_rewrite, REWRITTEN),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_forged_consistently(store: Cli, case: str) -> None:
    """A cut tail or a consistent rewrite (derived tables rebuilt): verify alone cannot see
    it; with the head kept elsewhere it exits 1 with one problem, naming the seq."""
    change, reason = FORGED[case]
    saved = Path(head_file(store)).read_text(encoding="utf-8").strip()
    edit(store.db, change)
    assert store("rebuild", "--quiet").exit_code == 0  # the forger tidies the derived tables
    holds(store)  # the limit of a self-contained chain
    found = refused(store, "--expect-head", head_file(store))
    assert found == f"FAILED {reason.format(head=saved)}\n"


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

    @pytest.mark.parametrize("given", ["12:abc", "1.2:" + "0" * 63, "9:" + "f" * 100])
    def test_a_bad_head_is_quoted(self, store: Cli, given: str) -> None:
        """The one line names the head given (its first 80 characters) and the form wanted."""
        result = store("verify", "--expect-head", given)
        assert result.stderr == (
            f"error: {given[:80]!r} is not a head: write SEQ.ENTITY_SEQ:HASH as verify prints it "
            "(64 hexadecimal digits)\n"
        )

    def test_a_head_of_a_prefix_holds(self, store: Cli, tmp_path: Path) -> None:
        """A head of the log when it was shorter is held by the log now: both chains at their
        first row, or events only (SEQ:HASH, the event chain's hash), at its first or last."""

        def first_rows(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM events WHERE seq > 1")
            conn.execute("DELETE FROM entity_log WHERE seq > 1")

        shorter = tmp_path / "shorter.db"
        shutil.copyfile(store.db, shorter)
        edit(shorter, first_rows)
        conn = sqlite3.connect(shorter)
        given = [str(head(conn)), f"1:{event_hash(conn, 1)}"]
        conn.close()
        conn = sqlite3.connect(store.db)
        given.append(f"80:{event_hash(conn, 80)}")
        conn.close()
        assert given[0].startswith("1.1:")
        for text in given:
            result = store("verify", "--quiet", "--expect-head", text)
            assert result.exit_code == 0, result.output
            assert result.stdout.splitlines()[1] == f"holds the expected head {text}"

    def test_an_events_only_head_rewritten(self, store: Cli) -> None:
        """An events-only head the event chain does not hold names the events rewritten."""
        given = "80:" + "0" * 64
        assert refused(store, "--expect-head", given) == (
            f"FAILED seq 80: the store does not hold the expected head {given}: "
            "events up to seq 80 were rewritten\n"
        )

    def test_nothing_to_verify(self, tmp_path: Path, cli: Cli) -> None:
        """A missing or 0-byte file is not an empty store that verifies: verify refuses it."""
        for path in (tmp_path / "absent.db", tmp_path / "zero.db"):
            if path.name == "zero.db":
                path.touch()
            result = Cli(path).bare("--db", str(path), "verify")
            assert result.exit_code == 1 and "no tracker store here yet" in result.stderr
        assert not (tmp_path / "absent.db").exists()
