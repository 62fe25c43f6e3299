"""Output formats as sqlite-utils offers them: every question command takes `--json`, `--nl`,
`--csv` and `--tsv`, with the columns the README documents (issue 13, found 7)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = str(ROOT / "seeds" / "scenarios" / "china_recognises_taliban.toml")
QUESTIONS = {
    "state": ["state", "RUS", "TALIBAN", "--on", "2025-07-04"],
    "who": ["who", "TALIBAN", "--where", "envoy_sent=ambassador", "--on", "2025-07-04"],
    "first": ["first", "TALIBAN", "--where", "envoy_sent=ambassador"],
    "history": ["history", "ISIS", "RUS"],
    "replay": ["replay", "RUS", "TALIBAN"],
    "scenario": ["scenario", SCENARIO],
    "entities": ["entities"],
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database created from the bundled seeds, as a new user's is (read only here)."""
    path = tmp_path_factory.mktemp("seeded") / "tracker.db"
    assert CliRunner().invoke(main, ["--db", str(path), "entities"]).exit_code == 0
    return path


def run(db: Path, *args: str) -> Result:
    """`tracker --db DB ARGS...`, which must succeed."""
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exit_code == 0, (args, result.output)
    return result


def documented() -> dict[str, list[str]]:
    """The columns of each answer's rows, from the README's "Rows" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("| answer | one row per | columns |")
    found = {}
    for row in text[start : text.index("\n\n", start)].splitlines()[2:]:
        name, _, columns = (cell.strip() for cell in row.strip("|").split("|"))
        words = re.findall(r"`([^`]*)`", columns)
        if words and "," in words[0]:
            found[name.strip("`")] = [c.strip() for c in words[0].split(",")]
    return found


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_every_format_gives_the_same_rows(db: Path, name: str) -> None:
    """`--csv`, `--tsv` and `--nl` give the same rows under the same columns, and `--json`
    is one JSON document (JSON Lines for replay)."""
    args = QUESTIONS[name]
    comma = list(csv.reader(io.StringIO(run(db, *args, "--csv").stdout)))
    tab = list(csv.reader(io.StringIO(run(db, *args, "--tsv").stdout), delimiter="\t"))
    lines = [json.loads(line) for line in run(db, *args, "--nl").stdout.splitlines()]
    assert comma == tab and len(comma) > 1
    header, rows = comma[0], comma[1:]
    assert len(rows) == len(lines) and all(list(line) == header for line in lines)
    assert all(len(row) == len(header) for row in rows)
    printed = run(db, *args, "--json").stdout
    if name == "replay":
        assert [json.loads(line) for line in printed.splitlines()] == lines
    else:
        json.loads(printed)


@pytest.mark.parametrize("name", ["state", "who", "first", "history", "scenario", "entities"])
def test_the_columns_are_the_documented_ones(db: Path, name: str) -> None:
    """Each answer's CSV header is the column list the README documents for it."""
    header = run(db, *QUESTIONS[name], "--csv").stdout.splitlines()[0]
    assert header.split(",") == documented()[name]


def test_cells_are_plain_text(db: Path) -> None:
    """In CSV a set's members are joined by spaces, possible values by ` | `, booleans are
    true or false, and an open end is empty (never a sentinel year)."""
    rows = list(csv.DictReader(io.StringIO(run(db, *QUESTIONS["state"], "--csv").stdout)))
    by = {row["dimension"]: row for row in rows}
    assert by["cooperation"]["value"].split() == sorted(by["cooperation"]["value"].split())
    assert "energy" in by["cooperation"]["value"].split()
    assert by["stance"]["since"] == "../2025-07-04" and by["stance"]["since_earliest"] == ""
    assert by["recognition"]["uncertain"] == "false"
    old = ["state", "RUS", "TALIBAN", "--on", "2025-06-01", "--known-at", "2025-07-04", "--csv"]
    guarded = {r["dimension"]: r for r in csv.DictReader(io.StringIO(run(db, *old).stdout))}
    assert guarded["stance"]["possible"] == "none | partner"
    assert "0001" not in run(db, *QUESTIONS["first"], "--csv").stdout


def test_two_formats_at_once_are_refused(db: Path) -> None:
    """`--csv --json` is a usage error (which was meant is unknown), not the last one."""
    result = CliRunner().invoke(main, ["--db", str(db), *QUESTIONS["state"], "--csv", "--json"])
    assert result.exit_code == 2 and "give one output format" in result.output
