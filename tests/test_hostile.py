"""Hostile input: every bad ledger, scenario or query is refused in one line and writes nothing.

Each case runs through the CLI (click's CliRunner) against one seeded database and checks: a
non-zero exit, no Python exception escaping (a real process would print a traceback), nothing on
stdout, exactly one line on stderr naming the file (and the line, where there is one), and a
database with the same events, chain head, entities, projections and schema; `verify` passes.

Generated inputs scale with the hypothesis profile (`FUZZ`): each of the ten fuzz tests must try
at least the profile's max_examples (`_fuzz`), so the dev profile tries at least 300, the ci
profile (HYPOTHESIS_PROFILE=ci or CI set) at least 2,000, under xdist or not.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from events import EVENT_CLASSES, to_dict
from tracker.cli import main, seed_files
from tracker.entities import iso_states
from tracker.reducers import DIMENSIONS, VALUES

from .strategies import STANDING_TYPES, events_of

# Generated inputs per fuzz test: 1.1 times the profile's max_examples (dev 30 -> 33 each,
# ci 200 -> 220 each; ten fuzz tests, so 2,200 in ci).
PROFILE_EXAMPLES = settings().max_examples
FUZZ = settings(
    max_examples=PROFILE_EXAMPLES * 11 // 10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FUZZED: Counter[str] = Counter()

ACTORS = ("RUS", "CHN", "USA", "AFG", "PAK", "TALIBAN")
LONG = 10_001  # one more character than a ledger string may hold (tracker.ledger.MAX_TEXT)
ANY_LINE = object()  # the message names the file, with or without a line

SQL = (
    "'; DROP TABLE events; --",
    "1 OR 1=1",
    "x' OR '1'='1",
    "RUS); DELETE FROM events; --",
    '" OR ""="',
    "recognition) OR 1=1 --",
    "*/ UNION SELECT * FROM sqlite_master /*",
    "TALIBAN; PRAGMA writable_schema=1",
    "ROBERT'); DROP TABLE entities;--",
)


# -- the target database ---------------------------------------------------------------------


class Target:
    """One seeded database and the checks every hostile case must pass against it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "hostile.db"
        self.runner = CliRunner()
        result = self.run("load", "--quiet", *(str(p) for p in seed_files()))
        assert result.exit_code == 0, result.output
        self.before = self.snapshot()
        # A connection of our own: its data_version changes when any other connection commits.
        self.watch = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        self.version = self.data_version()

    def data_version(self) -> int:
        """SQLite's count of commits made by other connections, as this one has seen them."""
        return int(self.watch.execute("PRAGMA data_version").fetchone()[0])

    def unchanged(self) -> bool:
        """Nothing was committed since the target was made (checked cheaply, for fuzzing)."""
        return self.data_version() == self.version

    def run(self, *args: str) -> Result:
        """Invoke `tracker --db DB ARGS...`."""
        return self.runner.invoke(main, ["--db", str(self.db), *args])

    def write(self, name: str, data: str | bytes) -> Path:
        """Write a case file in the target's folder."""
        path = self.folder / name
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        path.write_bytes(data)
        return path

    def snapshot(self) -> tuple[Any, ...]:
        """Count, chain head, entities, projections and schema: what no refusal may change."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return (
                conn.execute("SELECT count(*), max(seq) FROM events").fetchone(),
                conn.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone(),
                conn.execute("SELECT * FROM entities ORDER BY id").fetchall(),
                conn.execute("SELECT * FROM intervals ORDER BY 1, 2, 3, 4").fetchall(),
                conn.execute("SELECT count(*) FROM dyad_events").fetchone(),
                conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall(),
            )
        finally:
            conn.close()

    def refused(self, args: list[str], path: Path | None, line: Any = None) -> str:
        """Run a command that must fail cleanly; return its one stderr line."""
        result = self.run(*args)
        refusal(result, path, line)
        assert self.unchanged(), f"{args} committed to the database"
        return result.stderr

    def load_refused(self, path: Path, line: Any = None) -> str:
        """`tracker load PATH` must fail cleanly, naming PATH (and `line`)."""
        return self.refused(["load", "--quiet", str(path)], path, line)

    def verifies(self) -> None:
        """`tracker verify` passes and the database is as it was."""
        result = self.run("verify", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] and report["problems"] == []
        assert self.unchanged() and self.snapshot() == self.before


def refusal(result: Result, path: Path | None, line: Any) -> None:
    """A clean refusal: exit 1, no escaped exception, no stdout, one `error:` line on stderr."""
    assert result.exit_code != 0, result.output
    assert type(result.exception) is SystemExit, repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    text = result.stderr
    assert text.startswith("error: ") and text.endswith("\n") and text.count("\n") == 1, text
    if path is None:
        return
    if line is ANY_LINE:
        assert re.match(rf"error: {re.escape(str(path))}(:\d+)?: \S", text), text
    elif line is None:
        assert text.startswith(f"error: {path}: "), text
    else:
        assert text.startswith(f"error: {path}:{line}: "), text


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The seeded database every hostile case runs against; it must verify at the end."""
    made = Target(tmp_path_factory.mktemp("hostile"))
    yield made
    made.verifies()
    made.watch.close()


# -- writing ledgers -------------------------------------------------------------------------

