"""Entities by any name: ids in any case, declared names and aliases, ambiguity refused, the
resolution shown (issue 13, found 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import tracker
from tracker.cli import main
from tracker.errors import TrackerError


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database created from the bundled seeds, with two groups sharing an alias."""
    folder = tmp_path_factory.mktemp("names")
    ledger = folder / "twins.toml"
    ledger.write_text(
        "".join(
            f'[[entity]]\nid = "GRP_{x}"\nname = "{side} Front"\nkind = "group"\n'
            'aliases = ["The Front"]\n'
            for x, side in (("A", "Northern"), ("B", "Southern"))
        ),
        encoding="utf-8",
    )
    path = folder / "tracker.db"
    result = CliRunner().invoke(main, ["--db", str(path), "load", "--quiet", str(ledger)])
    assert result.exit_code == 0, result.output
    return path


def run(db: Path, *args: str) -> Result:
    """`tracker --db DB ARGS...`."""
    return CliRunner().invoke(main, ["--db", str(db), *args])


ON = ("--on", "2025-07-04", "--json")


@pytest.mark.parametrize(
    ("actor", "counterpart"),
    [("rus", "TALIBAN"), ("RUS", "Taliban"), ("Rus", "islamic emirate of afghanistan")],
)
def test_any_name_gives_the_same_answer(db: Path, actor: str, counterpart: str) -> None:
    """An id in any case, a declared name or an alias answers as the ids do, and says how it
    read each name that was not an id."""
    plain = json.loads(run(db, "state", "RUS", "TALIBAN", *ON).stdout)
    result = run(db, "state", actor, counterpart, *ON)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["dimensions"] == plain["dimensions"]
    assert found["actor"] == "RUS" and found["counterpart"] == "TALIBAN"
    expected = {t: i for t, i in ((actor, "RUS"), (counterpart, "TALIBAN")) if t != i}
    assert found["resolved"] == expected and plain["resolved"] == {}
    table = run(db, "state", actor, counterpart, "--on", "2025-07-04").stdout
    shown = table.splitlines()[0]
    assert shown.startswith("resolved: ")
    assert all(f"{text} -> {entity}" in shown for text, entity in expected.items())


@pytest.mark.parametrize(
    "args",
    [
        ["who", "taliban", "--where", "recognition=recognized", "--on", "2025-07-04", "--json"],
        ["first", "Taliban", "--where", "recognition=recognized", "--json"],
        ["history", "rus", "Taliban", "--json"],
        ["replay", "rus", "Taliban", "--json"],
        [
            "panel",
            "--actor",
            "rus",
            "--counterpart",
            "Taliban",
            "--dimension",
            "recognition",
            "--from",
            "2025",
            "--to",
            "2025",
        ],
    ],
)
def test_every_command_reads_names(db: Path, args: list[str]) -> None:
    """`who`, `first`, `history`, `replay` and `panel` take names as `state` does."""
    result = run(db, *args)
    assert result.exit_code == 0, result.output
    assert "RUS" in result.stdout and "TALIBAN" in result.stdout


def test_an_ambiguous_name_lists_the_candidates(db: Path) -> None:
    """A name two entities share is refused in one line naming both, exit 1."""
    result = run(db, "state", "the front", "RUS")
    assert result.exit_code == 1 and result.stdout == ""
    assert "ambiguous" in result.stderr and "GRP_A" in result.stderr and "GRP_B" in result.stderr


def test_an_unknown_name_suggests_close_ones(db: Path) -> None:
    """A misspelt name is unknown, with the close entities offered, each once."""
    result = run(db, "state", "RUS", "Talibans")
    assert result.exit_code == 1 and "unknown entity 'Talibans'" in result.stderr
    assert result.stderr.count("TALIBAN") == 1


def test_python_resolves_names_too(db: Path) -> None:
    """The Python API takes names as the command does, and keeps the resolution."""
    with tracker.open(db) as store:
        answer = tracker.state(store, "rus", "Islamic Emirate of Afghanistan", "2025-07-04")
        assert answer.dimensions["recognition"].value == "recognized"
        assert answer.resolved == {"rus": "RUS", "Islamic Emirate of Afghanistan": "TALIBAN"}
        assert tracker.who(store, "taliban", {"recognition": "recognized"}, "2025-07-04").actors
        with pytest.raises(TrackerError, match="ambiguous"):
            tracker.state(store, "The Front", "RUS", "2025-07-04")
