"""The `tracker` command, driven through click's CliRunner."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from tracker.cli import main, seed_files
from tracker.reducers import DIMENSIONS
from tracker.store import Store

from .conftest import Cli

README = Path(__file__).resolve().parent.parent / "README.md"
REPORT_DAY = "2025-07-04"

BAD_LEDGER = """\
[[event]]
type = "recognition_granted"
actor = "CHN"
counterpart = "TALIBAN"
on = 2025-07-05
[[event.sources]]
title = "Report"
publisher = "Reuters"
date = 2025-07-05

[[event]]
type = "recognition_granted"
actor = "PAK"
counterpart = "TALIBAN"
on = "2025-02-30"
[[event.sources]]
title = "Report"
publisher = "Reuters"
date = 2025-07-05
"""


def commands(group: click.Group = main, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    """Every command and sub-command, with its full name."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        full = f"{prefix}{name}"
        yield full, command
        if isinstance(command, click.Group):
            yield from commands(command, f"{full} ")


def lines(text: str) -> list[str]:
    """The non-blank lines of `text`."""
    return [line for line in text.splitlines() if line.strip()]


def fingerprint(db: Path) -> tuple[int, tuple[int, str], list[object]]:
    """The event count, the chain head and the entities of a database."""
    with Store(db) as store:
        return store.count(), store.head(), list(store.entities())


def one_clean_error(result: object, *fragments: str) -> str:
    """Assert a failed run printed exactly one error line on stderr and no traceback."""
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert result.exception is None or isinstance(  # type: ignore[attr-defined]
        result.exception,
        SystemExit,  # type: ignore[attr-defined]
    ), repr(result.exception)  # type: ignore[attr-defined]
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr + result.stdout  # type: ignore[attr-defined]
    [line] = lines(stderr)
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


class TestHelp:
    """--help and the documentation of every command."""

    def test_help_lists_every_command(self, cli: Cli) -> None:
        """`tracker --help` names every command."""
        result = cli.bare("--help")
        assert result.exit_code == 0
        for name, _ in commands():
            if " " in name:
                continue  # sub-commands are listed by their group's --help
            assert re.search(rf"^\s+{re.escape(name)}\s", result.output, re.M), name

    @pytest.mark.parametrize(("name", "command"), list(commands()), ids=lambda x: str(x))
    def test_every_command_has_help(self, cli: Cli, name: str, command: click.Command) -> None:
        """Every command and sub-command has a help text and answers --help."""
        assert (command.help or "").strip(), name
        result = cli.bare(*name.split(), "--help")
        assert result.exit_code == 0 and "Usage:" in result.output

    def test_queries_do_not_import_what_they_do_not_need(self, seeded_cli: Cli) -> None:
        """`tracker state` on a seeded store loads neither the optional commands (plots, serve,
        bench, scenarios) nor the event classes, cattrs, OpenSSL, sqlite-utils or pycountry."""
        heavy = ("events.types", "cattrs", "hashlib", "sqlite_utils", "pycountry")
        code = (
            "import sys; from tracker.cli import main; "
            "main(['--db', sys.argv[1], 'state', 'RUS', 'TALIBAN', '--on', '2025-07-04'], "
            "standalone_mode=False); "
            "print(sorted(m for m in sys.modules if m.startswith('tracker.cli.')), "
            f"[m for m in {heavy!r} if m in sys.modules])"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(seeded_cli.db)],
            capture_output=True,
            text=True,
            check=True,
        )
        expected = "['tracker.cli.common', 'tracker.cli.questions'] []"
        assert done.stdout.strip().splitlines()[-1] == expected