SOURCE = {"title": "Report", "publisher": "Reuters", "date": "2025-07-04"}
GOOD = {
    "type": "recognition_granted",
    "actor": "CHN",
    "counterpart": "TALIBAN",
    "on": "2025-07-05",
    "sources": [SOURCE],
}
ENTITY = {"id": "FUZZ_GROUP", "name": "A group a refused load must not declare", "kind": "group"}


def jsonl(*objects: Mapping[str, Any]) -> str:
    """JSON Lines text, one object a line."""
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)


def toml_value(value: Any) -> str:
    """A TOML value (None has no TOML form: callers leave such keys out)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(_pairs(value)) + "}"
    raise TypeError(type(value))


def _pairs(table: Mapping[str, Any], leave_out: str = "") -> list[str]:
    """`key = value` for each key with a value (keys quoted unless bare: any text can be a key)."""
    return [
        f"{k if re.fullmatch(r'[A-Za-z0-9_-]+', k) else toml_value(k)} = {toml_value(v)}"
        for k, v in table.items()
        if v is not None and k != leave_out
    ]


def toml_event(body: Mapping[str, Any]) -> list[str]:
    """An [[event]] table; sources last, each as an [[event.sources]] table."""
    lines = ["[[event]]", *_pairs(body, leave_out="sources")]
    sources = body.get("sources")
    if isinstance(sources, list) and all(isinstance(s, Mapping) for s in sources) and sources:
        for source in sources:
            lines += ["[[event.sources]]", *_pairs(source)]
    elif sources is not None:
        lines.insert(1, f"sources = {toml_value(sources)}")
    return lines


def toml_ledger(body: Mapping[str, Any], entity: bool = True) -> tuple[str, int]:
    """A TOML ledger (an entity, then the event); the text and the event's header line."""
    lines: list[str] = []
    if entity:
        lines = ["[[entity]]", *(f"{k} = {toml_value(v)}" for k, v in ENTITY.items()), ""]
    header = len(lines) + 1
    return "\n".join([*lines, *toml_event(body)]) + "\n", header


# -- hand-written cases ----------------------------------------------------------------------


def event(**changes: Any) -> dict[str, Any]:
    """The good event with `changes` (a value of None removes the key)."""
    body = {**GOOD, **changes}
    return {k: v for k, v in body.items() if v is not None}


ATTACK = {
    "type": "attack_carried_out",
    "actor": "ISIS",
    "counterpart": "RUS",
    "on": "2024-03",
    "summary": "an attack",
    "sources": [SOURCE],
}

