"""Conditions: every `--where` holds, contradictions are refused, ties for first are all listed,
and a value no stored event ever gave is warned about (issue 13, found 1-3)."""

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
    """A database created from the bundled seeds, as a new user's is (read only here)."""
    path = tmp_path_factory.mktemp("seeded") / "tracker.db"
    assert CliRunner().invoke(main, ["--db", str(path), "entities"]).exit_code == 0
    return path


def run(db: Path, *args: str) -> Result:
    """`tracker --db DB ARGS...`."""
    return CliRunner().invoke(main, ["--db", str(db), *args])


BOTH = ("--where", "recognition=recognized", "--where", "envoy_sent=ambassador")
SWAPPED = ("--where", "envoy_sent=ambassador", "--where", "recognition=recognized")


class TestEveryConditionHolds:
    """All the conditions must hold, whatever their order."""

    def test_first_needs_every_condition(self, db: Path) -> None:
        """No actor both recognised the Taliban and sent an ambassador, in either order."""
        for where in (BOTH, SWAPPED):
            result = run(db, "first", "TALIBAN", *where, "--after", "2021-08-15", "--json")
            assert result.exit_code == 0, result.output
            found = json.loads(result.stdout)
            assert found["actor"] is None and found["candidates"] == []
            assert found["where"] == {"recognition": "recognized", "envoy_sent": "ambassador"}

    @pytest.mark.parametrize("known", [[], ["--known-at", "2025-07-04"], ["--curated-only"]])
    def test_first_finds_the_actor_meeting_every_condition(
        self, db: Path, known: list[str]
    ) -> None:
        """RUS, which recognised the Taliban and agreed energy cooperation on one day, is
        first to meet both (from the stored intervals, or folded as known at a time)."""
        where = ["--where", "recognition=recognized", "--where", "cooperation=energy"]
        result = run(db, "first", "TALIBAN", *where, *known, "--json")
        found = json.loads(result.stdout)
        assert (found["actor"], found["on"], found["order_known"]) == ("RUS", "2025-07-03", True)

    def test_who_needs_every_condition(self, db: Path) -> None:
        """`who` lists only the actors meeting both conditions, in either order."""
        for where in (BOTH, SWAPPED):
            result = run(db, "who", "TALIBAN", *where, "--on", "2025-07-04", "--json")
            assert json.loads(result.stdout)["actors"] == []
        one = run(db, "who", "TALIBAN", "--where", "recognition=recognized", "--on", "2025-07-04")
        assert "RUS" in one.stdout  # the fixture does hold a match for one condition alone

    def test_two_members_of_a_set_are_both_required(self, db: Path) -> None:
        """Two members of a set dimension are both required: energy and agriculture is RUS."""
        args = ["who", "TALIBAN", "--on", "2025-07-04", "--json"]
        both = run(db, *args, "--where", "cooperation=energy", "--where", "cooperation=agriculture")
        assert json.loads(both.stdout)["actors"] == ["RUS"]
        absent = run(db, *args, "--where", "cooperation=energy", "--where", "cooperation=mining")
        assert json.loads(absent.stdout)["actors"] == []

    @pytest.mark.parametrize("command", [["who", "TALIBAN"], ["first", "TALIBAN"]])
    def test_contradictions_are_an_error(self, db: Path, command: list[str]) -> None:
        """Two values of one single-valued dimension are refused in one line, exit 1."""
        where = ["--where", "recognition=recognized", "--where", "recognition=none"]
        result = run(db, *command, *where)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.startswith("error: ") and "cannot both hold" in result.stderr
        assert result.stderr.count("\n") == 1

    def test_python_first_takes_every_condition(self, db: Path) -> None:
        """`first(store, counterpart, where={...})` applies every condition; the old form
        (one (dimension, value) pair) still works, and a contradiction is a TrackerError."""
        with tracker.open(db) as store:
            both = {"recognition": "recognized", "envoy_sent": "ambassador"}
            assert tracker.first(store, "TALIBAN", where=both, after="2021-08-15").actor is None
            old = tracker.first(store, "TALIBAN", ("recognition", "recognized"), "2021-08-15")
            assert old.actor == "RUS"
            with pytest.raises(TrackerError, match="cannot both hold"):
                tracker.first(
                    store, "TALIBAN", [("recognition", "recognized"), ("recognition", "none")]
                )


class TestTies:
    """Actors whose windows overlap may each have been first: all are listed."""

    def test_a_tie_lists_every_candidate(self, db: Path) -> None:
        """The four ambassadors dated `../2025-07-04` are all listed, order unknown."""
        args = ["first", "TALIBAN", "--where", "envoy_sent=ambassador", "--after", "2021-08-15"]
        table = run(db, *args)
        assert table.exit_code == 0 and table.stdout.startswith("order unknown: 4 actors")
        found = json.loads(run(db, *args, "--json").stdout)
        assert found["order_known"] is False and found["actor"] is None
        assert [c["actor"] for c in found["candidates"]] == ["ARE", "CHN", "PAK", "UZB"]

    def test_a_single_first_is_named(self, db: Path) -> None:
        """One actor first, with nobody else in its window, is named and its order known."""
        args = ["first", "TALIBAN", "--where", "recognition=recognized", "--after", "2021-08-15"]
        found = json.loads(run(db, *args, "--json").stdout)
        assert found["order_known"] is True and found["actor"] == "RUS"
        assert [c["actor"] for c in found["candidates"]] == ["RUS"]


class TestUnknownValues:
    """A value no stored event ever gave a set or free-token dimension is warned about."""

    def test_a_misspelt_value_warns_with_close_matches(self, db: Path) -> None:
        """`cooperation=enrgy` answers, exit 0, with a warning naming `energy` (and in JSON)."""
        args = ["who", "TALIBAN", "--where", "cooperation=enrgy", "--on", "2025-07-04"]
        result = run(db, *args)
        assert result.exit_code == 0
        assert "warning:" in result.stderr and "energy" in result.stderr
        found = json.loads(run(db, *args, "--json").stdout)
        assert len(found["warnings"]) == 1 and "energy" in found["warnings"][0]

    def test_a_stored_value_gives_no_warning(self, db: Path) -> None:
        """A value some stored event gave (`energy`) answers without a warning."""
        args = ["who", "TALIBAN", "--where", "cooperation=energy", "--on", "2025-07-04", "--json"]
        result = run(db, *args)
        assert result.stderr == "" and json.loads(result.stdout)["warnings"] == []

    def test_first_and_plot_count_warn_too(self, db: Path, tmp_path: Path) -> None:
        """`first` and `plot count` warn about a misspelt stance as `who` does."""
        where = ["--where", "stance=partnr"]
        first = run(db, "first", "TALIBAN", *where)
        out = str(tmp_path / "count.svg")
        plot = run(db, "plot", "count", "TALIBAN", *where, "--from", "2025-01-01", "-o", out)
        for result in (first, plot):
            assert result.exit_code == 0, result.output
            assert "partner" in result.stderr and "warning:" in result.stderr
