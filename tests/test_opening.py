"""One way to open a store: tracker.open and the command find, create and seed it alike; a
store created empty on purpose says how to fill it; a closed store fails as a TrackerError."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import tracker
from tracker.errors import TrackerError
from tracker.opening import SEEDS, seed_files
from tracker.store import Store

from .conftest import Cli


def ids(path: Path) -> list[str]:
    """The event ids of a store, in seq order (read without creating anything)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT id FROM events ORDER BY seq")]
    finally:
        conn.close()


class TestOpen:
    """tracker.open resolves the path as the command does and seeds a new store."""

    def test_default_path_and_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without a path: $TRACKER_DB, else ./tracker.db; either is created from the seeds."""
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("TRACKER_DB", raising=False)
        with tracker.open() as store:
            assert store.path == "tracker.db" and store.count() > 0
            assert store.created and store.created.startswith("seeds/")
        monkeypatch.setenv("TRACKER_DB", str(tmp_path / "env.db"))
        with tracker.open() as store:
            assert store.path == str(tmp_path / "env.db") and store.count() > 0
        assert ids(tmp_path / "env.db") == ids(tmp_path / "tracker.db")

    def test_db_option_and_environment_agree(self, tmp_path: Path, cli: Cli) -> None:
        """`--db new.db` and `TRACKER_DB=new.db` create the same seeded store."""
        by_option, by_env = tmp_path / "option.db", tmp_path / "env.db"
        first = cli.bare("--db", str(by_option), "entities", "--json")
        second = cli.bare("entities", "--json", env={"TRACKER_DB": str(by_env)})
        assert first.exit_code == second.exit_code == 0, first.output + second.output
        assert json.loads(first.stdout) == json.loads(second.stdout) != []
        assert ids(by_option) == ids(by_env) != []
        assert "created" in first.stderr and "created" in second.stderr

    def test_opening_again_seeds_nothing_more(self, tmp_path: Path) -> None:
        """A store is seeded once, when it is created."""
        with tracker.open(tmp_path / "s.db") as store:
            count = store.count()
        with tracker.open(tmp_path / "s.db") as store:
            assert store.count() == count and store.created is None

    def test_in_memory_is_refused(self) -> None:
        """`:memory:` and an empty path keep nothing: they are refused, not 'loaded'."""
        for path in (":memory:", ""):
            with pytest.raises(TrackerError, match="not a database file"):
                tracker.open(path)

    def test_no_create(self, tmp_path: Path) -> None:
        """With create=False a missing or empty file is refused and left as it was."""
        with pytest.raises(TrackerError, match="does not exist"):
            tracker.open(tmp_path / "absent.db", create=False)
        assert not (tmp_path / "absent.db").exists()
        (tmp_path / "zero.db").touch()
        with pytest.raises(TrackerError, match="is empty"):
            tracker.open(tmp_path / "zero.db", create=False)
        assert (tmp_path / "zero.db").stat().st_size == 0


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    """A store whose schema is newer than this version reads is refused, and left as it was."""
    db = tmp_path / "newer.db"
    with tracker.open(db) as store:
        store.conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    before = db.read_bytes()
    with pytest.raises(TrackerError, match="written by a newer version"):
        tracker.open(db)
    assert db.read_bytes() == before


class TestEmptyOnPurpose:
    """A store created without seeds records it, and says how to fill it."""

    def test_no_seed_records_it_and_hints(self, cli: Cli) -> None:
        """`--no-seed` makes an empty store; a question on it says how to load ledgers."""
        result = cli("state", "RUS", "TALIBAN", "--on", "2025-07-04")
        assert result.exit_code == 1
        assert "holds no events" in result.stderr and "tracker --db" in result.stderr
        assert str(SEEDS) in result.stderr and result.stderr.count("\n") == 1
        with Store(cli.db) as store:
            assert store.seeded == "" and store.count() == 0

    def test_an_empty_store_is_not_seeded_later(self, cli: Cli) -> None:
        """Opening an empty-on-purpose store without --no-seed leaves it empty."""
        assert cli("entities").exit_code == 0
        assert cli.bare("--db", str(cli.db), "entities", "--json").stdout.strip() == "[]"

    def test_unfinished_first_use_is_seeded(self, tmp_path: Path) -> None:
        """A store an older version created but never seeded (no record, nothing stored) is
        seeded on the next open, as a 0-byte file is."""
        unseeded = tmp_path / "old.db"
        with Store(unseeded) as store:
            store.conn.execute("DELETE FROM meta WHERE key = 'seeded'")
        zero = tmp_path / "zero.db"
        zero.touch()
        for path in (unseeded, zero):
            with tracker.open(path) as store:
                assert store.created and store.count() > 0 and store.seeded


class TestClosed:
    """Every use of a closed store is a TrackerError, never a raw sqlite3 error."""

    def test_closed_store(self, seeded: Store) -> None:
        """Methods, queries and a scan cut short by close() all raise TrackerError."""
        scan = seeded.scan()
        next(scan)
        seeded.close()
        seeded.close()  # closing twice is harmless
        for use in (
            seeded.count,
            seeded.head,
            seeded.entities,
            lambda: tracker.state(seeded, "RUS", "TALIBAN", "2025-07-04"),
            lambda: next(scan),
            lambda: list(seeded.scan()),
        ):
            with pytest.raises(TrackerError, match="closed"):
                use()


def test_seed_files_are_bundled() -> None:
    """The seeds a new store is made from are the ledgers in seeds/."""
    assert seed_files() and all(p.parent == SEEDS for p in seed_files())


def test_readme_python_example_runs_in_a_fresh_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's Python example runs as written in an empty folder (no checkout, no db)."""
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    start = text.index("```python\n", text.index("From Python (a notebook):")) + len("```python\n")
    code = text[start : text.index("```", start)]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKER_DB", raising=False)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    answer = namespace["answer"]
    assert answer.dimensions["recognition"].value == "recognized"  # type: ignore[attr-defined]
    assert answer.events  # type: ignore[attr-defined]
    assert (tmp_path / "tracker.db").exists()