# (name, JSON Lines text, the line the message must name, a pattern the reason must match)
JSONL_CASES: list[tuple[str, str | bytes, Any, str]] = [
    (
        "invalid JSON",
        jsonl(GOOD) + '{"type": "recognition_granted", "actor": \n',
        2,
        "invalid JSON",
    ),
    ("JSON array", "[1, 2]\n", 1, "must be a table or an object"),
    ("JSON number", "5\n", 1, "must be"),
    ("JSON null", jsonl(GOOD) + "null\n", 2, "must be"),
    ("JSON string", '"recognition_granted"\n', 1, "must be"),
    ("actor is a number", jsonl(event(actor=5)), 1, "expected str"),
    ("sources is text", jsonl(event(sources="Reuters")), 1, "sources"),
    ("source is a list", jsonl(event(sources=[["Report"]])), 1, "sources"),
    ("level is a number", jsonl(event(type="envoy_sent", level=3)), 1, "level"),
    ("level not in vocabulary", jsonl(event(type="envoy_sent", level="consul")), 1, "consul"),
    ("killed is text", jsonl({**ATTACK, "schema": 2, "killed": "149"}), 1, "killed"),
    ("killed is a bool", jsonl({**ATTACK, "schema": 2, "killed": True}), 1, "killed"),
    ("killed is a float", jsonl({**ATTACK, "schema": 2, "killed": 1.5}), 1, "killed"),
    ("killed is negative", jsonl({**ATTACK, "schema": 2, "killed": -1}), 1, "killed"),
    ("killed is huge", jsonl({**ATTACK, "schema": 2, "killed": 10**13}), 1, "killed"),
    ("integer beyond 64 bits", jsonl({**ATTACK, "casualties": 10**30}), 1, "expected int"),
    ("casualties is text", jsonl({**ATTACK, "casualties": "149"}), 1, "expected int"),
    ("killed in schema 1", jsonl({**ATTACK, "killed": 149}), 1, "schema = 2"),
    ("casualties in schema 2", jsonl({**ATTACK, "schema": 2, "casualties": 1}), 1, "casualties"),
    ("schema 3", jsonl({**ATTACK, "schema": 3}), 1, "unsupported schema"),
    ("schema is text", jsonl(event(schema="1")), 1, "unsupported schema"),
    ("hypothetical in a ledger", jsonl(event(hypothetical=True)), 1, "scenario"),
    ("unknown key", jsonl(event(colour="red")), 1, "unknown key.*colour"),
    ("unknown source key", jsonl(event(sources=[{**SOURCE, "page": 3}])), 1, "page"),
    ("unknown entity key", jsonl({"entity": {**ENTITY, "colour": "red"}}), 1, "colour"),
    ("unknown type", jsonl(event(type="recognition_grantd")), 1, "did you mean"),
    ("type missing", jsonl(event(type=None)), 1, "type"),
    ("sources missing", jsonl(event(sources=None)), 1, "at least one source"),
    ("sources empty", jsonl(event(sources=[])), 1, "at least one source"),
    ("source title blank", jsonl(event(sources=[{**SOURCE, "title": "  "}])), 1, "title"),
    ("source date missing", jsonl(event(sources=[{"title": "T", "publisher": "P"}])), 1, "date"),
    ("empty file", "", None, "empty"),
    ("blank lines only", "\n  \n\n", None, "empty"),
    ("byte order mark mid-file", jsonl(GOOD) + "\ufeff" + jsonl(GOOD), 2, "invalid JSON"),
    ("truncated line", jsonl(GOOD) + jsonl(GOOD)[:-20], 2, "invalid JSON"),
    ("non-UTF-8 byte", jsonl(GOOD).encode() + b'{"note": "\xff"}\n', 2, "not UTF-8"),
    ("Latin-1 file", jsonl(event(note="caf\u00e9")).encode("latin-1"), 1, "not UTF-8"),
    ("raw NUL byte", jsonl(GOOD).encode() + b'{"type": "x\x00"}\n', 2, "invalid JSON|NUL"),
    ("escaped NUL", jsonl(event(note="a\x00b")), 1, "NUL"),
    ("NUL in entity", jsonl({"entity": {**ENTITY, "name": "a\x00"}}), 1, "NUL"),
    ("long note", jsonl(event(note="x" * LONG)), 1, "longer than"),
    ("long source title", jsonl(event(sources=[{**SOURCE, "title": "t" * LONG}])), 1, "longer"),
    ("long entity name", jsonl({"entity": {**ENTITY, "name": "n" * LONG}}), 1, "longer than"),
    ("long type", jsonl(event(type="t" * 100_000)), 1, "unknown event type|longer"),
    ("deep nesting", '{"note": ' + "[" * 100_000 + "]" * 100_000 + "}\n", 1, "invalid JSON"),
    ("deep nesting in an entity", '{"entity": ' + '{"a": ' * 5000 + "1" + "}" * 5001 + "\n", 1, ""),
    ("year 10000", jsonl(event(on="10000-01-01")), 1, "not a date"),
    ("year 0", jsonl(event(on="0000")), 1, "year 0000"),
    ("negative year", jsonl(event(on="-0044-03-15")), 1, "not a date"),
    ("month 13", jsonl(event(on="2025-13")), 1, "month 13"),
    ("30 February", jsonl(event(on="2025-02-30")), 1, "day 30"),
    ("reversed interval", jsonl(event(on="2025-07-04/2025-01-01")), 1, "ends before"),
    ("interval open at both ends", jsonl(event(on="../..")), 1, "known end"),
    ("timestamp as valid time", jsonl(event(on="2025-07-04T10:00:00Z")), 1, "not a date"),
    ("source date in year 10000", jsonl(event(sources=[{**SOURCE, "date": "99999"}])), 1, "date"),
    ("recorded in year 10000", jsonl(event(recorded="10000-01-01T00:00:00Z")), 1, "timestamp"),
    ("recorded hour 25", jsonl(event(recorded="2025-07-04T25:00:00Z")), 1, "timestamp"),
    ("SQL as actor", jsonl(event(actor=SQL[0])), 1, "not an entity id"),
    (
        "SQL-shaped unknown entity",
        jsonl(event(counterpart="DROP_TABLE_EVENTS")),
        1,
        "unknown entity",
    ),
    ("SQL as corrects", jsonl(event(corrects=SQL[1])), 1, "no stored event"),
    (
        "SQL as retraction target",
        jsonl(event(type="event_retracted", target=SQL[2], reason="r")),
        1,
        "no stored event",
    ),
    ("SQL as type", jsonl(event(type=SQL[3])), 1, "unknown event type"),
    ("SQL as entity id", jsonl({"entity": {**ENTITY, "id": SQL[8]}}), 1, "uppercase"),
    ("SQL as entity kind", jsonl({"entity": {**ENTITY, "kind": SQL[5]}}), 1, "kind"),
    ("SQL as a token", jsonl(event(type="cooperation_agreed", area=SQL[0])), 1, "token"),
    ("same actor and counterpart", jsonl(event(actor="TALIBAN")), 1, "both TALIBAN"),
    ("entity then bad event", jsonl({"entity": ENTITY}, event(actor="FUZZ_GROUP", on="x")), 2, ""),
]

_TOML_GOOD = toml_ledger(GOOD, entity=False)[0]  # lines: 1 [[event]] ... 6 [[event.sources]]


def _toml(body: Mapping[str, Any], reason: str) -> tuple[str, int, str]:
    """A TOML ledger case: an entity, then `body` (the message names the [[event]] line)."""
    text, header = toml_ledger(body)
    return text, header, reason