class TestQueries:
    """state, who and first with --json: the documented shapes and the seed's answers."""

    def test_state_json_shape(self, seeded_cli: Cli) -> None:
        """`state --json` gives actor, counterpart, on, existence and all eleven dimensions."""
        result = seeded_cli("state", "RUS", "TALIBAN", "--on", REPORT_DAY, "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert {"actor", "counterpart", "on", "exists", "lifespans", "dimensions"} <= set(data)
        assert (data["actor"], data["counterpart"], data["on"]) == ("RUS", "TALIBAN", REPORT_DAY)
        assert list(data["dimensions"]) == list(DIMENSIONS)
        for entry in data["dimensions"].values():
            assert set(entry) == {
                "value",
                "since",
                "uncertain",
                "possible",
                "events",
                "machine_coded",
            }
            assert isinstance(entry["uncertain"], bool) and isinstance(entry["events"], list)
        recognition = data["dimensions"]["recognition"]
        assert (recognition["value"], recognition["since"]) == ("recognized", "2025-07-03")
        assert isinstance(data["dimensions"]["cooperation"]["value"], list)

    def test_state_table(self, seeded_cli: Cli) -> None:
        """The state table names the dyad, the values and the sources."""
        result = seeded_cli("state", "RUS", "TALIBAN", "--on", REPORT_DAY)
        assert result.exit_code == 0
        assert "RUS -> TALIBAN on 2025-07-04" in result.stdout
        assert "recognized" in result.stdout and "Reuters" in result.stdout

    def test_who_json_shape(self, seeded_cli: Cli) -> None:
        """`who --json` gives counterpart, on, where, actors and uncertain."""
        result = seeded_cli(
            "who", "TALIBAN", "--where", "recognition=recognized", "--on", REPORT_DAY, "--json"
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert {"counterpart", "on", "where", "actors", "uncertain"} <= set(data)
        assert data["where"] == {"recognition": "recognized"}
        assert (data["actors"], data["uncertain"]) == (["RUS"], [])

    def test_first_json_shape(self, seeded_cli: Cli) -> None:
        """`first --json` gives actor, on and event."""
        result = seeded_cli(
            "first",
            "TALIBAN",
            "--where",
            "recognition=recognized",
            "--after",
            "2021-08-15",
            "--json",
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert {"actor", "on", "event"} <= set(data)
        assert (data["actor"], data["on"]) == ("RUS", "2025-07-03")
        assert re.fullmatch(r"[0-9a-f]{24}", data["event"])

    @pytest.mark.parametrize(
        "args",
        [
            ("state", "RUS", "TALIBAN", "--on", "2025-02-30"),
            ("who", "TALIBAN", "--where", "recognition=recognized", "--on", "2025-02-30"),
            ("first", "TALIBAN", "--where", "recognition=recognized", "--after", "2025-02-30"),
        ],
    )
    def test_impossible_day_is_one_clean_error(self, seeded_cli: Cli, args: tuple[str]) -> None:
        """An impossible --on/--after gives one error line naming the date and exit 1."""
        one_clean_error(seeded_cli(*args), "2025-02-30")

    def test_bad_known_at_is_one_clean_error(self, seeded_cli: Cli) -> None:
        """An impossible --known-at gives one error line, not a traceback."""
        result = seeded_cli("state", "RUS", "TALIBAN", "--on", REPORT_DAY, "--known-at", "2025-13")
        one_clean_error(result, "2025-13")

    @pytest.mark.parametrize(
        ("args", "fragment"),
        [
            (("state", "RUS", "TALIBN", "--on", REPORT_DAY), "TALIBAN"),
            (
                ("who", "TALIBAN", "--where", "recogniton=recognized", "--on", REPORT_DAY),
                "recogniton",
            ),
            (("who", "TALIBAN", "--where", "recognition", "--on", REPORT_DAY), "DIMENSION=VALUE"),
        ],
    )
    def test_user_errors_are_one_line(
        self, seeded_cli: Cli, args: tuple[str], fragment: str
    ) -> None:
        """Unknown entities and malformed conditions print one line and exit non-zero."""
        one_clean_error(seeded_cli(*args), fragment)


class TestLoad:
    """load: all or nothing, idempotent, errors as file:line."""

    def test_loading_twice_adds_nothing(self, cli: Cli) -> None:
        """The second load of the seeds reports 0 new events."""
        paths = [str(p) for p in seed_files()]
        first = cli("load", "--quiet", *paths)
        second = cli("load", "--quiet", *paths)
        assert first.exit_code == second.exit_code == 0
        assert not first.stdout.startswith("loaded 0 new")
        assert second.stdout.startswith("loaded 0 new events")

    def test_bad_ledger_is_one_line_and_writes_nothing(
        self, seeded_cli: Cli, tmp_path: Path
    ) -> None:
        """A bad event on line 11 fails with `file:12: reason` on stderr; the db is unchanged."""
        before = fingerprint(seeded_cli.db)
        path = tmp_path / "bad.toml"
        path.write_text(BAD_LEDGER, encoding="utf-8")
        result = seeded_cli("load", "--quiet", str(path))
        one_clean_error(result, f"{path}:11:", "2025-02-30")
        assert fingerprint(seeded_cli.db) == before

    def test_unknown_entity_in_ledger(self, seeded_cli: Cli, tmp_path: Path) -> None:
        """An unknown entity in a ledger names the file and line, with a close match."""
        before = fingerprint(seeded_cli.db)
        path = tmp_path / "bad.toml"
        path.write_text(
            BAD_LEDGER.replace('"2025-02-30"', "2025-07-05").replace(
                'actor = "PAK"', 'actor = "TALIBN"'
            ),
            encoding="utf-8",
        )
        one_clean_error(seeded_cli("load", "--quiet", str(path)), f"{path}:11:", "TALIBAN")
        assert fingerprint(seeded_cli.db) == before

    def test_missing_file(self, seeded_cli: Cli, tmp_path: Path) -> None:
        """Loading a file that does not exist is one clean error."""
        one_clean_error(seeded_cli("load", str(tmp_path / "absent.toml")), "absent.toml")


class TestVerify:
    """verify: ok on an untouched store, exit 1 naming the first bad seq after tampering."""

    def test_ok(self, seeded_cli: Cli) -> None:
        """An untouched store verifies."""
        result = seeded_cli("verify")
        assert result.exit_code == 0 and result.stdout.startswith("ok:")

    def test_tampering_names_the_first_bad_seq(self, seeded_cli: Cli) -> None:
        """After an edit behind the tool's back, verify exits 1 naming that seq."""
        raw = sqlite3.connect(seeded_cli.db)
        raw.execute("DROP TRIGGER events_no_update")
        (seq,) = raw.execute(
            'SELECT min(seq) FROM events WHERE body LIKE \'%"on":"2003"%\''
        ).fetchone()
        raw.execute("UPDATE events SET body = replace(body, '2003', '2004') WHERE seq = ?", (seq,))
        raw.commit()
        raw.close()
        result = seeded_cli("verify")
        assert result.exit_code == 1
        assert f"seq {seq}:" in result.stderr and "Traceback" not in result.output


class TestDefaultDatabase:
    """Without --db, $TRACKER_DB is used and created from seeds/."""

    def test_creates_from_seeds_and_answers(self, cli: Cli, tmp_path: Path) -> None:
        """`state RUS TALIBAN --on 2025-07-04` works at once on a fresh $TRACKER_DB."""
        db = tmp_path / "fresh" / "default.db"
        db.parent.mkdir()
        result = cli.bare(
            "state", "RUS", "TALIBAN", "--on", REPORT_DAY, "--json", env={"TRACKER_DB": str(db)}
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["dimensions"]["recognition"]["value"] == "recognized"
        assert db.exists() and "created" in result.stderr
        assert fingerprint(db)[0] > 0

    def test_explicit_db_is_not_seeded(self, cli: Cli) -> None:
        """With --db, a new database starts empty."""
        result = cli("entities", "--json")
        assert result.exit_code == 0 and json.loads(result.stdout) == []
        assert fingerprint(cli.db)[0] == 0


class TestExport:
    """export then load gives the same ids and chain."""

    @pytest.mark.parametrize("fmt", ["jsonl", "toml"])
    def test_export_then_load(self, seeded_cli: Cli, tmp_path: Path, fmt: str) -> None:
        """A new db loaded from the export has the same ids, count and chain head."""
        out = tmp_path / f"export.{fmt}"
        result = seeded_cli("export", "--format", fmt, "-o", str(out))
        assert result.exit_code == 0, result.output
        copy = Cli(tmp_path / "copy.db")
        assert copy("load", "--quiet", str(out)).exit_code == 0
        with Store(seeded_cli.db) as a, Store(copy.db) as b:
            assert [r.id for r in a.scan()] == [r.id for r in b.scan()]
        verified = [json.loads(c("verify", "--json").stdout) for c in (seeded_cli, copy)]
        assert verified[0]["ok"] and verified[1]["ok"]
        assert verified[0]["events"] == verified[1]["events"]
        assert verified[0]["head"] == verified[1]["head"]

    def test_export_to_stdout(self, seeded_cli: Cli) -> None:
        """Without -o, export writes JSON Lines to stdout, one object a line."""
        result = seeded_cli("export")
        assert result.exit_code == 0
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert sum("entity" in row for row in rows) == 4
        assert all("type" in row for row in rows if "entity" not in row)


def test_rebuild(seeded_cli: Cli) -> None:
    """`rebuild` reports the events read and leaves answers unchanged."""
    before = seeded_cli("state", "RUS", "TALIBAN", "--on", REPORT_DAY, "--json").stdout
    result = seeded_cli("rebuild", "--quiet")
    assert result.exit_code == 0 and "rebuilt" in result.stdout
    assert seeded_cli("state", "RUS", "TALIBAN", "--on", REPORT_DAY, "--json").stdout == before


def test_history_json(seeded_cli: Cli) -> None:
    """`history --json` lists the dyad's events with changes and sources."""
    result = seeded_cli("history", "RUS", "TALIBAN", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert rows and all(row["sources"] for row in rows)
    assert any(row["retracted_by"] for row in rows)


def test_public_names_are_the_functions() -> None:
    """`from tracker import state` gives the query function, even after every module loaded."""
    import tracker.reducers  # a submodule must not shadow a public name
    import tracker.replay
    from tracker import query, state, who

    assert state is query.state and who is query.who
    assert callable(tracker.replay.replay)  # the module stays reachable as tracker.replay


def test_readme_python_example_runs(seeded_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's Python example runs as written on an existing database ($TRACKER_DB)."""
    text = README.read_text(encoding="utf-8")
    start = text.index("```python\n", text.index("From Python (a notebook):")) + len("```python\n")
    code = text[start : text.index("```", start)]
    assert "tracker.open()" in code
    monkeypatch.setenv("TRACKER_DB", str(seeded_cli.db))
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    answer = namespace["answer"]
    assert answer.dimensions["recognition"].value == "recognized"  # type: ignore[attr-defined]
    assert answer.events  # type: ignore[attr-defined]


def test_history_table(seeded_cli: Cli) -> None:
    """`history` prints one row per event with its day, short id, type and changes, and marks
    the corrected record withdrawn by its correction, which says what it replaces."""
    result = seeded_cli("history", "RUS", "TALIBAN")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["on", "id", "event", "dyad", "changes"]
    vague = next(line for line in lines if line.startswith("2025-01-01/2025-07-04"))
    precise = lines.index(next(line for line in lines if line.startswith("2025-04-17 ")))
    assert "64bbde6f" in vague and "withdrawn by ca8b577f" in vague
    assert lines[precise].split()[1:4] == ["ca8b577f", "designation_removed", "RUS->TALIBAN"]
    assert "designations: -terrorist_organizations" in lines[precise]
    assert "(replaces 64bbde6f)" in lines[precise + 1]
    granted = next(line for line in lines if "recognition_granted" in line)
    assert granted.split()[0] == "2025-07-03" and "recognition: none -> recognized" in granted
