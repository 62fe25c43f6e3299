"""The batched load path: chunk and block boundaries change nothing a load writes or reports."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from events import Event, RecognitionGranted, Source
from tracker import appending as store_module
from tracker import projection
from tracker.errors import LedgerError, TrackerError
from tracker.loading import load
from tracker.store import Store

from .conftest import fixed_clock
from .strategies import ENTITIES, event_lists, make_record, retraction_of

SOURCE = Source(title="Report", publisher="Reuters", date="2025-07-04")
Rows = list[tuple[object, ...]]


def contents(store: Store) -> tuple[Rows, Rows, Rows]:
    """Every row a load writes: events (with the chain), dyad_events and intervals."""
    events = store.conn.execute("SELECT *, hash FROM events ORDER BY seq").fetchall()
    touches = store.conn.execute("SELECT * FROM dyad_events ORDER BY 1, 2, 3").fetchall()
    intervals = store.conn.execute("SELECT * FROM intervals ORDER BY 1, 2, 3, 4").fetchall()
    return events, touches, intervals


def appended(batches: list[list[Any]], chunk: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The reports and contents of appending `batches` in turn, `chunk` records at a time."""
    monkeypatch.setattr(store_module, "CHUNK", chunk)
    with Store(":memory:", clock=fixed_clock) as store:
        reports = [store.append(batch, ENTITIES) for batch in batches]
        assert store.verify() == []
        return reports, contents(store)


def granted(actor: str, on: str) -> Event:
    """A recognition of AFG by `actor` on `on`."""
    return RecognitionGranted(actor=actor, counterpart="AFG", on=on, sources=(SOURCE,))