# (name, TOML text, the line the message must name, a pattern the reason must match)
TOML_CASES: list[tuple[str, str | bytes, Any, str]] = [
    ("invalid TOML", "[[event]\ntype = 1\n", 1, "invalid TOML"),
    ("unterminated string", _TOML_GOOD.replace('"CHN"', '"CHN'), 3, "invalid TOML"),
    (
        "duplicate key",
        _TOML_GOOD.replace("[[event.sources]]", 'actor = "USA"\n[[event.sources]]'),
        6,
        "invalid TOML",
    ),
    ("TOML that looks like Python", "import os\nos.system('touch pwned')\n", 1, "invalid TOML"),
    ("unknown top-level key", "[meta]\nauthor = 'x'\n" + _TOML_GOOD, None, "unknown top-level"),
    ("event is not a table", "event = 5\n", None, r"\[\[event\]\]"),
    ("events as inline array", 'event = [{type = "recognition_granted"}]\n', None, r"\[\[event"),
    ("wrong type", *_toml(event(actor=5), "expected str")),
    ("unknown key", *_toml(event(colour="red"), "colour")),
    ("unknown type", *_toml(event(type="visit_payed"), "did you mean")),
    ("missing sources", *_toml(event(sources=None), "at least one source")),
    ("valid time in year 10000", *_toml(event(on="10000"), "not a date")),
    ("source date as a number", *_toml(event(sources=[{**SOURCE, "date": 2025}]), "date")),
    ("killed in schema 1", *_toml({**ATTACK, "killed": 3}, "schema = 2")),
    ("SQL as actor", *_toml(event(actor=SQL[4]), "not an entity id")),
    ("long note", *_toml(event(note="x" * LONG), "longer than")),
    ("entity then bad event", *_toml(event(actor="FUZZ_GROUP", level="minister"), "level")),
    (
        "valid time as TOML datetime",
        _TOML_GOOD.replace('"2025-07-05"', "2025-07-05T10:00:00Z"),
        1,
        "timestamp",
    ),
    ("valid time as TOML time", _TOML_GOOD.replace('"2025-07-05"', "10:00:00"), 1, "expected"),
    ("empty file", "", None, "empty"),
    ("comments only", "# nothing here\n", None, "empty"),
    ("truncated", _TOML_GOOD[: _TOML_GOOD.index("publisher")], 1, "publisher|date|required"),
    ("non-UTF-8 byte", _TOML_GOOD.encode().replace(b"Report", b"Rep\xc3\x28rt"), 7, "not UTF-8"),
    ("NUL byte", _TOML_GOOD.replace("Reuters", "Reu\x00ters"), 8, "NUL"),
    ("deep nesting", "a = " + "[" * 100_000 + "]" * 100_000 + "\n", 1, "nested more than 100"),
    (
        "SQL as entity id",
        '[[entity]]\nid = "X\'; DROP TABLE events;--"\nname = "n"\nkind = "group"\n',
        1,
        "uppercase",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "line", "reason"), JSONL_CASES, ids=[c[0] for c in JSONL_CASES]
)
def test_hostile_jsonl(
    target: Target, name: str, text: str | bytes, line: Any, reason: str
) -> None:
    """A bad JSON Lines ledger is refused in one line naming file, line and reason; no write."""
    path = target.write("hand.jsonl", text)
    message = target.load_refused(path, line)
    assert re.search(reason, message), message
    target.verifies()


@pytest.mark.parametrize(
    ("name", "text", "line", "reason"), TOML_CASES, ids=[c[0] for c in TOML_CASES]
)
def test_hostile_toml(target: Target, name: str, text: str | bytes, line: Any, reason: str) -> None:
    """A bad TOML ledger is refused in one line naming file, line and reason; no write."""
    path = target.write("hand.toml", text)
    message = target.load_refused(path, line)
    assert re.search(reason, message), message
    target.verifies()


def test_one_bad_event_among_many_refuses_the_load(target: Target) -> None:
    """One bad event after 2,000 good ones names its line, and none of the good ones is stored."""
    good = [event(on=f"{1900 + i // 12:04d}-{i % 12 + 1:02d}", note=f"n{i}") for i in range(2000)]
    path = target.write("many.jsonl", jsonl({"entity": ENTITY}, *good, event(on="2025-13")))
    message = target.load_refused(path, 2002)
    assert "month 13" in message
    target.verifies()


def test_bad_file_among_good_files_refuses_the_load(target: Target) -> None:
    """Loading a good ledger with a bad one writes nothing from either."""
    good = target.write("good.jsonl", jsonl(event(note="from the good file")))
    text, header = toml_ledger(event(on="2025-02-30"))
    bad = target.write("bad.toml", text)
    target.refused(["load", "--quiet", str(good), str(bad)], bad, header)
    target.refused(["load", "--quiet", str(bad), str(good)], bad, header)
    target.verifies()


@pytest.mark.parametrize("suffix", [".py", ".txt", ".json", ""])
def test_other_file_kinds_are_refused(target: Target, suffix: str) -> None:
    """Only .toml and .jsonl/.ndjson are ledgers: a Python file is refused, never run."""
    path = target.write(f"ledger{suffix}", "import os\nos.system('touch pwned')\n")
    target.load_refused(path, None)
    assert not (target.folder / "pwned").exists()


def test_missing_file_is_refused(target: Target) -> None:
    """A ledger that does not exist is named."""
    target.load_refused(target.folder / "no-such-ledger.toml", None)
    target.load_refused(target.folder / "no-such-ledger.jsonl", None)


