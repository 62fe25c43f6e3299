"""Injection and exposure: user text never becomes SQL or code, and the server stays local.

- Dimension names in `--where` are checked against the vocabulary; values, entity ids and
  dates reach SQLite only as bound parameters (a recording connection proves it), and every SQL
  string the code formats from pieces uses only fixed fragments (checked in the source).
- Ledger and scenario files are data: Python in them is refused or stored as text, never run
  (audit hooks see no compile, exec or process spawn), and loading opens only the named files.
- `tracker serve` binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from tracker import query, replay, serve
from tracker.cli import main
from tracker.loading import load
from tracker.reducers import DIMENSIONS
from tracker.store import Store

from .conftest import Cli

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "__import__('os').system('touch PWNED')"


class TestWhereConditions:
    """`--where DIMENSION=VALUE`: the dimension must be in the vocabulary."""

    @pytest.mark.parametrize("command", ["who", "first"])
    @pytest.mark.parametrize(
        "where",
        [
            "recognition) OR 1=1 --=x",
            "recognition OR 1=1=recognized",
            "1=1",
            "dimension=recognition",
            "recognition; DROP TABLE events; --=none",
            "value FROM intervals --=x",
        ],
    )
    def test_sql_in_the_dimension_is_refused(
        self, seeded_cli: Cli, command: str, where: str
    ) -> None:
        """A dimension that is not one of the eleven is refused, naming the vocabulary."""
        before = fingerprint(seeded_cli.db)
        result = seeded_cli(command, "TALIBAN", "--where", where)
        assert result.exit_code == 1 and type(result.exception) is SystemExit
        assert result.stdout == ""
        assert result.stderr.startswith("error: unknown dimension ")
        assert result.stderr.count("\n") == 1
        assert all(name in result.stderr for name in DIMENSIONS)
        assert fingerprint(seeded_cli.db) == before

    @pytest.mark.parametrize(
        "where",
        ["recognition=x' OR '1'='1", "stance=a' OR 1=1 --", "designations=a b", "envoy_sent=1"],
    )
    def test_sql_in_the_value_is_refused(self, seeded_cli: Cli, where: str) -> None:
        """A value that is not one of the dimension's values (or not a token) is refused."""
        result = seeded_cli("who", "TALIBAN", "--where", where, "--on", "2025-07-04")
        assert result.exit_code == 1 and result.stderr.count("\n") == 1
        assert "takes one of" in result.stderr or "lowercase tokens" in result.stderr


class Recording:
    """A connection that records every statement and its parameters, then runs it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.statements: list[tuple[str, Any]] = []

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        """Record, then execute."""
        self.statements.append((sql, parameters))
        return self.conn.execute(sql, parameters)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        """Record, then execute many."""
        rows = list(rows)
        self.statements.append((sql, rows))
        return self.conn.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


MARKER_ENTITY = "ZZMARKERENTITY"
MARKER_TOKEN = "zzmarkertoken"
LEDGER = f"""\
[[entity]]
id = "{MARKER_ENTITY}"
name = "An entity whose id must never appear in SQL text"
kind = "group"

