"""The benchmark harness: a deterministic synthetic world, and a run that reports every figure.

Small logs only, and no test asserts a time: the figures are the benchmark's business.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tracker.bench import ceiling as bench_ceiling
from tracker.bench import duckdb_baseline as bench_duckdb
from tracker.bench import runner as bench
from tracker.bench import synthetic
from tracker.cli import main
from tracker.loading import load
from tracker.store import Store

EVENTS = 2000


def _items(lines: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    parsed = [json.loads(line) for line in lines]
    entities = [p["entity"] for p in parsed if set(p) == {"entity"}]
    return entities, [p for p in parsed if set(p) != {"entity"}]


def _form(on: str) -> str:
    if ".." in on:
        return "open interval"
    if "/" in on:
        return "closed interval"
    return {10: "day", 7: "month", 4: "year"}[len(on)]


@pytest.fixture(scope="module")
def lines() -> list[str]:
    """The lines of the 2,000-event world of seed 1."""
    return list(synthetic.world_lines(EVENTS, 1))


class TestGenerator:
    def test_same_seed_same_bytes(self, lines: list[str], tmp_path: Path) -> None:
        """Generating twice with one seed writes the same bytes; another seed writes others."""
        first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
        synthetic.generate(first, EVENTS, 1)
        synthetic.generate(second, EVENTS, 1)
        assert first.read_bytes() == second.read_bytes() == "".join(lines).encode()
        assert list(synthetic.world_lines(EVENTS, 2)) != lines

    def test_loads_without_error_or_duplicates(self, lines: list[str], tmp_path: Path) -> None:
        """The ledger loads into a store, and no two events share an id (none is skipped)."""
        path = tmp_path / "world.jsonl"
        path.write_text("".join(lines), encoding="utf-8")
        with Store(tmp_path / "world.db") as store:
            report = load(store, [path], quiet=True)
            assert (report.added, report.skipped) == (EVENTS, 0)
            assert len(store.entities()) == synthetic.GOVERNMENTS + synthetic.ORGANIZATIONS

    def test_entities_actors_and_counterparts(self, lines: list[str]) -> None:
        """Entities come first; actors are ISO states; counterparts are states or declared ids."""
        entities, events = _items(lines)
        assert lines[: len(entities)] == [json.dumps({"entity": e}) + "\n" for e in entities]
        assert {e["kind"] for e in entities} == {"government", "organization"}
        states = set(synthetic.states())
        assert len(states) == synthetic.STATES
        assert {e["actor"] for e in events} <= states
        assert {e["counterpart"] for e in events} <= states | {e["id"] for e in entities}

    def test_dyad_sizes_are_heavy_tailed(self, lines: list[str]) -> None:
        """Many dyads hold a handful of events; the ten heaviest hold many times more."""
        _, events = _items(lines)
        sizes = sorted(Counter((e["actor"], e["counterpart"]) for e in events).values())
        median = statistics.median(sizes)
        assert len(sizes) >= 50
        assert median <= 10
        assert statistics.mean(sizes[-synthetic.HEAVY :]) >= 5 * median

    def test_partial_dates_and_types(self, lines: list[str]) -> None:
        """Most dates are days; months, years and intervals occur; all twelve types occur."""
        _, events = _items(lines)
        forms = Counter(_form(e["on"]) for e in events)
        assert set(forms) == {"day", "month", "year", "closed interval", "open interval"}
        assert forms["day"] > EVENTS * 0.75
        assert Counter(e["type"] for e in events).keys() == synthetic.WEIGHTS.keys()
        assert len(synthetic.WEIGHTS) == 12
        assert all(len(e["sources"]) == 1 for e in events)
        assert all(1900 <= int(e["on"].strip("./")[:4]) <= 2025 for e in events)


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str]]:
    """One `tracker bench run` on a tiny log: its JSON figures and the table it printed."""
    work = tmp_path_factory.mktemp("bench")
    out = work / "figures.json"
    args = ["--events", "600", "--seed", "3", "--queries", "20", "--runs", "1"]
    args += ["--keep", str(work / "keep"), "--json", str(out)]
    result = CliRunner().invoke(main, ["bench", "run", *args])
    assert result.exit_code == 0, result.output
    yield json.loads(out.read_text(encoding="utf-8")), result.output


class TestRun:
    def test_every_documented_key(self, figures: tuple[dict[str, Any], str]) -> None:
        """The JSON holds every documented key, each figure measured or explicitly absent."""
        data, _ = figures
        assert tuple(data) == bench.KEYS
        phases = [data[p] for p in ("load", "rebuild", "load_baseline", "rebuild_baseline")]
        for phase in [*phases, data["ceiling"]["load"], data["ceiling"]["rebuild"]]:
            assert {"events", "seconds", "events_per_s", "peak_rss_mb", "start_rss_mb"} <= set(
                phase
            ), phase
        assert set(data["ceiling"]) == {"load", "rebuild"}
        assert data["ceiling"]["load"]["events"] == data["ceiling"]["rebuild"]["events"] == 600
        assert data["load"]["events"] == 600
        for kind in ("light", "heavy"):
            point = data["point"][kind]
            assert set(point) == {
                "pairs",
                "ours",
                "ours_with_sources",
                "fold",
                "duckdb_arg_max",
                "duckdb_asof",
            }
            assert set(point["ours"]) == set(point["fold"]) == {"median_us", "p99_us"}
        assert {
            "days",
            "dyads",
            "ours_ms",
            "ours_read_all_ms",
            "duckdb_arg_max_ms",
            "duckdb_agrees",
        } <= set(data["world"])
        assert set(data["scenario"]) == {"light_ms", "heavy_ms"}
        assert {"light_ms", "heavy_ms", "python_startup_ms"} <= set(data["cli_state"])
        assert len(data["meta"]["heavy_dyads"]) == synthetic.HEAVY
        for target in data["targets"]:
            assert set(target) == {"metric", "figure", "unit", "target", "met", "note"}

    def test_baselines_answer_like_the_projection(
        self, figures: tuple[dict[str, Any], str]
    ) -> None:
        """The fold agrees with every point answer, and DuckDB with the world's."""
        data, _ = figures
        assert data["point"]["fold_disagreements"] == 0
        assert "error" not in data["duckdb"], data["duckdb"]  # duckdb is in the [test] extra
        assert data["world"]["duckdb_agrees"] is True
        assert set(data["point"]["light"]["duckdb_asof"]) == {"median_us", "p99_us"}

    def test_the_peer_records_and_replays_every_event(
        self, figures: tuple[dict[str, Any], str]
    ) -> None:
        """The eventsourcing peer records and replays the log's 600 events, judged by ratio."""
        data, printed = figures
        assert data["peer"]["version"]
        assert data["peer"]["record"]["events"] == data["peer"]["replay"]["events"] == 600
        assert data["peer"]["record"]["events_per_s"] > 0
        rows = {t["metric"]: t for t in data["targets"]}
        ours, peer = data["load"]["events_per_s"], data["peer"]["record"]["events_per_s"]
        assert rows["load vs the peer's record"]["figure"] == round(ours / peer, 2)
        assert "eventsourcing replay" in printed

    def test_table_and_show(self, figures: tuple[dict[str, Any], str], tmp_path: Path) -> None:
        """The run prints a table of every measure; `bench show` prints it again, or as Markdown."""
        data, printed = figures
        for measure in ("load (validate", "rebuild projection", "one dyad at a date", "peak RSS"):
            assert measure in printed
        saved = tmp_path / "figures.json"
        saved.write_text(json.dumps(data), encoding="utf-8")
        shown = CliRunner().invoke(main, ["bench", "show", str(saved), "--markdown"])
        assert shown.exit_code == 0, shown.output
        assert shown.output.startswith("| measure |")
        assert "every dyad at a date" in shown.output