@pytest.mark.parametrize(
    "recorded", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T05:00+05:01"]
)
def test_recorded_at_the_calendars_ends(target: Target, recorded: str) -> None:
    """A transaction time whose UTC form leaves years 1-9999 is refused in one line."""
    path = target.write("edge.jsonl", jsonl(event(recorded=recorded)))
    target.load_refused(path, 1)


@pytest.mark.parametrize("depth", [1000, 1020])
def test_deep_nesting_in_a_long_line(target: Target, depth: int) -> None:
    """Nesting orjson still reads (under 1,024 levels), in a line over MAX_TEXT, is refused."""
    body = json.dumps(event(type="visit_paid", summary="s" * (LONG - 1)))
    text = body[:-1] + ', "note": ' + "[" * depth + "]" * depth + "}\n"
    target.load_refused(target.write("deep-long.jsonl", text), 1)


QUERY_CASES: list[tuple[str, list[str]]] = [
    ("SQL in a dimension", ["who", "TALIBAN", "--where", "recognition) OR 1=1 --=x"]),
    ("SQL in a value", ["who", "TALIBAN", "--where", "recognition=x' OR '1'='1"]),
    ("SQL in a token value", ["who", "TALIBAN", "--where", "designations=a; DROP TABLE events"]),
    ("SQL in first", ["first", "TALIBAN", "--where", "envoy_sent=1 OR 1=1"]),
    ("SQL as actor", ["state", "RUS' OR '1'='1", "TALIBAN", "--on", "2025-07-04"]),
    ("SQL as counterpart", ["history", "RUS", SQL[0]]),
    ("SQL as a day", ["state", "RUS", "TALIBAN", "--on", "2025-07-04' OR 1=1 --"]),
    ("SQL as known-at", ["state", "RUS", "TALIBAN", "--on", "2025-07-04", "--known-at", SQL[1]]),
    ("SQL as an event id", ["retract", "' OR 1=1 --", "--reason", "r", "--source", "s"]),
    ("SQL in replay", ["replay", "--counterpart", SQL[6]]),
    ("year 10000", ["state", "RUS", "TALIBAN", "--on", "10000-01-01"]),
    ("30 February", ["who", "TALIBAN", "--where", "recognition=recognized", "--on", "2025-02-30"]),
    ("long entity", ["state", "X" * 100_000, "TALIBAN", "--on", "2025-07-04"]),
    ("NUL in an entity", ["state", "RUS\x00", "TALIBAN", "--on", "2025-07-04"]),
]


@pytest.mark.parametrize(("name", "args"), QUERY_CASES, ids=[c[0] for c in QUERY_CASES])
def test_hostile_queries(target: Target, name: str, args: list[str]) -> None:
    """A query with SQL or garbage in any argument is refused in one line and writes nothing."""
    target.refused(args, None)
    target.verifies()


SCENARIO_CASES: list[tuple[str, str | bytes, str]] = [
    ("Python", "import os\nos.system('touch pwned')\n", "invalid TOML"),
    ("no name", "[[add]]\ntype = 'recognition_granted'\n", "name"),
    ("unknown key", 'name = "s"\nexec = "rm -rf /"\n', "unknown key"),
    ("bad event", 'name = "s"\n[[add]]\ntype = "recognition_granted"\nactor = 5\n', "expected str"),
    ("not UTF-8", b'name = "\xff"\n', "not UTF-8"),
    ("empty", "", "name"),
]


@pytest.mark.parametrize(
    ("name", "text", "reason"), SCENARIO_CASES, ids=[c[0] for c in SCENARIO_CASES]
)
def test_hostile_scenarios(target: Target, name: str, text: str | bytes, reason: str) -> None:
    """A bad scenario file is refused in one line naming it; nothing is run or written."""
    path = target.write("scenario.toml", text)
    message = target.refused(["scenario", str(path), "--on", "2025-07-04"], path, ANY_LINE)
    assert re.search(reason, message), message
    assert not (target.folder / "pwned").exists()


# -- generated cases -------------------------------------------------------------------------