[[event]]
type = "statement_made"
actor = "RUS"
counterpart = "{MARKER_ENTITY}"
on = 2025-07-01
stance = "{MARKER_TOKEN}"
note = "{PYTHON}"
[[event.sources]]
title = "Report"
publisher = "Desk"
date = 2025-07-02
"""


@pytest.fixture
def recorded(seeded: Store, tmp_path: Path) -> Iterator[tuple[Store, Recording]]:
    """The seeded store with the marker ledger, its connection recording every statement."""
    ledger = tmp_path / "marker.toml"
    ledger.write_text(LEDGER, encoding="utf-8")
    load(seeded, [ledger], quiet=True)
    recording = Recording(seeded.conn)
    seeded.conn = recording  # type: ignore[assignment]
    yield seeded, recording
    seeded.conn = recording.conn


class TestBoundParameters:
    """User values reach SQLite as parameters, never as SQL text."""

    def test_queries_bind_user_values(self, recorded: tuple[Store, Recording]) -> None:
        """state, who, first, history and replay never put an entity, value or day in SQL."""
        store, recording = recorded
        day, known = "2025-07-04", "2025-07-04T12:00:00Z"
        query.state(store, "RUS", MARKER_ENTITY, day)
        query.state(store, "RUS", MARKER_ENTITY, day, known)
        query.who(store, MARKER_ENTITY, {"stance": MARKER_TOKEN}, day)
        query.who(store, MARKER_ENTITY, {"stance": MARKER_TOKEN}, day, known)
        query.first(store, MARKER_ENTITY, ("stance", MARKER_TOKEN), "2000-01-01")
        query.first(store, MARKER_ENTITY, ("stance", MARKER_TOKEN), "2000-01-01", known)
        query.history(store, "RUS", MARKER_ENTITY, known)
        list(replay.replay(store, "RUS", MARKER_ENTITY, start="2000-01-01", known_at=known))
        assert recording.statements
        for sql, _ in recording.statements:
            for text in (MARKER_ENTITY, MARKER_TOKEN, day, known, "2000-01-01"):
                assert text not in sql, sql
        bound = json.dumps([params for _, params in recording.statements])
        assert MARKER_ENTITY in bound and day in bound

    def test_ledger_text_is_bound_too(self, seeded: Store, tmp_path: Path) -> None:
        """Loading binds every value of the ledger: no ledger text appears in SQL."""
        recording = Recording(seeded.conn)
        seeded.conn = recording  # type: ignore[assignment]
        ledger = tmp_path / "marker.toml"
        ledger.write_text(LEDGER, encoding="utf-8")
        load(seeded, [ledger], quiet=True)
        seeded.conn = recording.conn
        for sql, _ in recording.statements:
            assert MARKER_ENTITY not in sql and "PWNED" not in sql and MARKER_TOKEN not in sql


# Per module, the expressions formatted into SQL: each is a fixed fragment (a column list, a
# run of placeholders, a join of constant conditions, a name from the dimension vocabulary).
# Anything else formatted into a statement fails the test below and must be reviewed.
SAFE_FRAGMENTS = {
    "runner.py": {"', '.join(columns)", "marks"},  # tracker/bench/runner.py
    "ceiling.py": {"marks", "name"},  # name: a table of runner.CEILINGS
    # name: in DIMENSIONS; n: 1, 2; F_COLUMNS: the fold's columns of `dyad_events AS d`
    "projection.py": {"name", "E_COLUMNS", "F_COLUMNS", "marks", "n", "', '.join('?' * 14)"},
    # _TYPES: typeof() of each of COLUMNS; E_COLUMNS: COLUMNS of `events AS e`;
    # table: "events" or "entity_log" (_hash_at's callers)
    "verify.py": {"COLUMNS", "F_COLUMNS", "_TYPES", "table"},
    "replay.py": {"COLUMNS", "distinct", "columns", "source", "' AND '.join(where)"},
    # table: for table in projection.TABLES
    "store.py": {"COLUMNS", "columns", "marks", "table"},
    # table: a value of tables._INDEXES; _INDEXED: the fixed columns of an index row
    # source: _WITH_BODIES or _WITHOUT_BODIES (fixed SELECT ... FROM clauses)
    "tables.py": {
        *("COLUMNS", "E_COLUMNS", "F_COLUMNS", "marks", "table", "_INDEXED", "source"),
        "', '.join('?' * 14)",
    },
    "appending.py": {"tables.COLUMNS", "marks", "', '.join('?' * 13)"},
}
_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|FROM|VALUES|CREATE|DROP|JOIN)\b")


def test_sql_is_formatted_only_from_fixed_fragments() -> None:
    """Every f-string that builds SQL in tracker/ interpolates only reviewed fixed fragments."""
    found = 0
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Mod)
                and isinstance(node.left, ast.Constant)
                and _SQL.search(str(node.left.value))
            ):
                pytest.fail(f"{path.name}:{node.lineno}: SQL built with %")
            if not isinstance(node, ast.JoinedStr):
                continue
            text = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
            if not _SQL.search(text):
                continue
            found += 1
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    piece = ast.unparse(part.value)
                    safe = SAFE_FRAGMENTS.get(path.name, set())
                    assert piece in safe, f"{path.name}:{node.lineno}: {{{piece}}} in SQL"
    assert found >= 5


class TestLedgersAreData:
    """Ledger and scenario files are read as data, never run."""

    @pytest.fixture
    def audit(self) -> Iterator[list[tuple[str, Any]]]:
        """The audit events of code compiled, run or spawned while the test body runs."""
        seen: list[tuple[str, Any]] = []
        _AUDIT.append(seen)
        yield seen
        _AUDIT.remove(seen)

    def test_python_in_a_ledger_is_stored_as_text(
        self,
        seeded_cli: Cli,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        audit: list[tuple[str, Any]],
    ) -> None:
        """A note holding Python is loaded as text: nothing runs, and it reads back verbatim."""
        monkeypatch.chdir(tmp_path)
        ledger = tmp_path / "python.toml"
        ledger.write_text(LEDGER, encoding="utf-8")
        assert seeded_cli("load", "--quiet", str(ledger)).exit_code == 0
        exported = seeded_cli("export").stdout
        assert PYTHON in exported
        assert not any(p.name == "PWNED" for p in tmp_path.rglob("*"))
        assert _ran(audit, ledger) == []

    @pytest.mark.parametrize(
        ("name", "text"),
        [
            ("code.toml", "import os\nos.system('touch PWNED')\n"),
            ("code.jsonl", f'{{"type": "{PYTHON}"}}\n'),
            ("code.jsonl", f'{{"type": "statement_made", "stance": {PYTHON!r}}}\n'),
            ("code.py", "import os\nos.system('touch PWNED')\n"),
            ("code.toml", f'[[event]]\ntype = "recognition_granted"\nactor = "{PYTHON}"\n'),
        ],
    )
    def test_code_is_refused_not_run(
        self,
        seeded_cli: Cli,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        audit: list[tuple[str, Any]],
        name: str,
        text: str,
    ) -> None:
        """A ledger that is (or holds) code where data belongs is refused; nothing runs."""
        monkeypatch.chdir(tmp_path)
        ledger = tmp_path / name
        ledger.write_text(text, encoding="utf-8")
        result = seeded_cli("load", "--quiet", str(ledger))
        assert result.exit_code == 1 and result.stderr.startswith(f"error: {ledger}")
        assert not (tmp_path / "PWNED").exists()
        assert _ran(audit, ledger) == []

    def test_scenario_with_code_is_data(
        self, seeded_cli: Cli, tmp_path: Path, audit: list[tuple[str, Any]]
    ) -> None:
        """A scenario's name and notes may hold Python: it is printed as text, not run."""
        scenario = tmp_path / "scenario.toml"
        scenario.write_text(
            f'name = "{PYTHON}"\ncompare_on = [2026-06-01]\n[[add]]\n'
            f'type = "recognition_granted"\nactor = "CHN"\ncounterpart = "TALIBAN"\n'
            f'on = 2026-01-01\nnote = "{PYTHON}"\n',
            encoding="utf-8",
        )
        result = seeded_cli("scenario", str(scenario))
        assert result.exit_code == 0, result.output
        assert PYTHON in result.stdout
        assert _ran(audit, scenario) == []

    def test_loading_opens_only_the_named_files(
        self, seeded_cli: Cli, tmp_path: Path, audit: list[tuple[str, Any]]
    ) -> None:
        """`tracker load` opens the ledgers it is given, and no path named inside them."""
        outside = tmp_path / "outside.txt"
        outside.write_text("secret", encoding="utf-8")
        ledger = tmp_path / "paths.jsonl"
        event = {
            "type": "recognition_granted",
            "actor": "CHN",
            "counterpart": "TALIBAN",
            "on": "2025-07-05",
            "note": str(outside),
            "sources": [
                {
                    "title": "../../etc/passwd",
                    "publisher": "/etc/shadow",
                    "date": "2025",
                    "url": f"file://{outside}",
                    "locator": "~/.ssh/id_rsa",
                }
            ],
        }
        ledger.write_text(json.dumps(event) + "\n", encoding="utf-8")
        audit.clear()  # from here on, only what the load opens
        assert seeded_cli("load", "--quiet", str(ledger)).exit_code == 0
        opened = {  # by path (a file reopened by its descriptor was audited by path first)
            str(args[0])
            for kind, args in audit
            if kind == "open" and args and not isinstance(args[0], int)
        }
        assert str(outside) not in opened
        assert not any("passwd" in p or "shadow" in p or ".ssh" in p for p in opened)
        data = {p for p in opened if not _is_code(p)}
        allowed = {str(ledger), str(seeded_cli.db)}
        assert data <= allowed | {f"{seeded_cli.db}-wal", f"{seeded_cli.db}-shm"}, data

    @pytest.mark.parametrize("where", ["../elsewhere/base.toml", "ABSOLUTE"])
    def test_scenario_base_stays_beside_the_scenario(
        self, seeded_cli: Cli, tmp_path: Path, where: str
    ) -> None:
        """A scenario's `base` outside the scenario's folder is refused, not followed."""
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        base = elsewhere / "base.toml"
        base.write_text('name = "base"\ncompare_on = [2026-06-01]\n', encoding="utf-8")
        folder = tmp_path / "scenarios"
        folder.mkdir()
        target = str(base) if where == "ABSOLUTE" else where
        scenario = folder / "child.toml"
        scenario.write_text(f'name = "child"\nbase = "{target}"\n', encoding="utf-8")
        result = seeded_cli("scenario", str(scenario))
        assert result.exit_code == 1 and "base" in result.stderr


