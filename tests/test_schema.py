"""Schema evolution: what an older version wrote still loads, verifies and answers the same.

`attack_carried_out` is at schema 2: schema 1's `casualties` became `killed`. The golden
fixtures in tests/fixtures/golden/ were written by the schema-1 code (commit eb8bb0a, by
make_v1.py): a ledger, the database its load built, and that version's answers to a fixed list
of questions. The current code must give the same ids, chain head and answers from both.

The rule that keeps ids stable: an event keeps the schema version it was written in (its
`schema` field); it is stored, hashed and exported in that version's shape (downcast), and
upcast only to be read. So nothing already stored or already in a ledger changes its id.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from events import (
    DOWNCASTERS,
    EVENT_CLASSES,
    UPCASTERS,
    AttackCarriedOut,
    Event,
    EventFormatError,
    Source,
    dumps,
    event_id,
    from_dict,
    to_dict,
)
from tracker.cli import main, seed_files
from tracker.store import Store

from .strategies import events_of

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
EXPECTED: dict[str, Any] = json.loads((GOLDEN / "v1_expected.json").read_text(encoding="utf-8"))
# The fixtures as the schema-1 code wrote them: a changed file is a regenerated one.
DIGESTS = {
    "v1.db": "6a31a7fc4cced5977b7563106872ed612e21020ea872e6e7ab6ea2616111b1af",
    "v1_ledger.jsonl": "a3dd008864c8d6d983950aac53bf11767e1ca24e22d34639a3afbc9105304423",
    "v1_expected.json": "e39a54edfc453ac54bf47bc8d2f65b1aa5e2ed34b85f5ce5e8f4e6dceb355cd5",
}
SOURCE = Source(title="Report", publisher="Reuters", date="2024-03-23")


def answers(db: Path) -> dict[str, Any]:
    """The answers the current code gives to the golden questions, in the golden format."""
    runner = CliRunner()
    found: dict[str, Any] = {}
    for name, question in EXPECTED["answers"].items():
        args = question["args"]
        result = runner.invoke(main, ["--db", str(db), "--no-seed", *args])
        output: Any = result.stdout
        if "--json" in args and name != "replay":
            output = json.loads(output)
        found[name] = {"args": args, "exit_code": result.exit_code, "output": output}
    return found


CLOCK = "(clock)"  # where an answer holds the time the store learned an entity declaration


def timeless(found: dict[str, Any]) -> dict[str, Any]:
    """The answers with the clock's times masked: the golden ledger declares its entities
    without `recorded`, so the store stamps them (and their chain head) when it loads them."""
    export = found["export"]["output"]
    masked = re.sub(r'(\{"entity": .*"recorded": )"[^"]*"', rf'\1"{CLOCK}"', export)
    verify = dict(found["verify"]["output"])
    verify["head"] = re.sub(r":[0-9a-f]{64}$", f":{CLOCK}", verify["head"])
    verify["chains"] = {**verify["chains"], "entities": CLOCK}
    return {
        **found,
        "export": {**found["export"], "output": masked},
        "verify": {**found["verify"], "output": verify},
    }


def differences(found: dict[str, Any]) -> list[str]:
    """The golden questions whose answers differ (times from the clock aside)."""
    found = timeless(found)
    return [name for name, expected in EXPECTED["answers"].items() if found[name] != expected]


@pytest.fixture
def golden_db(tmp_path: Path) -> Path:
    """A copy of the golden database (opening a database in WAL mode writes beside it)."""
    return Path(shutil.copyfile(GOLDEN / "v1.db", tmp_path / "v1.db"))


def load(db: Path, *paths: Path) -> str:
    """`tracker --db DB load --quiet PATHS...`; its output line."""
    result = CliRunner().invoke(
        main, ["--db", str(db), "--no-seed", "load", "--quiet", *map(str, paths)]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


class TestGoldenFixtures:
    """The fixtures are the ones the schema-1 code wrote."""

    @pytest.mark.parametrize("name", sorted(DIGESTS))
    def test_unchanged(self, name: str) -> None:
        """Each fixture file has the digest it was written with."""
        digest = hashlib.sha256((GOLDEN / name).read_bytes()).hexdigest()
        assert digest == DIGESTS[name], f"{name} changed: see RELIABILITY.md, step 2"

    def test_they_hold_schema_1_attacks(self) -> None:
        """The ledger has attacks written as schema 1 (`casualties`, no `schema`)."""
        lines = [json.loads(line) for line in (GOLDEN / "v1_ledger.jsonl").read_text().splitlines()]
        attacks = [line for line in lines if line.get("type") == "attack_carried_out"]
        assert len(attacks) == 4 and all("schema" not in a for a in attacks)
        assert {a.get("casualties") for a in attacks} == {133, 149, None, 0}


class TestGoldenLedger:
    """The golden ledger, loaded by the current code."""

    def test_same_answers(self, tmp_path: Path) -> None:
        """Loading it gives the same report and the same answer to every golden question."""
        db = tmp_path / "fresh.db"
        assert load(db, GOLDEN / "v1_ledger.jsonl") == EXPECTED["load"]
        assert differences(answers(db)) == []

    def test_loading_again_adds_nothing(self, tmp_path: Path) -> None:
        """Its ids are stable: a second load finds every event already present."""
        db = tmp_path / "fresh.db"
        load(db, GOLDEN / "v1_ledger.jsonl")
        again = load(db, GOLDEN / "v1_ledger.jsonl")
        assert again.startswith("loaded 0 new events, 17 already present")

    def test_export_round_trip(self, tmp_path: Path) -> None:
        """Exported and loaded into a new database, it keeps its ids and chain head."""
        db, copy = tmp_path / "fresh.db", tmp_path / "copy.db"
        load(db, GOLDEN / "v1_ledger.jsonl")
        exported = CliRunner().invoke(main, ["--db", str(db), "export"]).stdout
        masked = timeless({"export": {"output": exported}, "verify": EXPECTED["answers"]["verify"]})
        assert masked["export"]["output"] == EXPECTED["answers"]["export"]["output"]
        (tmp_path / "export.jsonl").write_text(exported, encoding="utf-8")
        load(copy, tmp_path / "export.jsonl")
        with Store(db) as one, Store(copy) as two:
            assert one.head() == two.head()


class TestGoldenDatabase:
    """The golden database, opened by the current code."""

    def test_verifies(self, golden_db: Path) -> None:
        """`tracker verify` passes with the same count and chain head."""
        result = CliRunner().invoke(main, ["--db", str(golden_db), "verify", "--json"])
        assert result.exit_code == 0, result.output
        found = {"verify": {"output": json.loads(result.stdout)}, "export": {"output": ""}}
        assert timeless(found)["verify"]["output"] == EXPECTED["answers"]["verify"]["output"]

    def test_same_answers(self, golden_db: Path) -> None:
        """Every golden question gets the answer the schema-1 code gave."""
        assert differences(answers(golden_db)) == []

    def test_golden_ledger_adds_nothing(self, golden_db: Path) -> None:
        """Loading the ledger it was built from adds nothing: the ids did not move."""
        with Store(golden_db) as store:
            head = store.head()
        assert load(golden_db, GOLDEN / "v1_ledger.jsonl").startswith("loaded 0 new events")
        with Store(golden_db) as store:
            assert store.head() == head

    def test_bodies_stay_as_written(self, golden_db: Path) -> None:
        """Stored schema-1 bodies are read upcast (killed) and rewritten as they were stored."""
        with Store(golden_db) as store:
            attacks = [r for r in store.scan() if r.type == "attack_carried_out"]
            assert len(attacks) == 4
            for record in attacks:
                body = json.loads(record.body)
                assert "schema" not in body and "killed" not in body
                event = record.event
                assert isinstance(event, AttackCarriedOut) and event.schema == 1
                assert event.killed == body.get("casualties")
                assert dumps({k: v for k, v in to_dict(event).items() if k != "recorded"}) == (
                    record.body
                )
                assert event_id(event) == record.id

    def test_ids_are_hashes_of_stored_bodies(self, golden_db: Path) -> None:
        """Every id is the hash of its stored body (without `schema`), as it was written."""
        with Store(golden_db) as store:
            for record in store.scan():
                body = {k: v for k, v in json.loads(record.body).items() if k != "schema"}
                assert hashlib.sha256(dumps(body).encode()).hexdigest()[:24] == record.id

    def test_rebuild_gives_the_same_projections(self, golden_db: Path) -> None:
        """The intervals the schema-1 code wrote are those the current code refolds when it
        first opens the store (the derived tables' layout changed) and on a rebuild, but for
        the layout's two additions: a `machine` column (0 here: no event is machine-coded) and
        each head of mission's second view (an envoy_sent is the receiver's envoy_received)."""
        query = "SELECT * FROM intervals ORDER BY 1, 2, 3, 4"
        with sqlite3.connect(golden_db) as conn:
            written = conn.execute(query).fetchall()
        assert written
        mirrors = [
            (c, a, "envoy_received", *rest) for a, c, d, *rest in written if d == "envoy_sent"
        ]
        with Store(golden_db) as store:
            for _ in range(2):
                found = store.conn.execute(query).fetchall()
                assert {row[-1] for row in found} == {0}
                assert sorted(row[:-1] for row in found) == sorted({*written, *mirrors})
                store.rebuild()
            assert store.verify() == []

    def test_new_schema_events_append(self, golden_db: Path) -> None:
        """A schema-2 event appends after schema-1 ones; the chain still verifies."""
        attack = AttackCarriedOut(
            actor="ISIS",
            counterpart="RUS",
            on="2024-03-22",
            sources=(SOURCE,),
            summary="s",
            killed=145,
        )
        with Store(golden_db) as store:
            report = store.append([attack])
            assert report.added == 1
            stored = store.stored(report.ids[0])
            assert stored is not None
            body = json.loads(stored.body)
            assert body["schema"] == 2 and body["killed"] == 145 and "casualties" not in body
            assert store.verify() == []


def attacks(version: int) -> st.SearchStrategy[Event]:
    """attack_carried_out events as written in schema `version`."""
    return events_of("attack_carried_out").map(lambda e: attrs.evolve(e, schema=version))


class TestAttackSchema:
    """attack_carried_out 1 -> 2: the upcaster, its inverse, and what each version reads."""

    @given(attacks(1))
    def test_schema_1_events_are_written_as_schema_1(self, event: Event) -> None:
        """An event read from a schema-1 body is stored in that body, with the same id."""
        assert isinstance(event, AttackCarriedOut)
        body = to_dict(event)
        assert "schema" not in body and "killed" not in body
        assert body.get("casualties") == event.killed
        assert from_dict(body) == event
        assert from_dict(json.loads(json.dumps(body))) == event
        assert event_id(from_dict(body)) == event_id(event)

    @given(attacks(2))
    def test_schema_2_events_are_written_as_schema_2(self, event: Event) -> None:
        """A new event is written in the current schema: `schema = 2` and `killed`."""
        assert isinstance(event, AttackCarriedOut)
        body = to_dict(event)
        assert body["schema"] == 2 and "casualties" not in body
        assert body.get("killed") == event.killed
        assert from_dict(body) == event

    @given(attacks(1))
    def test_upcast_then_downcast_is_the_identity(self, event: Event) -> None:
        """The upcaster loses nothing: down(up(body)) == body, and up(down(new)) == new."""
        old = to_dict(event)
        new = UPCASTERS[("attack_carried_out", 1)](old)
        assert DOWNCASTERS[("attack_carried_out", 1)](new) == old
        assert list(DOWNCASTERS[("attack_carried_out", 1)](new)) == list(old)  # key order too
        current = to_dict(attrs.evolve(event, schema=2))
        current.pop("schema")
        assert (
            UPCASTERS[("attack_carried_out", 1)](DOWNCASTERS[("attack_carried_out", 1)](current))
            == current
        )

    @given(attacks(1))
    def test_versions_of_one_fact(self, event: Event) -> None:
        """A count written in schema 1 and in schema 2 is two texts, two ids; without a count
        the texts differ only in the `schema` tag, which is not content: one id."""
        newer = attrs.evolve(event, schema=2)
        assert newer != event and newer.killed == event.killed  # type: ignore[attr-defined]
        same = event.killed is None  # type: ignore[attr-defined]
        assert (event_id(newer) == event_id(event)) == same

    def test_every_older_version_has_both_casters(self) -> None:
        """Each version below a type's current one has an upcaster and a downcaster; no others."""
        wanted = {(t, v) for t, cls in EVENT_CLASSES.items() for v in range(1, cls.SCHEMA)}
        assert set(UPCASTERS) == wanted == set(DOWNCASTERS)
        assert EVENT_CLASSES["attack_carried_out"].SCHEMA == 2

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"killed": 3}, "schema = 2"),
            ({"schema": 2, "casualties": 3}, "casualties"),
            ({"schema": 3}, "unsupported schema"),
            ({"schema": 0}, "unsupported schema"),
            ({"schema": 2.0}, "unsupported schema"),
        ],
    )
    def test_each_version_reads_only_its_own_fields(
        self, changes: dict[str, Any], message: str
    ) -> None:
        """`killed` needs schema 2, `casualties` is schema 1 only, other versions are refused."""
        body = {"type": "attack_carried_out", "actor": "ISIS", "counterpart": "RUS", "on": "2024"}
        with pytest.raises(EventFormatError, match=message):
            from_dict({**body, "summary": "s", **changes})

    def test_schema_is_validated(self) -> None:
        """An event cannot claim a version its type does not have."""
        with pytest.raises(ValueError, match="schema"):
            AttackCarriedOut(actor="ISIS", counterpart="RUS", on="2024", summary="s", schema=3)
        with pytest.raises(ValueError, match="schema"):
            AttackCarriedOut(actor="ISIS", counterpart="RUS", on="2024", summary="s", schema=0)

    def test_seed_attack_keeps_its_id(self, tmp_path: Path) -> None:
        """The seed ledger's attack, written in schema 1, keeps the id it had under schema 1."""
        db = tmp_path / "seeded.db"
        load(db, *seed_files())
        with Store(db) as store:
            (attack,) = [r for r in store.scan() if r.type == "attack_carried_out"]
            assert json.loads(attack.body)["casualties"] == 149
            assert attack.id == "36075eada8f432d97469ead5"
            assert store.verify() == []