_TEXT = st.characters(exclude_categories=("Cs",))
_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(_TEXT, max_size=8)
)
JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(_TEXT, max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_NOT_NULL = JSON_VALUES.filter(lambda v: v is not None)


def _not_text() -> st.SearchStrategy[Any]:
    return _NOT_NULL.filter(lambda v: not isinstance(v, str))


def _not_int() -> st.SearchStrategy[Any]:
    return _NOT_NULL.filter(lambda v: type(v) is not int)


def _year(low: int = 1, high: int = 9999) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@st.composite
def bad_dates(draw: st.DrawFn) -> str:
    """Text that is never a valid date: out of range, impossible, reversed or garbage."""
    year = draw(_year())
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return str(draw(st.integers(10_000, 10**12)))  # five or more digits
    if kind == 1:
        return draw(st.sampled_from(["0000", "0000-01", "0000-06-15"]))
    if kind == 2:
        return f"-{year:04d}"
    if kind == 3:
        return f"{year:04d}-{draw(st.sampled_from([0, *range(13, 100)])):02d}"
    if kind == 4:
        month = draw(st.integers(1, 12))
        return f"{year:04d}-{month:02d}-{draw(st.sampled_from([0, *range(32, 100)])):02d}"
    if kind == 5:
        return f"{year:04d}-02-{draw(st.sampled_from([30, 31])):02d}"
    if kind == 6:
        low, high = sorted(draw(st.lists(_year(), min_size=2, max_size=2, unique=True)))
        return f"{high:04d}/{low:04d}"
    if kind == 7:
        return f"{year:04d}-{draw(st.integers(1, 12)):02d}-01T00:00:00Z"
    garbage = draw(st.text(_TEXT, min_size=1, max_size=12))
    return garbage + draw(st.sampled_from(["x", "Q", "\u00e9", "-", "/", ".."]))


@st.composite
def bad_timestamps(draw: st.DrawFn) -> str:
    """Text that is never a transaction time, nor one that leaves the calendar in UTC."""
    year = draw(_year(1, 9998))
    offset = f"{draw(st.integers(1, 23)):02d}:{draw(st.integers(0, 59)):02d}"
    return draw(
        st.sampled_from(
            [
                f"{draw(st.integers(10_000, 99_999))}-01-01T00:00:00Z",
                f"{year:04d}-13-01T00:00:00Z",
                f"{year:04d}-01-01T{draw(st.integers(24, 99))}:00:00Z",
                f"{year:04d}-02-30T00:00:00Z",
                f"{year:04d}/01/01 00:00",
                f"0001-01-01T00:00:00+{offset}",
                f"9999-12-31T23:59:59-{draw(st.integers(1, 23)):02d}:00",
                draw(st.text(_TEXT, max_size=10)) + "x",
            ]
        )
    )


def _unknown_entities() -> st.SearchStrategy[str]:
    declared = st.from_regex(r"X_[A-Z0-9_]{1,20}", fullmatch=True)  # valid form, never declared
    malformed = st.text(_TEXT, max_size=30).filter(
        lambda s: not re.fullmatch(r"[A-Z][A-Z0-9_]{0,63}", s)
    )
    sqlish = st.tuples(st.sampled_from(SQL), st.text(_TEXT, max_size=5)).map("".join)
    return declared | malformed | sqlish


@st.composite
def good_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """The stored shape of a valid event between known entities (as a ledger accepts it)."""
    kind = draw(st.sampled_from(STANDING_TYPES))
    made = draw(events_of(kind, actors=ACTORS))
    return to_dict(made)


def _required(body: Mapping[str, Any]) -> list[str]:
    cls = EVENT_CLASSES[body["type"]]
    own = [a.name for a in attrs.fields(cls) if a.default is attrs.NOTHING]
    return ["type", "sources", *own]


@st.composite
def broken_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event body with one change that no ledger may accept."""
    body = draw(good_bodies())
    kind = body["type"]
    fields = {a.name for a in attrs.fields(EVENT_CLASSES[kind])}
    known = fields | {"type", "schema"}
    how = draw(
        st.sampled_from(
            [
                "drop",
                "retype",
                "unknown key",
                "unknown type",
                "date",
                "timestamp",
                "entity",
                "source",
                "long",
                "nul",
                "schema",
            ]
        )
    )
    if how == "drop":
        del body[draw(st.sampled_from(_required(body)))]
    elif how == "retype":
        key = draw(st.sampled_from(sorted(body)))
        if key == "sources":  # generated keys are too short to spell "publisher": never valid
            body[key] = draw(_NOT_NULL | st.just([]))
        else:
            body[key] = draw(_not_int() if type(body[key]) is int else _not_text())
    elif how == "unknown key":
        key = draw(st.text(_TEXT, min_size=1, max_size=12).filter(lambda k: k not in known))
        body[key] = draw(_NOT_NULL)  # TOML has no null: the key must stay
    elif how == "unknown type":
        body["type"] = draw(st.text(_TEXT, max_size=30).filter(lambda t: t not in EVENT_CLASSES))
    elif how == "date":
        body["on"] = draw(bad_dates())
    elif how == "timestamp":
        body["recorded"] = draw(bad_timestamps())
    elif how == "entity":
        body[draw(st.sampled_from(["actor", "counterpart"]))] = draw(_unknown_entities())
    elif how == "source":
        source = dict(body["sources"][0])
        change = draw(st.sampled_from(["title", "publisher", "date", "extra"]))
        if change == "date":
            source["date"] = draw(bad_dates())
        elif change == "extra":
            source[draw(st.sampled_from(["page", "author", "id", "TITLE"]))] = "x"
        elif draw(st.booleans()):
            source[change] = draw(st.sampled_from(["", " ", "\t", "  \u3000"]))
        else:
            del source[change]
        body["sources"] = [source, *body["sources"][1:]]
    elif how == "long":
        key = draw(st.sampled_from(sorted({"note", "actor"} | fields & {"summary", "reason"})))
        body[key] = draw(st.sampled_from("x\u00c9\u5b57\U0001f600")) * draw(
            st.integers(LONG, 4 * LONG)
        )
    elif how == "nul":
        key = draw(st.sampled_from(["note", "actor", "on"]))
        text = draw(st.text(_TEXT, max_size=10))
        at = draw(st.integers(0, len(text)))
        body[key] = text[:at] + "\x00" + text[at:]
    else:
        body["schema"] = draw(
            st.sampled_from([0, -1, EVENT_CLASSES[kind].SCHEMA + 1, "1", True, 1.0, [1], {}])
        )
    return body


def _count() -> None:
    """Count one generated input for the fuzz test running now."""
    FUZZED[_current()] += 1


def _current() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0]


def _fuzz(run: Any) -> None:
    """Run a fuzz test's hypothesis function: it must try at least the profile's max_examples
    inputs (so the ten fuzz tests try at least 2,000 under the ci profile, in any worker)."""
    before = FUZZED[_current()]
    run()
    tried = FUZZED[_current()] - before
    assert tried >= PROFILE_EXAMPLES, f"{_current()}: {tried} inputs tried"


def test_fuzz_broken_events_jsonl(target: Target) -> None:
    """A JSON Lines ledger whose event has one fault is refused at that event's line."""

    @FUZZ
    @given(broken_bodies())
    def run(body: dict[str, Any]) -> None:
        _count()
        text = json.dumps({"entity": ENTITY}) + "\n" + json.dumps(body, ensure_ascii=False) + "\n"
        target.load_refused(target.write("fuzz-event.jsonl", text), 2)

    _fuzz(run)


def test_fuzz_broken_events_toml(target: Target) -> None:
    """A TOML ledger whose event has one fault is refused at that event's [[event]] line."""

    @FUZZ
    @given(broken_bodies())
    def run(body: dict[str, Any]) -> None:
        _count()
        text, header = toml_ledger(body)
        target.load_refused(target.write("fuzz-event.toml", text), header)

    _fuzz(run)


@st.composite
def good_files(draw: st.DrawFn) -> tuple[str, str]:
    """(suffix, text) of a one-event ledger whose every proper prefix is invalid.

    Sources come last and end with the required `date`, so a cut always loses something needed.
    """
    body = draw(good_bodies())
    body["sources"] = [{"title": "T", "publisher": "P", "date": "2025-07-04"}]
    if draw(st.booleans()):
        return ".jsonl", json.dumps(body, ensure_ascii=False) + "\n"
    return ".toml", "\n".join(toml_event(body)) + "\n"


def test_fuzz_truncated_files(target: Target) -> None:
    """A one-event ledger cut anywhere before its end is refused, naming the file."""

    @FUZZ
    @given(good_files(), st.data())
    def run(file: tuple[str, str], data: st.DataObject) -> None:
        suffix, text = file
        cut = data.draw(st.integers(0, len(text.rstrip()) - 1), label="cut")
        _count()
        target.load_refused(target.write(f"fuzz-cut{suffix}", text[:cut]), ANY_LINE)

    _fuzz(run)


_BAD_BYTES = st.sampled_from([0x00, *range(0x80, 0xC2), *range(0xF5, 0x100)])


def test_fuzz_corrupted_bytes(target: Target) -> None:
    """A NUL or a byte that cannot start UTF-8, put anywhere in a ledger, is refused at its line."""

    @FUZZ
    @given(good_files(), _BAD_BYTES, st.data())
    def run(file: tuple[str, str], bad: int, data: st.DataObject) -> None:
        suffix, text = file
        raw = text.encode()
        at = data.draw(st.integers(0, len(raw)), label="at")
        _count()
        line = raw[:at].count(b"\n") + 1
        path = target.write(f"fuzz-bytes{suffix}", raw[:at] + bytes([bad]) + raw[at:])
        if at == len(raw):  # after the last newline: a line of its own
            line = ANY_LINE
        target.load_refused(path, line)

    _fuzz(run)


def _not_blank_jsonl(data: bytes, suffix: str) -> bool:
    """False for JSON Lines text that is blank to str.strip() only: see test_blank_jsonl."""
    text = data.decode("utf-8", "replace")
    return suffix == ".toml" or bool(data.strip()) == bool(text.strip())


@pytest.mark.parametrize("blank", ["\x1c\n", "\u00a0\n", "\u2028", "\x1f \x85\n"])
def test_blank_jsonl(target: Target, blank: str) -> None:
    """A JSON Lines file of nothing but characters Python counts as space is refused."""
    target.load_refused(target.write("blank.jsonl", blank), ANY_LINE)


def test_fuzz_random_bytes(target: Target) -> None:
    """Arbitrary bytes are never a ledger, whatever the extension."""

    @FUZZ
    @given(st.binary(max_size=400), st.sampled_from([".jsonl", ".toml", ".ndjson"]))
    def run(data: bytes, suffix: str) -> None:
        assume(_not_blank_jsonl(data, suffix))
        _count()
        target.load_refused(target.write(f"fuzz-random{suffix}", data), ANY_LINE)

    _fuzz(run)


def test_fuzz_random_text(target: Target) -> None:
    """Arbitrary text, plain or shaped like TOML or JSON, is never a ledger."""
    shaped = st.one_of(
        st.text(_TEXT, max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "[[event]]",
                    "[[entity]]",
                    'type = "recognition_granted"',
                    "{",
                    "}",
                    '"',
                    "=",
                    "[",
                    "]",
                    ",",
                    "\n",
                    "actor = 'RUS'",
                    '{"type": ',
                    '"on": "2025"',
                ]
            ),
            max_size=30,
        ).map("".join),
    )

    @FUZZ
    @given(shaped, st.sampled_from([".jsonl", ".toml"]))
    def run(text: str, suffix: str) -> None:
        assume(_not_blank_jsonl(text.encode(), suffix))
        _count()
        target.load_refused(target.write(f"fuzz-text{suffix}", text), ANY_LINE)

    _fuzz(run)


