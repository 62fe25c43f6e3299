"""Ledger files: TOML and JSON Lines, validated, with file:line errors, and dump round-trips."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import attrs
import pytest
from hypothesis import given

from events import Event, Source, event_id
from tracker.entities import Entity
from tracker.errors import LedgerError
from tracker.ledger import MAX_TEXT, dump, read

from .strategies import ENTITIES, event_lists, to_records

ENTITY_TOML = """\
[[entity]]
id = "TALIBAN"
name = "Taliban government of Afghanistan"
kind = "government"
aliases = ["Islamic Emirate of Afghanistan"]
"""

EVENT_TOML = """\
[[event]]
type = "recognition_granted"
actor = "RUS"
counterpart = "TALIBAN"
on = 2025-07-03
recorded = 2025-07-04
[[event.sources]]
title = "Moscow aims to deepen cooperation"
publisher = "Reuters"
date = 2025-07-04
locator = "para. 1"
"""

SOURCES = [{"title": "Report", "publisher": "Reuters", "date": "2025-07-04"}]


def event_line(**changes: object) -> str:
    """One JSON Lines event, with `changes`."""
    body: dict[str, object] = {
        "type": "envoy_sent",
        "actor": "CHN",
        "counterpart": "TALIBAN",
        "on": "../2025-07-04",
        "level": "ambassador",
        "sources": SOURCES,
    }
    body.update(changes)
    return json.dumps(body, ensure_ascii=False)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """Write a ledger file under tmp_path."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


class TestRead:
    """ledger.read: TOML and JSON Lines, entities and events."""

    def test_toml_entities_and_events(self, tmp_path: Path) -> None:
        """A TOML ledger gives its entities and events, each with the line it starts on."""
        path = write(tmp_path, "a.toml", ENTITY_TOML + "\n" + EVENT_TOML)
        ledger = read(path)
        assert [e.item for e in ledger.entities] == [
            Entity(
                "TALIBAN",
                "Taliban government of Afghanistan",
                "government",
                ("Islamic Emirate of Afghanistan",),
            )
        ]
        [located] = ledger.events
        assert (located.path, located.line) == (str(path), 7)
        event = located.item
        assert (event.type, event.actor, event.counterpart, event.on) == (
            "recognition_granted",
            "RUS",
            "TALIBAN",
            "2025-07-03",
        )
        assert event.recorded == "2025-07-04T23:59:59Z"
        assert event.sources == (
            Source(
                title="Moscow aims to deepen cooperation",
                publisher="Reuters",
                date="2025-07-04",
                locator="para. 1",
            ),
        )

    def test_toml_dates_and_string_dates_agree(self, tmp_path: Path) -> None:
        """A TOML date and the same date as a string give the same event and id."""
        native = write(tmp_path, "native.toml", EVENT_TOML)
        text = EVENT_TOML.replace("on = 2025-07-03", 'on = "2025-07-03"')
        text = text.replace("date = 2025-07-04", 'date = "2025-07-04"')
        text = text.replace("recorded = 2025-07-04", 'recorded = "2025-07-04"')
        quoted = write(tmp_path, "quoted.toml", text)
        [a], [b] = read(native).events, read(quoted).events
        assert a.item == b.item and event_id(a.item) == event_id(b.item)

    def test_jsonl_entities_and_events(self, tmp_path: Path) -> None:
        """A JSON Lines ledger gives entities and events with their line numbers; blanks skip."""
        entity = {"entity": {"id": "TALIBAN", "name": "Taliban", "kind": "government"}}
        content = "\n".join([json.dumps(entity), "", event_line(), event_line(actor="PAK")]) + "\n"
        path = write(tmp_path, "a.jsonl", content)
        ledger = read(path)
        assert [e.item.id for e in ledger.entities] == ["TALIBAN"]
        assert [(e.line, e.item.actor) for e in ledger.events] == [(3, "CHN"), (4, "PAK")]
        assert ledger.events[0].item.level == "ambassador"

    def test_inline_sources_and_crlf(self, tmp_path: Path) -> None:
        """Inline-table sources and Windows line endings read, with the right line numbers."""
        inline = EVENT_TOML.split("[[event.sources]]")[0] + (
            'sources = [{ title = "T", publisher = "P", date = 2025-07-04 }]\n'
        )
        toml = write(tmp_path, "crlf.toml", (ENTITY_TOML + "\n" + inline).replace("\n", "\r\n"))
        [located] = read(toml).events
        assert located.line == 7 and located.item.sources[0].title == "T"
        jsonl = write(
            tmp_path, "crlf.jsonl", f"{event_line()}\r\n\r\n{event_line(actor='PAK')}\r\n"
        )
        assert [e.line for e in read(jsonl).events] == [1, 3]

    def test_values_are_normalized(self, tmp_path: Path) -> None:
        """Valid time is stripped and transaction time normalized to UTC."""
        line = event_line(on=" 2025-07 ", recorded="2025-07-04T10:00:00+02:00")
        [located] = read(write(tmp_path, "a.jsonl", line + "\n")).events
        assert (located.item.on, located.item.recorded) == ("2025-07", "2025-07-04T08:00:00Z")

    def test_seed_ledgers_read(self) -> None:
        """The bundled seed ledgers are valid."""
        from tracker.cli import seed_files

        files = seed_files()
        assert files
        assert sum(len(read(p).events) for p in files) > 0


