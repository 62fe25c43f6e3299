"""Strict parsing, nothing accepted silently: duplicate keys, escaped keys, entities declared
again, text with nothing visible, a database that keeps nothing, and text that would move the
terminal's cursor when printed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tracker.errors import TrackerError
from tracker.store import Store

from .conftest import Cli

EVENT = {
    "type": "statement_made",
    "actor": "RUS",
    "counterpart": "CHN",
    "on": "2025-07-01",
    "stance": "partner",
    "sources": [{"title": "Report", "publisher": "Wire", "date": "2025-07-01"}],
}


def write(folder: Path, name: str, text: str) -> Path:
    """A ledger file."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(cli: Cli, path: Path, line: int | None, reason: str) -> None:
    """`load PATH` fails in one line naming the file (and line) and the reason; nothing added."""
    before = cli("export").stdout
    result = cli("load", "--quiet", str(path))
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {where}"), result.stderr
    assert reason in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert cli("export").stdout == before


class TestJsonKeys:
    """JSON Lines objects are read as strictly as TOML tables."""

    @pytest.mark.parametrize(
        "line",
        [
            '{"type": "statement_made", "type": "visit_paid"}',
            json.dumps(EVENT)[:-1] + ', "stance": "adversary"}',
            json.dumps(EVENT).replace('"publisher": "Wire"', '"publisher": "Wire", "title": "B"'),
            '{"entity": {"id": "X", "id": "Y", "name": "n", "kind": "group"}}',
        ],
    )
    def test_duplicate_keys_are_refused(self, seeded_cli: Cli, tmp_path: Path, line: str) -> None:
        """A key given twice, at any depth, is refused naming the line (the last no longer
        wins without a word)."""
        path = write(tmp_path, "dup.jsonl", json.dumps(EVENT) + "\n" + line + "\n")
        refused(seeded_cli, path, 2, "duplicate key")

    def test_escaped_keys_read_as_what_they_spell(self, seeded_cli: Cli, tmp_path: Path) -> None:
        """`{"\\u0065ntity": ...}` declares an entity, and escaped event keys are read too."""
        entity = '{"\\u0065ntity": {"id": "ESCAPED", "name": "Escaped group", "kind": "group"}}'
        event = json.dumps({**EVENT, "counterpart": "ESCAPED"}).replace('"type"', '"\\u0074ype"')
        path = write(tmp_path, "escaped.jsonl", entity + "\n" + event + "\n")
        result = seeded_cli("load", "--quiet", str(path))
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("loaded 1 new event,")
        assert "ESCAPED" in seeded_cli("entities").stdout