def test_fuzz_json_values(target: Target) -> None:
    """A JSON Lines line holding any JSON value but a valid event is refused at that line."""

    @FUZZ
    @given(st.lists(JSON_VALUES, min_size=1, max_size=3))
    def run(values: list[Any]) -> None:
        _count()
        text = "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values)
        # With several lines, entity lines are read first: any bad line may be the one named.
        target.load_refused(
            target.write("fuzz-values.jsonl", text), 1 if len(values) == 1 else ANY_LINE
        )

    _fuzz(run)


def test_fuzz_deep_nesting(target: Target) -> None:
    """Nesting deep enough to exhaust a recursive parser is refused, in JSON and in TOML.

    (Lines under MAX_TEXT characters: for longer ones see test_deep_nesting_in_a_long_line.)
    """

    @FUZZ
    @given(
        st.integers(100, 20_000), st.sampled_from(["[", "{"]), st.sampled_from([".jsonl", ".toml"])
    )
    def run(depth: int, opener: str, suffix: str) -> None:
        _count()
        if suffix == ".jsonl":
            inner = (
                "[" * depth + "]" * depth if opener == "[" else '{"a": ' * depth + "1" + "}" * depth
            )
            text = json.dumps(GOOD)[:-1] + ', "note": ' + inner + "}\n"
            line: Any = 1
        else:
            inner = (
                "[" * depth + "]" * depth if opener == "[" else "{a = " * depth + "1" + "}" * depth
            )
            text = _TOML_GOOD.replace("[[event.sources]]", f"note = {inner}\n[[event.sources]]")
            line = ANY_LINE
        target.load_refused(target.write(f"fuzz-deep{suffix}", text), line)

    _fuzz(run)