_AUDIT: list[list[tuple[str, Any]]] = []
_WATCHED = {"open", "compile", "exec", "subprocess.Popen", "os.system", "os.exec", "os.spawn"}


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _AUDIT and event in _WATCHED:
        for seen in _AUDIT:
            seen.append((event, args))


sys.addaudithook(_hook)  # process-wide and permanent; records only while a test listens


def _ran(audit: list[tuple[str, Any]], ledger: Path) -> list[tuple[str, Any]]:
    """The audit events that compiled or ran text from `ledger`, or spawned anything."""
    text = ledger.read_text(encoding="utf-8", errors="replace")
    found = []
    for kind, args in audit:
        if kind in ("subprocess.Popen", "os.system", "os.exec", "os.spawn"):
            found.append((kind, args))
        elif kind == "compile" and args:
            source, filename = args[0], args[1] if len(args) > 1 else None
            source_text = source.decode() if isinstance(source, bytes) else str(source)
            if str(filename) == str(ledger) or (source_text and source_text in text):
                found.append((kind, args))
    return found


def _is_code(path: str) -> bool:
    """Whether an opened path is part of Python or an installed package (code or its data)."""
    prefixes = {sys.prefix, sys.base_prefix, str(ROOT / "tracker"), str(ROOT / "events")}
    return path.endswith((".py", ".pyc", ".so")) or any(path.startswith(p) for p in prefixes)