class TestCeilings:
    """The write ceilings: the rows a load (or a rebuild) leaves, copied in SQL alone."""

    @pytest.mark.parametrize(
        ("names", "tables"),
        [
            (("events", "dyad_events", "intervals"), {"events", "dyad_events", "intervals"}),
            (("dyad_events", "intervals"), {"dyad_events", "intervals"}),
        ],
    )
    def test_the_copy_holds_the_rows_and_leaves_the_store_as_it_was(
        self, tmp_path: Path, names: tuple[str, ...], tables: set[str]
    ) -> None:
        """Every row and index of the tables copied, the store unchanged, nothing left."""
        ledger = tmp_path / "w.jsonl"
        ledger.write_text("".join(synthetic.world_lines(400, 2)), encoding="utf-8")
        db, copy = tmp_path / "w.db", tmp_path / "copy.db"
        with Store(db) as store:
            load(store, [ledger], quiet=True)
        before = db.read_bytes()
        indexes = (
            "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' "
            "AND sql IS NOT NULL ORDER BY name"
        )
        assert bench_ceiling.copy_rows(str(db), str(copy), names, keep=True)[0] == 400
        source, copied = sqlite3.connect(db), sqlite3.connect(copy)
        for name in names:
            rows = source.execute(f"SELECT * FROM {name}").fetchall()
            assert rows and copied.execute(f"SELECT * FROM {name}").fetchall() == rows, name
        held = {
            row[0] for row in copied.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        }
        assert held == tables
        wanted = [i for i in source.execute(indexes) if i[1] in tables]
        assert wanted and copied.execute(indexes).fetchall() == wanted
        source.close()
        copied.close()
        assert db.read_bytes() == before
        count, seconds = bench_ceiling.copy_rows(str(db), str(copy), names)
        assert count == 400 and seconds > 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["w.db", "w.jsonl"]

    @pytest.mark.parametrize(
        ("rate", "ceiling", "note"),
        [
            (
                10_000,
                50_000,
                "missed (10.0x short); above this run's write ceiling (50,000 events/s)",
            ),
            (10_000, 200_000, "missed (10.0x short)"),
            (10_000, None, "missed (10.0x short)"),
            (120_000, 50_000, "met"),
        ],
    )
    def test_a_load_target_above_the_ceiling_says_so(
        self, rate: float, ceiling: float | None, note: str
    ) -> None:
        result = {"load": {"events_per_s": rate}, "ceiling": {"load": {"events_per_s": ceiling}}}
        rows = {t["metric"]: t for t in bench.targets(result)}
        assert rows["load rate"]["note"] == note
        assert rows["rebuild rate"]["note"] == "not measured"