def _valid_condition(where: str) -> bool:
    """Whether `--where` text is a condition the README allows: DIMENSION=VALUE (spaces around
    either trimmed), VALUE one of the dimension's values, or for a set dimension a token."""
    dimension, sep, value = where.partition("=")
    dimension, value = dimension.strip(), value.strip()
    if not sep or dimension not in DIMENSIONS:
        return False
    if dimension in VALUES:
        return value in VALUES[dimension]
    return re.fullmatch(r"[a-z][a-z0-9_]{0,63}", value) is not None


def test_fuzz_where_conditions(target: Target) -> None:
    """Any `--where` text is answered or refused in one line; an unknown dimension is refused."""
    sqlish = st.lists(
        st.sampled_from(
            [*SQL, *DIMENSIONS, "=", " ", "none", "recognized", "energy", "'", ")", "--", ";"]
        ),
        min_size=1,
        max_size=6,
    ).map("".join)

    @FUZZ
    @given(st.one_of(sqlish, st.text(_TEXT, max_size=40)), st.sampled_from(["who", "first"]))
    @example("designations=x' OR '1'='1", "who")  # a set dimension's value must be a token
    @example("cooperation=Energy", "first")
    @example("recognition=maybe", "who")  # an enumerated one's, one of its values
    @example(" stance = partner ", "first")
    def run(where: str, command: str) -> None:
        _count()
        args = [command, "TALIBAN", f"--where={where}"]
        args += ["--on", "2025-07-04"] if command == "who" else []
        result = target.run(*args)
        if _valid_condition(where):
            assert result.exit_code == 0 and result.exception is None, result.output
        else:
            refusal(result, None, None)
        assert target.unchanged()

    _fuzz(run)


def test_fuzz_entity_arguments(target: Target) -> None:
    """Any ACTOR and COUNTERPART text is answered or refused in one line; unknown ones refused."""
    known = set(iso_states()) | {"TALIBAN", "ISIS", "ISKP"}

    @FUZZ
    @given(
        st.one_of(_unknown_entities(), st.sampled_from(ACTORS)),
        st.one_of(_unknown_entities(), st.sampled_from(ACTORS)),
        st.sampled_from(["state", "history"]),
    )
    @example("--help", "TALIBAN", "state")  # a text that looks like an option is still an entity
    @example("RUS", "-0", "history")
    def run(actor: str, counterpart: str, command: str) -> None:
        assume(actor != counterpart)
        _count()
        # `--` ends the options, as a shell user must write it before an entity text that
        # starts with "-" (without it, click reads the text as an option).
        options = ["--on", "2025-07-04"] if command == "state" else []
        result = target.run(command, *options, "--", actor, counterpart)
        if actor in known and counterpart in known:
            assert result.exit_code == 0, result.output
        else:
            refusal(result, None, None)
        assert target.unchanged()

    _fuzz(run)


def test_good_bodies_load(tmp_path: Path) -> None:
    """The generated events the fuzz tests break are themselves valid: they load."""
    cli = CliRunner()
    db = str(tmp_path / "good.db")
    assert (
        cli.invoke(main, ["--db", db, "load", "--quiet", *(str(p) for p in seed_files())]).exit_code
        == 0
    )

    @settings(max_examples=max(PROFILE_EXAMPLES // 3, 5), deadline=None)
    @given(good_files())
    def run(file: tuple[str, str]) -> None:
        suffix, text = file
        path = tmp_path / f"good{suffix}"
        path.write_text(text)
        result = cli.invoke(main, ["--db", db, "load", "--quiet", str(path)])
        assert result.exit_code == 0, result.output

    run()
