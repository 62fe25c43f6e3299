"""A first load or import into a database that does not exist yet writes nothing when its
input is refused: the new store is built under a temporary name beside the path the user gave,
and put there only once the command succeeded (a raced creation by another process is loaded
into instead)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tracker.cli import main
from tracker.store import Store

from .test_crash import ledger_lines, write_ledger

GOOD_TOML = '[[entity]]\nid = "XX1"\nname = "X one"\nkind = "state"\n'


def run(folder: Path, *args: str) -> Any:
    """`tracker --db FOLDER/tracker.db ARGS...`, stderr apart."""
    return CliRunner().invoke(main, ["--db", str(folder / "tracker.db"), *args])


def bad_inputs(folder: Path) -> dict[str, tuple[list[str], str]]:
    """Each refused input: the command's arguments and the start of its one-line error."""
    (folder / "bad.toml").write_text("this is not toml [[\n")
    lines = ledger_lines(6_000, 7)  # past the 5,000 records written at a time within a load
    lines[-1] = {**lines[-1], "type": "recognition_grantd"}
    write_ledger(folder / "late.jsonl", lines)
    unknown = {**ledger_lines(1, 7)[-1], "counterpart": "NOPE_X"}
    write_ledger(folder / "unknown.jsonl", [unknown])
    (folder / "gdelt.csv").write_text("not\ta\tgdelt\trow\n")
    (folder / "states.csv").write_text("stateabb,ccode\nUSA,oops\n")
    return {
        "toml": (["load", "bad.toml"], "error: bad.toml:1: invalid TOML"),
        "late line": (["load", "--quiet", "late.jsonl"], f"error: late.jsonl:{len(lines)}: "),
        "unknown entity": (["load", "unknown.jsonl"], "error: unknown.jsonl:1: "),
        "gdelt": (["import", "gdelt", "--quiet", "gdelt.csv"], "error: gdelt.csv:1: "),
        "cow states": (["import", "cow-states", "--quiet", "states.csv"], "error: states.csv:"),
    }


CASES = ["toml", "late line", "unknown entity", "gdelt", "cow states"]


@pytest.mark.parametrize("seed", [True, False], ids=["seeded", "no-seed"])
@pytest.mark.parametrize("case", CASES)
def test_a_refused_first_load_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, seed: bool
) -> None:
    """Bad input to a command that writes, on a database that does not exist yet: one line
    naming file and line, exit 1, and the folder holds exactly what it held before."""
    monkeypatch.chdir(tmp_path)
    args, error = bad_inputs(tmp_path)[case]
    before = sorted(os.listdir(tmp_path))
    result = run(tmp_path, *([] if seed else ["--no-seed"]), *args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(error) and result.stderr.count("\n") == 1, result.stderr
    assert "created" not in result.stderr and result.stdout == ""
    assert sorted(os.listdir(tmp_path)) == before


def test_the_unknown_entity_hint_of_a_new_empty_store_says_nothing_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --no-seed, an unknown entity in a first load says the store would start empty and
    that nothing was written (not that it "was created empty")."""
    monkeypatch.chdir(tmp_path)
    bad_inputs(tmp_path)
    result = run(tmp_path, "--no-seed", "load", "unknown.jsonl")
    assert result.exit_code == 1
    assert "unknown entity 'NOPE_X'" in result.stderr
    assert "would start empty (--no-seed), so nothing was written" in result.stderr
    assert "was created empty" not in result.stderr


def test_a_good_first_load_creates_the_store_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first load that succeeds leaves the store at its path (seeded, then loaded), with the
    mode SQLite gives a new file, no temporary file beside it, and says it created it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.toml").write_text(GOOD_TOML)
    write_ledger(tmp_path / "events.jsonl", ledger_lines(50, 3))
    result = run(tmp_path, "load", "--quiet", "good.toml", "events.jsonl")
    assert result.exit_code == 0, result.output
    db = tmp_path / "tracker.db"
    assert result.stderr.startswith(f"created {db} from seeds/ (")
    assert result.stdout.startswith("loaded 50 new events, 0 already present;")
    assert sorted(os.listdir(tmp_path)) == ["events.jsonl", "good.toml", "tracker.db"]
    plain = tmp_path / "plain"
    plain.mkdir()
    sqlite3.connect(plain / "made.db").execute("CREATE TABLE t (x)").connection.close()
    assert db.stat().st_mode == (plain / "made.db").stat().st_mode
    with Store(db, create=False) as store:
        assert store.verify() == []
        assert store.seeded and store.seeded.startswith("seeds/")
        assert store.count() == int(store.seeded.split("(")[1].split()[0]) + 50
        assert "XX1" in {e.id for e in store.entities()}
    again = run(tmp_path, "load", "--quiet", "events.jsonl")
    assert again.exit_code == 0 and again.stderr == ""
    assert again.stdout.startswith("loaded 0 new events, 50 already present")


def test_a_store_created_meanwhile_is_loaded_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process creates the store while a first load builds its own: the load goes
    into that store (its events once, beside what the other wrote), says it created nothing,
    and leaves no temporary file."""
    import tracker.loading

    monkeypatch.chdir(tmp_path)
    db = tmp_path / "tracker.db"
    write_ledger(tmp_path / "events.jsonl", ledger_lines(40, 5))
    real = tracker.loading.load
    calls: list[str] = []

    def racing(store: Store, *args: Any, **kwargs: Any) -> Any:
        if not calls:  # the first time: while this load writes its own new store
            with tracker.open(db, seed_new=False) as other:
                more = write_ledger(tmp_path / "more.jsonl", ledger_lines(10, 6))
                real(other, [tmp_path / "events.jsonl", more], quiet=True)
        calls.append(store.path)
        return real(store, *args, **kwargs)

    monkeypatch.setattr(tracker.loading, "load", racing)
    result = run(tmp_path, "load", "--quiet", "events.jsonl")
    assert result.exit_code == 0, result.output
    assert len(calls) == 2 and calls[0] != str(db) and calls[1] == str(db)
    assert result.stderr == "" and "40 already present" in result.stdout
    assert sorted(os.listdir(tmp_path)) == ["events.jsonl", "more.jsonl", "tracker.db"]
    with Store(db, create=False) as store:
        assert store.verify() == [] and store.count() == 50 and store.seeded == ""


def test_the_json_report_of_a_first_import_is_the_plain_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import into a new store prints its report as into an existing one: the temporary
    store changes nothing a command says (only where it is built)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "states.csv").write_text(
        "stateabb,ccode,statenme,styear,stmonth,stday,endyear,endmonth,endday,version\n"
    )
    first = run(tmp_path / "a", "import", "cow-states", "--quiet", "--json", "states.csv")
    assert first.exit_code == 1  # folder a does not exist: nothing made there either
    assert not (tmp_path / "a").exists()
    fresh = run(tmp_path, "--no-seed", "import", "cow-states", "--quiet", "--json", "states.csv")
    assert fresh.exit_code == 0, fresh.output
    existing = run(tmp_path, "import", "cow-states", "--quiet", "--json", "states.csv")
    assert json.loads(fresh.stdout) == json.loads(existing.stdout)