CASES = [
    # name, content, line, reason
    ("bad.toml", ENTITY_TOML + "\n[[event]]\ntype = recognition_granted\n", 8, "invalid TOML"),
    ("bad.jsonl", event_line() + "\n" + '{"type": "envoy_sent", "actor": \n', 2, "invalid JSON"),
    (
        "type.toml",
        EVENT_TOML.replace("recognition_granted", "recognition_grantd"),
        1,
        "did you mean recognition_granted",
    ),
    ("nosource.jsonl", event_line(sources=[]) + "\n", 1, "source"),
    (
        "nosource.toml",
        EVENT_TOML.split("[[event.sources]]")[0],
        1,
        "at least one source",
    ),
    ("date.jsonl", event_line() + "\n" + event_line(on="2025-02-30") + "\n", 2, "does not exist"),
    ("date.toml", EVENT_TOML.replace("2025-07-03", '"2025-02-30"'), 1, "does not exist"),
    ("key.jsonl", event_line(colour="red") + "\n", 1, "colour"),
    (
        "key.toml",
        EVENT_TOML.replace("[[event.sources]]", 'colour = "red"\n[[event.sources]]'),
        1,
        "colour",
    ),
    ("utf8.jsonl", (event_line() + "\n").encode() + b'{"type": "\xff"}\n', 2, "UTF-8"),
    ("utf8.toml", ENTITY_TOML.encode() + b"# caf\xe9\n", 6, "UTF-8"),
    ("nul.jsonl", event_line() + "\n" + event_line() + "\x00\n", 2, "NUL"),
    ("nul.toml", ENTITY_TOML + "# \x00\n", 6, "NUL"),
    ("escaped-nul.jsonl", event_line(note="a\x00b") + "\n", 1, "NUL"),
    (
        "truncated.jsonl",
        event_line() + "\n" + event_line(actor="PAK") + "\n" + event_line(actor="UZB")[:40],
        3,
        "invalid JSON",
    ),
    ("long.jsonl", event_line(note="x" * (MAX_TEXT + 1)) + "\n", 1, "longer than"),
    (
        "long.toml",
        EVENT_TOML.replace('"Reuters"', json.dumps("R" * (MAX_TEXT + 1))),
        1,
        "longer than",
    ),
    ("same.jsonl", event_line(actor="TALIBAN") + "\n", 1, "both TALIBAN"),
    ("hypothetical.jsonl", event_line(hypothetical=True) + "\n", 1, "scenario"),
    ("notanobject.jsonl", "[1, 2]\n", 1, "object"),
    ("nan.jsonl", event_line().replace('"level"', '"x": NaN, "level"') + "\n", 1, "NaN"),
    ("kind.toml", ENTITY_TOML.replace('"government"', '"party"'), 1, "kind"),
    (
        "timestamp.toml",
        EVENT_TOML.replace("on = 2025-07-03", "on = 2025-07-03T10:00:00Z"),
        1,
        "timestamp",
    ),
]