class TestDocumentation:
    """RELIABILITY.md: the promises, the tests that prove them, how to add a schema version."""

    TEXT = (ROOT / "RELIABILITY.md").read_text(encoding="utf-8")

    def test_schema_steps_are_documented(self) -> None:
        """The document has the steps for adding a schema version."""
        assert "## How to add a schema version" in self.TEXT
        for word in ("UPCASTERS", "DOWNCASTERS", "SCHEMA", "golden"):
            assert word in self.TEXT

    def test_every_cited_test_exists(self) -> None:
        """Each `tests/FILE::[CLASS::]TEST` the document cites names a real test."""
        cited = re.findall(r"tests/(test_\w+\.py)::([\w:]+)", self.TEXT)
        assert len(cited) >= 15
        trees = {
            file: ast.parse((ROOT / "tests" / file).read_text(encoding="utf-8"))
            for file in {file for file, _ in cited}
        }
        for file, name in cited:
            assert _defines(trees[file], name.split("::")), f"tests/{file}::{name} does not exist"


def _defines(tree: ast.AST, parts: list[str]) -> bool:
    """Whether `tree` defines the class/function path `parts` at its top level."""
    body = getattr(tree, "body", [])
    for node in body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name == parts[0]:
            return len(parts) == 1 or _defines(node, parts[1:])
    return False
