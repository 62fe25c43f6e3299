"""One validation path: every way into the store (a JSON Lines or TOML ledger, `Store.append`
from Python, both importers, `retract`) applies the same checks with the same limits, so
whatever is stored exports and loads back with the same ids, and whatever is refused is
refused in one line and writes nothing."""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import Source, StatementMade
from tracker.cli import main
from tracker.errors import LedgerError, TrackerError
from tracker.exporting import ledger_lines
from tracker.importers import cow, gdelt
from tracker.ledger import Located
from tracker.loading import load
from tracker.store import Store

from .conftest import fixed_clock
from .strategies import hostile_texts

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STATES = FIXTURES / "cow" / "states2016.csv"  # the membership list COW imports are bounded by
GDELT_ROW = (FIXTURES / "20250712000000.export.CSV").read_text(encoding="utf-8").split("\n")[0]
SOURCE = {"title": "Report", "publisher": "Wire", "date": "2025-07-04"}
EXAMPLES = settings(
    max_examples=max(settings().max_examples // 3, 8),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def statement(text_field: str, text: str, n: int = 0) -> dict[str, Any]:
    """A statement whose `text_field` (note, summary, or a source's title or url) is `text`."""
    body: dict[str, Any] = {
        "type": "statement_made",
        "actor": "RUS",
        "counterpart": "CHN",
        "on": f"{2000 + n % 20}-01-01",
        "stance": "partner",
        "sources": [dict(SOURCE)],
    }
    if text_field.startswith("source."):
        body["sources"][0][text_field.removeprefix("source.")] = text
    else:
        body[text_field] = text
    return body


def gdelt_file(folder: Path, url: str) -> Path:
    """A one-row GDELT 2.0 export: RUS recognises CHN (CAMEO 054), citing `url`."""
    fields = GDELT_ROW.split("\t")
    fields[5], fields[7], fields[15], fields[17], fields[18] = "RUS", "RUS", "CHN", "CHN", ""
    fields[60] = url
    path = folder / "20250712000000.export.CSV"
    path.write_bytes(("\t".join(fields) + "\n").encode("utf-8", "surrogatepass"))
    return path


def cow_file(folder: Path, version: str) -> Path:
    """A two-snapshot COW Diplomatic Exchange file whose version field is `version`."""
    path = folder / "diplomatic_exchange.csv"
    with open(path, "w", newline="", encoding="utf-8", errors="surrogatepass") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ccode1", "ccode2", "year", "DR_at_1", "DR_at_2", "DE", "version"])
        writer.writerow(["2", "710", "1990", "0", "0", "0", version])
        writer.writerow(["2", "710", "1995", "3", "3", "1", version])
    return path


def _jsonl(store: Store, folder: Path, text: str) -> None:
    path = folder / "w.jsonl"
    path.write_text(json.dumps(statement("note", text)) + "\n", encoding="utf-8")
    load(store, [path], quiet=True)


def _toml(store: Store, folder: Path, text: str) -> None:
    path = folder / "w.toml"
    path.write_text("".join(ledger_lines([], [_record(statement("summary", text, 1))], "toml")))
    load(store, [path], quiet=True)


def _record(body: dict[str, Any]) -> Any:
    from events import from_dict
    from tracker.timeline import Record

    return Record.of(0, from_dict(body), "2025-07-04T00:00:00Z")


def _python(store: Store, folder: Path, text: str) -> None:
    event = StatementMade(
        actor="RUS",
        counterpart="CHN",
        on="2003",
        stance="partner",
        sources=(Source(title=text or "t", publisher="Wire", date="2025"),),
    )
    store.append([event])


def _located(store: Store, folder: Path, text: str) -> None:
    from events import from_dict

    store.append([Located(from_dict(statement("source.url", text, 4)), "python", 1)])


def _gdelt(store: Store, folder: Path, text: str) -> None:
    gdelt.import_files(store, [gdelt_file(folder, text)], quiet=True)


def _cow(store: Store, folder: Path, text: str) -> None:
    cow.import_files(store, [cow_file(folder, f"2006.1{text}")], states=[STATES], quiet=True)


def _retract(store: Store, folder: Path, text: str) -> None:
    target = next(r.id for r in store.scan() if r.type == "statement_made")
    retraction = {"target": target, "reason": text, "type": "event_retracted"}
    body = {**statement("note", "x", 5), **retraction}
    body.pop("stance")
    body.pop("note")
    from events import from_dict

    store.append([from_dict(body)])


WAYS: dict[str, Callable[[Store, Path, str], None]] = {
    "JSON Lines ledger": _jsonl,
    "TOML ledger": _toml,
    "Store.append of an event": _python,
    "Store.append of a located event": _located,
    "GDELT import": _gdelt,
    "COW import": _cow,
    "retraction": _retract,
}


def round_trip(store: Store, folder: Path) -> None:
    """Export the store in both formats, load each into a new store: the same ids, in order."""
    ids = [r.id for r in store.scan()]
    entities = store.entities()
    runner = CliRunner()
    for fmt in ("jsonl", "toml"):
        out = folder / f"export.{fmt}"
        exported = runner.invoke(
            main, ["--db", store.path, "export", "--format", fmt, "-o", str(out)]
        )
        assert exported.exit_code == 0, exported.output
        copy = folder / f"copy-{fmt}.db"
        loaded = runner.invoke(main, ["--db", str(copy), "--no-seed", "load", "--quiet", str(out)])
        assert loaded.exit_code == 0, (fmt, loaded.output)
        with Store(copy) as again:
            assert [r.id for r in again.scan()] == ids
            assert again.entities() == entities


@EXAMPLES
@given(st.sampled_from(sorted(WAYS)), hostile_texts(tabs=False))
def test_whatever_is_stored_exports_and_loads_back(way: str, text: str) -> None:
    """Each way in, fed hostile text, stores it (and it round-trips through export) or
    refuses it with one TrackerError and stores nothing."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with Store(folder / "s.db", clock=fixed_clock) as store:
            _jsonl(store, folder, "a plain note")  # something to retract
            before = [r.id for r in store.scan()]
            try:
                WAYS[way](store, folder, text)
            except TrackerError as error:
                assert "\n" not in str(error)
                assert [r.id for r in store.scan()] == before
            round_trip(store, folder)


CASES = [
    ("retract --reason of 20,000 characters", "retraction", "x" * 20_000, "longer than 10000"),
    ("retract --reason empty", "retraction", "", "reason is empty"),
    ("retract --reason invisible", "retraction", "\u200b\u2060", "reason is empty"),
    ("a GDELT SOURCEURL with a NUL", "GDELT import", "https://a.example/\x00", "NUL"),
    ("a GDELT SOURCEURL of 20,000 characters", "GDELT import", "h" * 20_000, "longer than"),
    ("a COW version with a NUL", "COW import", "\x00", "NUL"),
    ("a Python title of a zero-width space", "Store.append of an event", "\u200b", "title"),
    ("a located url with a NUL", "Store.append of a located event", "u\x00", "NUL"),
]


@pytest.mark.parametrize(("name", "way", "text", "reason"), CASES, ids=[c[0] for c in CASES])
def test_refused_as_the_ledger_reader_refuses(
    tmp_path: Path, name: str, way: str, text: str, reason: str
) -> None:
    """What the ledger reader refuses is refused by every way in, with the same words; the
    importers name the file and line."""
    with Store(tmp_path / "s.db", clock=fixed_clock) as store:
        _jsonl(store, tmp_path, "a plain note")
        count = store.count()
        with pytest.raises(TrackerError) as caught:
            WAYS[way](store, tmp_path, text)
        assert reason in str(caught.value) and store.count() == count
        if way in ("GDELT import", "COW import"):
            assert isinstance(caught.value, LedgerError) and caught.value.line is not None


def test_located_events_are_checked_as_any(store: Store) -> None:
    """An event handed in already located (as the importers hand theirs) is checked too: a
    title of nothing visible is refused naming its place."""
    from events import from_dict

    body = statement("source.title", "\u200b")
    with pytest.raises(LedgerError, match=r"^feed\.csv:7: statement_made: a source needs a title"):
        store.append([Located(from_dict(body), "feed.csv", 7)])
    assert store.count() == 0


def test_retract_refuses_through_the_command(seeded_cli: Any) -> None:
    """`tracker retract` with an empty or overlong reason exits 1 in one line, writing nothing."""
    before = seeded_cli("export").stdout
    for reason in ("", " ", "\u200b", "r" * 20_000):
        result = seeded_cli("retract", "d6e9101a", "--reason", reason, "--source", "s")
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
    assert seeded_cli("export").stdout == before


def test_the_same_limit_for_a_python_event(store: Store) -> None:
    """A note of MAX_TEXT characters is stored from Python; one more is refused as in a ledger."""
    base = StatementMade(
        actor="RUS",
        counterpart="CHN",
        on="2003",
        stance="partner",
        sources=(Source(title="t", publisher="p", date="2025"),),
    )
    store.append([attrs.evolve(base, note="n" * 10_000)])
    with pytest.raises(TrackerError, match="text longer than 10000 characters at note"):
        store.append([attrs.evolve(base, note="n" * 10_001)])