class TestEntities:
    """Declaring an entity that exists with another name or kind needs `revise = true`."""

    def test_a_changed_declaration_is_refused(self, seeded_cli: Cli, tmp_path: Path) -> None:
        """TALIBAN declared with another name, RUS as a group: refused, naming file and line."""
        taliban = write(
            tmp_path, "t.toml", '[[entity]]\nid = "TALIBAN"\nname = "Other"\nkind = "government"\n'
        )
        refused(seeded_cli, taliban, 1, "entity TALIBAN is already")
        rus = write(
            tmp_path,
            "r.jsonl",
            '{"entity": {"id": "RUS", "name": "Not Russia", "kind": "group"}}\n',
        )
        refused(seeded_cli, rus, 1, "entity RUS is already 'Russian Federation' (state)")

    def test_the_refusal_describes_both_declarations_in_full(self) -> None:
        """The refusal names the stored entity and the new declaration: name, kind and aliases
        (comma-separated, and only when there are some)."""
        from tracker.entities import Entity

        with Store(":memory:") as store:
            store.append([], [Entity("XG", "Ex group", "group", ("Ex", "XG-1"))])
            with pytest.raises(TrackerError) as refused_error:
                store.append([], [Entity("XG", "Other", "government")])
        assert str(refused_error.value) == (
            "entity XG is already 'Ex group' (group, aliases Ex, XG-1); this declares it "
            "'Other' (government): to change it, declare it with revise = true"
        )

    def test_a_revision_is_kept_beside_the_old_one(self, seeded_cli: Cli, tmp_path: Path) -> None:
        """With revise = true the change is made and both declarations stay in the log; the
        export carries both, and loads back to the same log."""
        path = write(
            tmp_path,
            "rev.toml",
            '[[entity]]\nid = "ISKP"\nname = "ISIS-K"\nkind = "group"\nrevise = true\n',
        )
        assert seeded_cli("load", str(path)).exit_code == 0
        assert "ISIS-K" in seeded_cli("entities").stdout
        conn = sqlite3.connect(seeded_cli.db)
        names = [r[0] for r in conn.execute("SELECT name FROM entity_log WHERE id = 'ISKP'")]
        conn.close()
        assert names == ["Islamic State Khorasan Province", "ISIS-K"]
        out = tmp_path / "export.jsonl"
        assert seeded_cli("export", "-o", str(out)).exit_code == 0
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        revised = [x["entity"] for x in lines if "entity" in x and x["entity"]["id"] == "ISKP"]
        assert [e.get("revise", False) for e in revised] == [False, True]
        copy = Cli(tmp_path / "copy.db")
        assert copy("load", str(out)).exit_code == 0
        heads = [json.loads(c("verify", "--json").stdout)["head"] for c in (seeded_cli, copy)]
        assert heads[0] == heads[1]

    def test_the_same_declaration_again_adds_nothing(self, seeded_cli: Cli) -> None:
        """Loading the seeds again declares nothing new."""
        from tracker.opening import seed_files

        before = json.loads(seeded_cli("verify", "--json").stdout)["head"]
        assert seeded_cli("load", *map(str, seed_files())).exit_code == 0
        assert json.loads(seeded_cli("verify", "--json").stdout)["head"] == before

    def test_a_declaration_as_stored_does_not_end_the_ones_after_it(self) -> None:
        """A declaration the store already holds is passed over, and the ones after it in the
        same load are still declared (each new one once in the log)."""
        from tracker.entities import Entity

        with Store(":memory:") as store:
            store.append([], [Entity("XA", "Ex a", "group")])
            store.append([], [Entity("XA", "Ex a", "group"), Entity("XB", "Ex b", "group")])
            assert {e.id for e in store.entities()} >= {"XA", "XB"}
            logged = store.conn.execute("SELECT id FROM entity_log ORDER BY seq").fetchall()
        assert logged == [("XA",), ("XB",)]

    def test_one_load_declaring_an_entity_twice(self) -> None:
        """Within one load a second declaration is held to the first: the same again adds
        nothing to the log, another name without `revise` is refused."""
        from tracker.entities import Entity

        with Store(":memory:") as store:
            same = Entity("XC", "Ex c", "group")
            store.append([], [same, same])
            logged = store.conn.execute("SELECT id FROM entity_log").fetchall()
            assert logged == [("XC",)]
            with pytest.raises(TrackerError) as error:
                store.append([], [Entity("XD", "Ex d", "group"), Entity("XD", "Other", "group")])
            assert str(error.value) == (
                "entity XD is already 'Ex d' (group); this declares it 'Other' (group): to "
                "change it, declare it with revise = true"
            )
            assert "XD" not in {e.id for e in store.entities()}

    @pytest.mark.parametrize(
        ("entity", "reason"),
        [
            (("x1", "Ex", "group"), "entity: id 'x1' must be uppercase letters, digits and _"),
            (("XE", "Ex", "club"), "entity XE: kind 'club' is not one of "),
            (("XE", " ", "group"), "entity XE: 'name' is required and must be text"),
        ],
    )
    def test_an_invalid_declaration_from_python_names_its_reason(
        self, entity: tuple[str, str, str], reason: str
    ) -> None:
        """An Entity given to Store.append (not read from a ledger) that fails validation is a
        TrackerError saying why, and nothing is declared."""
        from tracker.entities import Entity

        with Store(":memory:") as store:
            with pytest.raises(TrackerError) as error:
                store.append([], [Entity(*entity)])
            assert str(error.value).startswith(reason), str(error.value)
            assert store.conn.execute("SELECT count(*) FROM entity_log").fetchone() == (0,)