class TestChunks:
    """A chunk boundary anywhere gives the same rows and reports as none at all."""

    @settings(max_examples=max(settings().max_examples // 4, 5))  # five loads each: dev 7, ci 50
    @given(event_lists(max_size=12), event_lists(max_size=6))
    def test_any_chunk_size(self, first: list[Event], second: list[Event]) -> None:
        """Two loads (with repeats inside and across them) write the same at chunk 1, 2, 3."""
        with pytest.MonkeyPatch.context() as monkeypatch:
            batches = [first + first[:3], second + first]
            expected = appended(batches, 5_000, monkeypatch)
            for chunk in (1, 2, 3):
                assert appended(batches, chunk, monkeypatch) == expected

    def test_retractions_across_chunks(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Retractions of events in an earlier chunk, or already stored, behave the same."""
        old, new = granted("RUS", "2020"), granted("CHN", "2021")
        old_target, new_target = make_record(1, old), make_record(2, new)
        batches = [
            [old],
            [new, granted("USA", "2022"), retraction_of(new_target), retraction_of(old_target)],
            [new, old, retraction_of(old_target)],
        ]
        expected = appended(batches, 5_000, monkeypatch)
        assert [r.added for r in expected[0]] == [1, 4, 0]
        for chunk in (1, 2):
            assert appended(batches, chunk, monkeypatch) == expected

    def test_a_load_reads_no_further_ahead_than_a_chunk(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Memory stays bounded: event k is read only once every chunk before it is written
        (so a load holds at most CHUNK unwritten records, whatever the size of its input)."""
        monkeypatch.setattr(store_module, "CHUNK", 3)
        with Store(":memory:", clock=fixed_clock) as store:
            written: list[int] = []

            def events() -> Any:
                for k in range(10):
                    written.append(store.conn.execute("SELECT count(*) FROM events").fetchone()[0])
                    yield granted("RUS", f"{2000 + k}")

            assert store.append(events(), ENTITIES).added == 10
        assert written == [0, 0, 0, 3, 3, 3, 6, 6, 6, 9]


def jsonl(tmp_path: Path, lines: list[str]) -> Path:
    """A JSON Lines ledger of `lines`."""
    path = tmp_path / "ledger.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(actor: str, on: str) -> str:
    """One event line: `actor` recognizes AFG on `on`."""
    source = {"title": "Report", "publisher": "Reuters", "date": "2025-07-04"}
    body = {"type": "recognition_granted", "actor": actor, "counterpart": "AFG", "on": on}
    return json.dumps({**body, "sources": [source], "recorded": "2025-07-05T00:00:00Z"})


class TestErrors:
    """Events are read ahead a block at a time; the first bad line is still the one reported."""

    @pytest.mark.parametrize("chunk", [2, 5_000])
    def test_an_early_bad_event_wins_over_a_later_unreadable_line(
        self, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
    ) -> None:
        """An unknown entity on line 3 is reported, not the broken JSON on line 4."""
        monkeypatch.setattr(store_module, "CHUNK", chunk)
        lines = [line("RUS", "2020"), line("CHN", "2021"), line("NARNIA", "2022"), "{oops"]
        with pytest.raises(LedgerError) as caught:
            load(store, [jsonl(tmp_path, lines)], quiet=True)
        assert caught.value.line == 3 and "NARNIA" in caught.value.reason
        assert store.count() == 0

    def test_an_unreadable_line_after_good_ones(
        self, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Broken JSON after a full chunk fails the load, and nothing is written."""
        monkeypatch.setattr(store_module, "CHUNK", 2)
        lines = [line("RUS", "2020"), line("CHN", "2021"), line("USA", "2022"), "{oops"]
        with pytest.raises(LedgerError) as caught:
            load(store, [jsonl(tmp_path, lines)], quiet=True)
        assert caught.value.line == 4
        assert store.count() == 0

    def test_duplicates_across_chunks_and_loads(
        self, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A line repeated after a chunk boundary is skipped, and so is a whole second load."""
        monkeypatch.setattr(store_module, "CHUNK", 2)
        lines = [line(actor, "2020") for actor in ("RUS", "CHN", "USA", "RUS", "CHN", "IND")]
        path = jsonl(tmp_path, lines)
        first = load(store, [path], quiet=True)
        assert (first.added, first.skipped) == (4, 2)
        second = load(store, [path], quiet=True)
        assert (second.added, second.skipped) == (0, 6)
        assert store.count() == 4 and store.verify() == []


def test_collector_thresholds_are_restored(store: Store) -> None:
    """A load runs the cycle collector less often, and puts its thresholds back, even on error."""
    before = gc.get_threshold()
    store.append([granted("RUS", "2020")])
    with pytest.raises(TrackerError):
        store.append([granted("NARNIA", "2021")])
    assert gc.get_threshold() == before


def test_a_repeated_load_of_more_than_a_thousand_events_skips_each(store: Store) -> None:
    """Loading again what is stored adds nothing, however many events a block holds: every
    id is looked up (500 at a time), the ones past the first thousand too."""
    log = [
        granted(actor, f"{1800 + year}") for actor in ("RUS", "CHN", "PAK") for year in range(400)
    ]
    first = store.append(log)
    again = store.append(log)
    assert (first.added, first.skipped) == (1200, 0)
    assert (again.added, again.skipped) == (0, 1200)
    assert store.count() == 1200


def test_a_retraction_from_another_dyad_is_refused_naming_the_targets(store: Store) -> None:
    """A retraction must come from its target's own dyad; the refusal names that dyad."""
    from events import EventRetracted

    target = granted("RUS", "2020")
    store.append([target])
    (stored,) = list(store.scan())
    wrong = EventRetracted(
        actor="CHN", counterpart="AFG", on="2021", target=stored.id, reason="x", sources=(SOURCE,)
    )
    with pytest.raises(TrackerError) as refused:
        store.append([wrong])
    assert str(refused.value) == (
        "event_retracted: actor and counterpart must be the target's (RUS -> AFG)"
    )
    assert store.count() == 1


def test_progress_is_told_of_every_thousand_events_read(store: Store) -> None:
    """A load tells its progress callback of each full thousand events it has read (skipped
    ones too), so a bar of the ledger's length ends where the load does."""
    log = [granted(a, f"{1700 + y}") for a in ("RUS", "CHN", "PAK") for y in range(400)]
    ticks: list[int] = []
    store.append(log[:900], progress=ticks.append)
    assert ticks == []
    store.append(log[:1000], progress=ticks.append)  # 900 already stored, 100 new
    assert ticks == [1000]
    store.append(log, progress=ticks.append)  # 1,000 already stored, 200 new
    assert ticks == [1000, 1000]


def test_a_correction_moving_an_event_in_the_same_load_refolds_both_dyads(store: Store) -> None:
    """An event and its correction to another dyad, loaded together: the old dyad loses the
    fact, the new one gains it (the correction reaches its target while both are pending)."""
    first = granted("RUS", "2020")
    (pending,) = [make_record(1, first)]
    moved = RecognitionGranted(
        actor="CHN", counterpart="AFG", on="2020", sources=(SOURCE,), corrects=pending.id
    )
    store.append([first, moved])
    dimensions = {
        d: projection.dyad_state(store.conn, d, "2021-01-01")
        for d in (("RUS", "AFG"), ("CHN", "AFG"))
    }
    assert dimensions[("RUS", "AFG")]["recognition"].value == "none"
    assert dimensions[("CHN", "AFG")]["recognition"].value == "recognized"
    assert store.verify() == []


def test_the_reported_ids_stop_at_the_cap(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report lists at most MAX_REPORTED_IDS new ids, the first ones, and counts them all."""
    monkeypatch.setattr(store_module, "MAX_REPORTED_IDS", 3)
    log = [granted("RUS", f"{2000 + i}") for i in range(5)]
    report = store.append(log)
    assert report.added == 5
    assert list(report.ids) == [make_record(1, e).id for e in log[:3]]