def fingerprint(db: Path) -> tuple[Any, ...]:
    """Count, chain head, entities and schema of `db`."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return (
            conn.execute("SELECT count(*), max(seq) FROM events").fetchone(),
            conn.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone(),
            conn.execute("SELECT * FROM entities ORDER BY id").fetchall(),
            conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall(),
        )
    finally:
        conn.close()


class TestServe:
    """`tracker serve`: loopback by default, read-only queries."""

    def test_binds_loopback_by_default(self) -> None:
        """The --host option defaults to 127.0.0.1 (and so does the library function)."""
        command = main.get_command(click.Context(main), "serve")
        options = {p.name: p for p in command.params if isinstance(p, click.Option)}
        assert options["host"].default == "127.0.0.1"
        assert options["port"].default == 8001
        assert inspect.signature(serve.serve).parameters["host"].default == "127.0.0.1"

    def test_help_says_so(self) -> None:
        """`tracker serve --help` shows the loopback default."""
        result = CliRunner().invoke(main, ["serve", "--help"])
        assert result.exit_code == 0 and "127.0.0.1" in result.stdout

    def test_canned_queries_only_read(self) -> None:
        """Every canned query is a single SELECT (or WITH ... SELECT) statement."""
        for name, canned in serve.QUERIES.items():
            sql = canned["sql"].strip()
            assert re.match(r"(SELECT|WITH)\b", sql), name
            assert ";" not in sql.rstrip(";"), name
            words = set(re.findall(r"\b[A-Z]+\b", sql))
            assert not words & {"INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "ATTACH", "PRAGMA"}
