"""`tracker serve`: Datasette metadata, canned queries that agree with the library, read-only."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tracker.cli import seed_files
from tracker.loading import load
from tracker.query import history, state, who
from tracker.reducers import encode
from tracker.serve import QUERIES, TABLES, limit, metadata
from tracker.store import Store


def _run(store: Store, name: str, **params: str) -> list[dict[str, Any]]:
    """Run a canned query's SQL on a read-only connection, as Datasette does."""
    conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(QUERIES[name]["sql"], params)]
    finally:
        conn.close()


class TestMetadata:
    """The metadata handed to Datasette."""

    def test_every_table_and_column_is_described(self, seeded: Store) -> None:
        """Each table of the store and each of its columns has a description."""
        tables = [
            row[0]
            for row in seeded.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            assert TABLES[table]["description"]
            if TABLES[table].get("hidden"):
                continue
            columns = [row[1] for row in seeded.conn.execute(f"PRAGMA table_info({table})")]
            assert set(columns) <= set(TABLES[table]["columns"]), table

    def test_keyed_by_database_name(self) -> None:
        """The database's metadata sits under the name Datasette gives the file."""
        found = metadata("tracker")
        assert set(found["databases"]["tracker"]["queries"]) == {"state", "who", "history"}


class TestCannedQueries:
    """The canned queries answer as the library does."""

    def test_state(self, seeded: Store) -> None:
        """`state` lists the dimensions that differ from the initial state, as `tracker state`."""
        for on in ("2024-01-01", "2025-07-04"):
            rows = {
                r["dimension"]: r
                for r in _run(seeded, "state", actor="RUS", counterpart="TALIBAN", on=on)
            }
            expected = state(seeded, "RUS", "TALIBAN", on).dimensions
            for dimension, row in rows.items():
                value = encode(expected[dimension].value)
                shown = json.loads(row["value"]) if isinstance(value, list) else row["value"]
                assert shown == value
                assert bool(row["uncertain"]) == expected[dimension].uncertain
            changed = {d for d, a in expected.items() if a.events}
            assert changed == set(rows)

    @pytest.mark.parametrize(
        ("dimension", "value", "on"),
        [
            ("envoy_sent", "ambassador", "2025-07-04"),
            ("envoy_sent", "ambassador", "2024-01-01"),
            ("sanctions", "economic_sanctions", "2023-01-01"),
            ("stance", "partner", "2024-01-01"),
        ],
    )
    def test_who(self, seeded: Store, dimension: str, value: str, on: str) -> None:
        """`who` splits actors into settled and uncertain matches, as `tracker who`."""
        rows = _run(seeded, "who", counterpart="TALIBAN", dimension=dimension, value=value, on=on)
        expected = who(seeded, "TALIBAN", {dimension: value}, on)
        assert [r["actor"] for r in rows if r["match"] == "settled"] == expected.actors
        assert [r["actor"] for r in rows if r["match"] == "uncertain"] == expected.uncertain
        assert rows

    def test_history(self, seeded: Store) -> None:
        """`history` lists a dyad's events in replay order, as `tracker history`."""
        rows = _run(seeded, "history", actor="RUS", counterpart="TALIBAN")
        assert [r["id"] for r in rows] == [e.record.id for e in history(seeded, "RUS", "TALIBAN")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding the seed ledgers, for the server of this module."""
    path = tmp_path_factory.mktemp("serve") / "tracker.db"
    with Store(path) as store:
        load(store, seed_files(), quiet=True)
    return path


@pytest.fixture(scope="module")
def server(served: Path) -> Iterator[str]:
    """`tracker serve` on a free loopback port, in a subprocess; always stopped.

    Its output goes to a file: a pipe nobody reads fills up with the server's log and then
    blocks the server mid-answer.
    """
    port = _free_port()
    log = served.with_suffix(".log").open("w+b")
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", str(served), "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log.seek(0)
                output = log.read().decode(errors="replace")
                pytest.fail(f"tracker serve exited with {process.returncode}: {output}")
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("tracker serve did not answer within 30 s")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


class TestServe:
    """`tracker serve` over HTTP on loopback."""

    def test_canned_query_over_http(self, server: str) -> None:
        """The `state` canned query answers as JSON, with the recognition of 3 July 2025."""
        name = "tracker"
        query = urllib.parse.urlencode(
            {"actor": "RUS", "counterpart": "TALIBAN", "on": "2025-07-04", "_shape": "array"}
        )
        status, rows = _get(f"{server}/{name}/state.json?{query}")
        assert status == 200
        found = {row["dimension"]: row for row in rows}
        assert found["recognition"]["value"] == "recognized"
        assert found["recognition"]["since"] == "2025-07-03"

    def test_writes_are_refused(self, server: str, served: Path) -> None:
        """SQL that writes is refused, and the log is unchanged and still verifies."""
        name = served.stem
        with Store(served) as store:
            before = store.count()
        for sql in ("DELETE FROM events", "INSERT INTO entities VALUES ('X', 'x', 'group', '[]')"):
            status, body = _get(f"{server}/{name}.json?" + urllib.parse.urlencode({"sql": sql}))
            assert status == 400 and body["ok"] is False
            assert body["error"] == "Statement must be a SELECT"
        with Store(served) as store:
            assert store.count() == before
            assert store.verify() == []


class TestBounds:
    """One query is bounded in time and memory; a query past the bounds fails alone."""

    def test_limits_of_a_connection(self, seeded: Store) -> None:
        """On a limited connection a value past 1 MB or SQL past 100,000 characters fails at
        once, while the store's own rows still read."""
        conn = sqlite3.connect(f"file:{seeded.path}?mode=ro", uri=True)
        try:
            limit(conn)
            for sql in ("SELECT randomblob(1000000000)", "SELECT '" + "x" * 100_001 + "'"):
                with pytest.raises(sqlite3.DataError, match=r"too big|too large"):
                    conn.execute(sql).fetchall()
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == seeded.count()
        finally:
            conn.close()

    def test_a_huge_query_fails_alone(self, server: str) -> None:
        """randomblob(1000000000) is refused at once, a query that builds a gigabyte of rows
        fails, and the server answers the next question."""
        name = "tracker"
        blob = urllib.parse.urlencode({"sql": "SELECT length(randomblob(1000000000))"})
        status, body = _get(f"{server}/{name}.json?{blob}")
        assert body["ok"] is False and "too big" in body["error"]
        rows = (
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1000) "
            "SELECT zeroblob(999999), zeroblob(999999) FROM r"
        )
        status, body = _get(f"{server}/{name}.json?" + urllib.parse.urlencode({"sql": rows}))
        assert status != 200 and body["ok"] is False
        count = urllib.parse.urlencode(
            {"sql": "SELECT count(*) AS n FROM events", "_shape": "array"}
        )
        status, body = _get(f"{server}/{name}.json?{count}")
        assert status == 200 and body[0]["n"] > 0


class TestStartup:
    """The new commands keep `tracker` fast to start."""

    def test_heavy_dependencies_load_lazily(self) -> None:
        """Importing the CLI loads neither matplotlib, Datasette nor country_converter."""
        heavy = ("matplotlib", "datasette", "country_converter", "pandas", "numpy", "uvicorn")
        code = (
            "import sys, tracker.cli; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
        )
        found = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert found.stdout.strip() == "[]"
