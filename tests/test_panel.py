"""`tracker panel` and `panel()`: one row per (actor, counterpart, period), each the answer
`state` gives on the day sampled, with whether the dyad existed; CSV, TSV, JSON Lines and
Parquet, written atomically (issue 13, build 9)."""

from __future__ import annotations

import csv
import inspect
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import tracker
from tracker.cli import main
from tracker.errors import TrackerError
from tracker.reducers import encode
from tracker.store import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database created from the bundled seeds, as a new user's is (read only here)."""
    path = tmp_path_factory.mktemp("panel") / "tracker.db"
    assert CliRunner().invoke(main, ["--db", str(path), "entities"]).exit_code == 0
    return path


@pytest.fixture(scope="module")
def store(db: Path) -> Iterator[Store]:
    """The seeded store, open."""
    with tracker.open(db) as opened:
        yield opened


def run(db: Path, *args: str) -> Result:
    """`tracker --db DB panel ARGS...`."""
    return CliRunner().invoke(main, ["--db", str(db), "panel", *args])


def test_each_row_is_the_state_answer_of_its_day(store: Store) -> None:
    """Every row of a yearly panel of every dyad toward TALIBAN holds, for each dimension, the
    value, uncertainty, possible values and since that `state` answers on the day sampled."""
    dimensions = ["recognition", "envoy_sent", "designations", "stance"]
    found = tracker.panel(store, dimensions, "2020", "2026", counterpart="TALIBAN")
    rows = list(found)
    actors = {row["actor"] for row in rows}
    assert len(rows) == len(actors) * 7 and {"RUS", "CHN", "USA"} <= actors
    # and each day around the recognition of 3 July 2025 (a change on the day sampled)
    rows += tracker.panel(store, dimensions, "2025-07-01", "2025-07-05", every="day", actor="RUS")
    for row in rows:
        answer = tracker.state(store, row["actor"], row["counterpart"], row["date"])
        assert row["exists"] == answer.exists
        for d in dimensions:
            expected = answer.dimensions[d]
            assert row[d] == encode(expected.value), (row["actor"], row["date"], d)
            assert row[f"{d}_uncertain"] == expected.uncertain
            assert row[f"{d}_possible"] == [encode(v) for v in expected.possible]
            assert row[f"{d}_since"] == expected.since


def test_periods_are_sampled_as_asked(store: Store) -> None:
    """Years are sampled on 31 December or `on` MM-DD, months on their last day or DD, and
    days each day."""
    by = {
        (every, on): [
            r["date"]
            for r in tracker.panel(
                store,
                ["recognition"],
                "2024-01-01",
                "2024-03-31",
                every=every,
                on=on,
                actor="RUS",
                counterpart="TALIBAN",
            )
        ]
        for every, on in (("month", None), ("month", "15"), ("day", None))
    }
    assert by[("month", None)] == ["2024-01-31", "2024-02-29", "2024-03-31"]
    assert by[("month", "15")] == ["2024-01-15", "2024-02-15", "2024-03-15"]
    assert len(by[("day", None)]) == 91
    years = tracker.panel(store, ["recognition"], "2020", "2022", on="07-04", actor="RUS")
    assert {r["date"] for r in years} == {"2020-07-04", "2021-07-04", "2022-07-04"}


def test_rows_say_whether_the_dyad_existed(store: Store) -> None:
    """A dyad of an entity that ended has `exists` no after its end, with every dimension
    at its initial value."""
    rows = {
        r["period"]: r
        for r in tracker.panel(store, ["military"], "1985", "1995", actor="SUN", counterpart="AFG")
    }
    assert rows["1985"]["exists"] == "yes" and rows["1985"]["military"] == "intervention"
    assert rows["1995"]["exists"] == "no" and rows["1995"]["military"] == "none"


def test_where_keeps_the_matching_rows(store: Store) -> None:
    """`where` keeps the rows where every condition holds (`yes`) or may hold (`uncertain`)."""
    rows = list(
        tracker.panel(
            store,
            ["envoy_sent"],
            "2024",
            "2025",
            counterpart="TALIBAN",
            where={"envoy_sent": "ambassador"},
        )
    )
    seen = {(r["actor"], r["period"], r["match"]) for r in rows}
    assert ("ARE", "2024", "uncertain") in seen and ("ARE", "2025", "yes") in seen
    assert all(r["match"] in ("yes", "uncertain") for r in rows)
    assert "RUS" not in {r["actor"] for r in rows}


def test_rows_are_streamed(store: Store) -> None:
    """A panel's rows come from a generator, dyad by dyad, not from a list built first."""
    found = tracker.panel(store, ["recognition"], "1900", "2025")
    rows = found.rows()
    assert inspect.isgenerator(rows) and next(rows)["period"] == "1900"
    assert found.dyads > 10


@pytest.mark.parametrize("suffix", ["csv", "tsv", "jsonl", "parquet"])
def test_every_format_holds_the_same_rows(db: Path, tmp_path: Path, suffix: str) -> None:
    """CSV, TSV, JSON Lines and Parquet files (by extension) hold the same rows and columns,
    and the command says how many it wrote."""
    args = ["--counterpart", "TALIBAN", "--dimension", "recognition", "--dimension", "cooperation"]
    args += ["--from", "2024", "--to", "2025"]
    out = tmp_path / f"panel.{suffix}"
    result = run(db, *args, "-o", str(out))
    assert result.exit_code == 0, result.output
    if suffix == "parquet":
        table = pq.read_table(out)
        header, count = table.column_names, table.num_rows
        assert table.column("cooperation").to_pylist()[0] is not None
    elif suffix == "jsonl":
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        header, count = list(lines[0]), len(lines)
    else:
        delimiter = "\t" if suffix == "tsv" else ","
        found = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8")), delimiter=delimiter))
        header, count = found[0], len(found) - 1
    assert header[:5] == ["actor", "counterpart", "period", "date", "exists"]
    assert "cooperation_possible" in header and count > 2
    assert f"wrote {count} rows" in result.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--dimension", "recognitoin", "--from", "2020", "--to", "2021"], "unknown dimension"),
        (["--dimension", "recognition", "--from", "2021", "--to", "2020"], "is after"),
        (
            ["--dimension", "recognition", "--from", "2020", "--to", "2021", "--on", "02-29"],
            "02-29",
        ),
        (
            ["--dimension", "recognition", "--from", "2020", "--to", "2021", "-o", "no/such/p.csv"],
            "does not exist",
        ),
    ],
)
def test_bad_requests_are_one_line(db: Path, args: list[str], said: str) -> None:
    """A bad dimension, period, day or output folder is one error line, exit 1, nothing
    written."""
    result = run(db, *args)
    assert result.exit_code == 1 and said in result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1


def test_the_database_is_never_the_output(db: Path) -> None:
    """`-o` naming the database itself is refused before anything is written."""
    before = db.read_bytes()
    result = run(db, "--dimension", "recognition", "--from", "2020", "--to", "2020", "-o", str(db))
    assert result.exit_code == 1 and db.read_bytes() == before


def test_python_panel_refuses_what_the_command_refuses(store: Store) -> None:
    """`panel()` raises a TrackerError for an unknown dimension or no dimension."""
    with pytest.raises(TrackerError, match="unknown dimension"):
        tracker.panel(store, ["recognitoin"], "2020", "2021")
    with pytest.raises(TrackerError, match="at least one"):
        tracker.panel(store, [], "2020", "2021")