class TestErrors:
    """ledger.read errors: each names the file, the line and the reason, on one line."""

    @pytest.mark.parametrize(
        ("name", "content", "line", "reason"), CASES, ids=[c[0] for c in CASES]
    )
    def test_error_names_file_line_and_reason(
        self, tmp_path: Path, name: str, content: str | bytes, line: int, reason: str
    ) -> None:
        """A bad ledger raises LedgerError `file:line: reason`."""
        path = write(tmp_path, name, content)
        with pytest.raises(LedgerError) as caught:
            read(path)
        error = caught.value
        assert (error.path, error.line) == (str(path), line)
        assert reason in error.reason
        assert str(error).startswith(f"{path}:{line}: ")
        assert "\n" not in str(error)

    @pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
    @pytest.mark.parametrize("suffix", [".toml", ".jsonl"])
    def test_empty_file(self, tmp_path: Path, content: str, suffix: str) -> None:
        """An empty ledger is an error naming the file and saying it is empty."""
        if suffix == ".jsonl" and content.startswith("#"):
            content = ""
        path = write(tmp_path, f"empty{suffix}", content)
        with pytest.raises(LedgerError, match="empty") as caught:
            read(path)
        assert caught.value.path == str(path)
        assert str(caught.value).startswith(str(path))

    def test_missing_file(self, tmp_path: Path) -> None:
        """A file that cannot be read is an error naming it."""
        path = tmp_path / "absent.toml"
        with pytest.raises(LedgerError, match="cannot read") as caught:
            read(path)
        assert caught.value.path == str(path)

    def test_unknown_extension(self, tmp_path: Path) -> None:
        """Only .toml and .jsonl ledgers are read."""
        with pytest.raises(LedgerError, match="format"):
            read(write(tmp_path, "a.csv", "type,actor\n"))


def _round_trip(items: list[Event], fmt: str) -> None:
    records = to_records(items)
    text = dump(ENTITIES, records, fmt)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"ledger.{fmt}"
        path.write_text(text, encoding="utf-8")
        ledger = read(path)
    assert [e.item for e in ledger.entities] == list(ENTITIES)
    assert [event_id(e.item) for e in ledger.events] == [r.id for r in records]
    assert [e.item for e in ledger.events] == [
        attrs.evolve(r.event, recorded=r.recorded) for r in records
    ]


class TestDump:
    """ledger.dump: a ledger that reads back with the same ids."""

    @given(event_lists(min_size=1, max_size=8))
    def test_jsonl_round_trip(self, items: list[Event]) -> None:
        """dump(jsonl) then read gives the same events, ids and transaction times."""
        _round_trip(items, "jsonl")

    @given(event_lists(min_size=1, max_size=8))
    def test_toml_round_trip(self, items: list[Event]) -> None:
        """dump(toml) then read gives the same events, ids and transaction times."""
        _round_trip(items, "toml")

    @pytest.mark.parametrize("fmt", ["jsonl", "toml"])
    @pytest.mark.parametrize(
        "character",
        ["\u2028", "\u2029", "\x85", "\x7f", "\x1f", "\t", "\n", '"', "\\", "'''", "\U0001f600"],
    )
    def test_round_trip_of_unusual_text(self, fmt: str, character: str) -> None:
        """Notes with line separators, control characters or quotes survive dump then read."""
        event = attrs.evolve(
            plain_event(), note=f"before{character}after", recorded="2025-07-04T23:59:59Z"
        )
        _round_trip([event], fmt)


def plain_event() -> Event:
    """A plain valid event for the unusual-text round-trips."""
    from events import StatementMade

    return StatementMade(
        actor="RUS",
        counterpart="TALIBAN",
        on="../2025-07-04",
        sources=(Source(title="Report", publisher="Reuters", date="2025-07-04"),),
        stance="partner",
    )
