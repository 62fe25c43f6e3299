"""Incidents and statements are visible: `state`, `history` and `replay` show summaries, the
dead and stances, and `replay`'s columns stay aligned with long names (issue 13, found 8-9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.cli import main

GROUP = "GRP_A_GROUP_WITH_A_VERY_LONG_IDENTIFIER"
SOURCE = [{"title": "Report", "publisher": "Reuters", "date": "2024-04-01"}]
LINES = [
    {"entity": {"id": GROUP, "name": "A long-named group", "kind": "group"}},
    {
        "type": "attack_carried_out",
        "schema": 2,
        "actor": GROUP,
        "counterpart": "RUS",
        "on": "2024-03-22",
        "summary": "a bombing of a railway station",
        "killed": 12,
        "sources": SOURCE,
    },
    {
        "type": "statement_made",
        "actor": "RUS",
        "counterpart": GROUP,
        "on": "2024-03-23",
        "stance": "hostile",
        "summary": "the government vowed to hunt the attackers down",
        "sources": SOURCE,
    },
    {
        "type": "visit_paid",
        "actor": "CHN",
        "counterpart": "RUS",
        "on": "2024-03-25",
        "summary": "a state visit to Moscow",
        "sources": SOURCE,
    },
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new store holding one attack, one statement and one visit."""
    folder = tmp_path_factory.mktemp("incidents")
    ledger = folder / "incidents.jsonl"
    ledger.write_text("".join(json.dumps(line) + "\n" for line in LINES), encoding="utf-8")
    path = folder / "tracker.db"
    result = CliRunner().invoke(main, ["--db", str(path), "--no-seed", "load", str(ledger)])
    assert result.exit_code == 0, result.output
    return path


def run(db: Path, *args: str) -> Result:
    """`tracker --db DB ARGS...`, which must succeed."""
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exit_code == 0, (args, result.output)
    return result


def test_state_lists_a_dyads_incidents(db: Path) -> None:
    """A dyad with only an incident is not "(no events)": its incident is counted and listed
    with its summary and dead, in the table and in JSON."""
    table = run(db, "state", GROUP, "RUS", "--on", "2024-03-23").stdout
    assert "(no state changes; 1 incident)" in table and "(no events)" not in table
    assert "a bombing of a railway station (12 killed)" in table
    found = json.loads(run(db, "state", GROUP, "RUS", "--on", "2024-03-23", "--json").stdout)
    [incident] = found["incidents"]
    assert (incident["summary"], incident["killed"]) == ("a bombing of a railway station", 12)


def test_state_leaves_out_incidents_still_to_come(db: Path) -> None:
    """An incident after the day asked is not among that day's incidents."""
    found = json.loads(run(db, "state", GROUP, "RUS", "--on", "2024-03-21", "--json").stdout)
    assert found["incidents"] == []


def test_history_shows_summaries_the_dead_and_stances(db: Path) -> None:
    """`history` shows an attack's summary and dead, and a statement's stance and summary."""
    attack = run(db, "history", GROUP, "RUS").stdout
    assert "a bombing of a railway station (12 killed)" in attack
    statement = run(db, "history", "RUS", GROUP).stdout
    assert "stance: none -> hostile" in statement
    assert "the government vowed to hunt the attackers down" in statement
    [entry] = json.loads(run(db, "history", "RUS", GROUP, "--json").stdout)
    assert entry["stance"] == "hostile" and entry["summary"].startswith("the government")


def test_replay_shows_incidents(db: Path) -> None:
    """`replay` gives attacks and visits as rows with no dimension, with their summaries."""
    rows = [json.loads(line) for line in run(db, "replay", "--json").stdout.splitlines()]
    incidents = {(r["type"], r["summary"], r["killed"]) for r in rows if r["dimension"] is None}
    assert incidents == {
        ("attack_carried_out", "a bombing of a railway station", 12),
        ("visit_paid", "a state visit to Moscow", None),
    }
    assert "a state visit to Moscow" in run(db, "replay").stdout


def test_replay_columns_stay_aligned_with_long_names(db: Path) -> None:
    """Every row of the replay table starts each column where the header's rule does, however
    long a dyad's name."""
    lines = run(db, "replay").stdout.splitlines()
    rule = lines[1]
    starts = [i for i in range(1, len(rule)) if rule[i] == "-" and rule[i - 1] == " "]
    assert len(starts) >= 4 and any(GROUP in line for line in lines)
    for line in lines[2:]:
        if line.strip():
            assert all(line[i - 1] == " " for i in starts if i < len(line)), line