@pytest.mark.parametrize(
    ("where", "value"),
    [("title", "\u200b"), ("publisher", " \u2060 "), ("title", "\u3164"), ("publisher", "")],
)
def test_nothing_visible_is_no_text(
    seeded_cli: Cli, tmp_path: Path, where: str, value: str
) -> None:
    """A title or publisher of zero-width or blank characters is refused."""
    event = {**EVENT, "sources": [{**EVENT["sources"][0], where: value}]}  # type: ignore[dict-item]
    path = write(tmp_path, "blank.jsonl", json.dumps(event) + "\n")
    refused(seeded_cli, path, 1, "a source needs a title and a publisher")


@pytest.mark.parametrize("name", [":memory:", ""])
def test_a_database_that_keeps_nothing_is_refused(cli: Cli, name: str) -> None:
    """`--db :memory:` (or an empty path) is refused instead of "loading" into nothing."""
    result = cli.bare("--db", name, "entities")
    assert result.exit_code == 1 and "is not a database file" in result.stderr


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_export_never_overwrites_the_database(seeded_cli: Cli, suffix: str) -> None:
    """`export -o` naming the database or a file SQLite keeps beside it is refused."""
    before = seeded_cli("export").stdout
    result = seeded_cli("export", "-o", f"{seeded_cli.db}{suffix}")
    assert result.exit_code == 1 and "that is the database itself" in result.stderr
    assert seeded_cli("export").stdout == before


HOSTILE = "Wire\x1b]0;retitled\x07\r\x1b[2K\u202ehidden"


@pytest.mark.parametrize(
    "args",
    [
        ["state", "RUS", "CHN", "--on", "2025-07-04"],
        ["history", "RUS", "CHN"],
        ["replay", "RUS", "CHN"],
        ["entities"],
    ],
)
def test_printed_text_cannot_move_the_cursor(
    seeded_cli: Cli, tmp_path: Path, args: list[str]
) -> None:
    """Escape sequences, carriage returns and direction overrides in a source, a reason or an
    entity's name are printed escaped."""
    from events import event_id, from_dict

    kept = {**EVENT, "sources": [{**EVENT["sources"][0], "publisher": HOSTILE}]}
    withdrawn = {**EVENT, "on": "2024-01-01", "note": "withdrawn below"}
    retraction = {
        **{k: v for k, v in EVENT.items() if k != "stance"},
        "type": "event_retracted",
        "target": event_id(from_dict(withdrawn)),
        "reason": HOSTILE,
    }
    entity = {"entity": {"id": "SNEAKY", "name": HOSTILE, "kind": "group"}}
    lines = [entity, kept, withdrawn, retraction]
    path = write(tmp_path, "esc.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    assert seeded_cli("load", str(path)).exit_code == 0
    shown = seeded_cli(*args).stdout
    assert (
        "\x1b" not in shown and "\r" not in shown and "\u202e" not in shown and "\x07" not in shown
    )
    assert "\\x1b]0;retitled\\x07\\r\\x1b[2K\\u202ehidden" in shown


def test_a_scenario_name_cannot_move_the_cursor(seeded_cli: Cli, tmp_path: Path) -> None:
    """A scenario's name is printed escaped too."""
    path = write(tmp_path, "s.toml", 'name = "s\\u001b[2J\\r"\ncompare_on = [2026-01-01]\n')
    shown = seeded_cli("scenario", str(path)).stdout
    assert "\x1b" not in shown and "\r" not in shown and "s\\x1b[2J\\r" in shown