class TestCommands:
    def test_generate_command_writes_the_world(self, tmp_path: Path) -> None:
        """`tracker bench generate` writes exactly the lines of `world_lines`."""
        out = tmp_path / "w.jsonl"
        result = CliRunner().invoke(
            main, ["bench", "generate", "--events", "300", "--seed", "5", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8") == "".join(synthetic.world_lines(300, 5))

    def test_bench_alone_shows_help(self) -> None:
        """`tracker bench` without --events or a subcommand shows its help and runs nothing."""
        result = CliRunner().invoke(main, ["bench"])
        assert result.exit_code == 0
        assert "generate" in result.output and "run" in result.output

    def test_without_duckdb(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """Without DuckDB the run goes on and says so; its figures stay empty."""
        monkeypatch.setitem(sys.modules, "duckdb", None)  # makes `import duckdb` fail
        point: dict[str, Any] = {"light": {}}
        world: dict[str, Any] = {"duckdb_arg_max_ms": None, "duckdb_agrees": None}
        said: list[str] = []
        info = bench_duckdb.baselines(None, tmp_path, {"light": []}, point, world, {}, said.append)
        assert info == {"version": None, "error": "duckdb not installed"}
        assert "duckdb not installed" in said[0]
        assert world["duckdb_arg_max_ms"] is None

    def test_without_eventsourcing(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """Without the eventsourcing library the run goes on and says so."""
        import importlib.util

        real = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util, "find_spec", lambda n, *a: None if n == "eventsourcing" else real(n, *a)
        )
        said: list[str] = []
        info = bench._peer(tmp_path, tmp_path / "unused.jsonl", said.append)
        assert info == {"version": None, "error": "eventsourcing not installed"}
        assert "eventsourcing not installed" in said[0]

    def test_targets_say_met_or_by_how_much(self) -> None:
        """A target is met, missed by a factor, or not measured."""
        rows = {
            t["metric"]: t
            for t in bench.targets(
                {"load": {"events_per_s": 50_000.0, "peak_rss_mb": 100.0}, "scenario": {}}
            )
        }
        assert rows["load rate"]["met"] is False
        assert rows["load rate"]["note"] == "missed (2.0x short)"
        assert rows["load peak RSS"]["note"] == "met"
        assert rows["one-event scenario"]["met"] is None
