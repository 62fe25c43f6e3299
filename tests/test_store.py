"""The SQLite store: gapless append, idempotent loads, triggers, the chain, projections."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from events import (
    Event,
    RecognitionGranted,
    RecognitionWithdrawn,
    RelationsEstablished,
    Source,
    event_id,
)
from tracker import projection, query
from tracker.cli import seed_files
from tracker.dates import parse
from tracker.errors import LedgerError, TrackerError
from tracker.loading import load
from tracker.reducers import DIMENSIONS
from tracker.store import Store
from tracker.tables import GENESIS
from tracker.timeline import at, effective

from .conftest import CLOCK, fixed_clock
from .strategies import (
    ENTITIES,
    boundary_days,
    dyad_event_lists,
    event_lists,
    events,
    make_record,
    retraction_of,
    to_records,
    without_recorded,
)

SOURCE = Source(title="Report", publisher="Reuters", date="2025-07-04")


@contextmanager
def temporary_store() -> Iterator[Store]:
    """A fresh in-memory store for one hypothesis example (file-backed ones cost ~50 ms each)."""
    with Store(":memory:", clock=fixed_clock) as opened:
        yield opened


def unique_ids(items: list[Event]) -> list[str]:
    """The distinct ids of `items`, in first-seen order."""
    return list(dict.fromkeys(event_id(e) for e in items))


def snapshot(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The derived tables' contents, in a canonical order."""
    intervals = store.conn.execute("SELECT * FROM intervals ORDER BY 1, 2, 3, 4").fetchall()
    touches = store.conn.execute("SELECT * FROM dyad_events ORDER BY 1, 2, 3").fetchall()
    return intervals, touches


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a ledger file under tmp_path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


EVENT = """\
[[event]]
type = "{type}"
actor = "{actor}"
counterpart = "TALIBAN"
on = 2025-07-03
level = "ambassador"
[[event.sources]]
title = "Report"
publisher = "Reuters"
date = 2025-07-04
"""


class TestAppend:
    """Store.append: one transaction, gapless seq, a verifying chain, skipped duplicates."""

    @given(event_lists(max_size=10))
    def test_gapless_seq_and_verifying_chain(self, items: list[Event]) -> None:
        """Appending gives seq 1..n over the distinct events, and verify() finds nothing."""
        with temporary_store() as store:
            report = store.append(items, ENTITIES)
            ids = unique_ids(items)
            assert (report.added, report.skipped) == (len(ids), len(items) - len(ids))
            assert list(report.ids) == ids
            records = list(store.scan())
            assert [r.seq for r in records] == list(range(1, len(ids) + 1))
            assert [r.id for r in records] == ids
            assert store.count() == len(ids) and store.head()[0] == len(ids)
            assert store.verify() == []

    def test_empty_store(self, store: Store) -> None:
        """A new store has no events, the genesis head and verifies."""
        assert (store.count(), store.head(), store.verify()) == (0, (0, GENESIS), [])

    def test_clock_stamps_transaction_time(self, store: Store) -> None:
        """Events without `recorded` get the injected clock's time; given times are kept."""
        mine = RecognitionGranted(actor="RUS", counterpart="AFG", on="2025", sources=(SOURCE,))
        given_time = RecognitionGranted(
            actor="CHN",
            counterpart="AFG",
            on="2025",
            sources=(SOURCE,),
            recorded="2025-07-04T23:59:59Z",
        )
        store.append([mine, given_time])
        assert [r.recorded for r in store.scan()] == [CLOCK, "2025-07-04T23:59:59Z"]

    def test_scan_after(self, store: Store) -> None:
        """scan(after=n) streams the events with seq > n."""
        load(store, seed_files(), quiet=True)
        assert [r.seq for r in store.scan(after=store.count() - 2)] == [
            store.count() - 1,
            store.count(),
        ]

    def test_loading_twice_adds_nothing(self, store: Store) -> None:
        """Loading the same ledgers again adds 0 events and leaves the head unchanged."""
        first = load(store, seed_files(), quiet=True)
        head = store.head()
        second = load(store, seed_files(), quiet=True)
        assert first.added > 0 and (second.added, second.skipped) == (0, first.added)
        assert store.head() == head and store.verify() == []

    def test_one_bad_event_rejects_the_load(self, store: Store, tmp_path: Path) -> None:
        """An unknown entity on line N fails the whole load with file:N and writes nothing."""
        load(store, seed_files(), quiet=True)
        count, head = store.count(), store.head()
        good = EVENT.format(type="envoy_sent", actor="QAT")
        bad = EVENT.format(type="envoy_sent", actor="NARNIA")
        path = write(tmp_path, "bad.toml", good + "\n" + good.replace("QAT", "TUR") + "\n" + bad)
        line = (good + "\n" + good + "\n").count("\n") + 1
        with pytest.raises(LedgerError) as caught:
            load(store, [path], quiet=True)
        assert (caught.value.path, caught.value.line) == (str(path), line)
        assert "NARNIA" in caught.value.reason
        assert (store.count(), store.head(), store.verify()) == (count, head, [])

    def test_unknown_entity_suggests_close_matches(self, store: Store) -> None:
        """An unknown entity id is refused with the closest known ids."""
        event = RecognitionGranted(actor="RUS", counterpart="TALIBN", on="2025", sources=(SOURCE,))
        with pytest.raises(TrackerError, match="TALIBAN"):
            store.append([event], ENTITIES)
        assert store.count() == 0

    def test_retraction_of_unknown_id_fails(self, store: Store) -> None:
        """Retracting an id the store does not hold is refused and writes nothing."""
        store.append(
            [RecognitionGranted(actor="RUS", counterpart="AFG", on="2025", sources=(SOURCE,))]
        )
        [record] = store.scan()
        ghost = make_record(99, record.event, CLOCK, "f" * 24)
        with pytest.raises(TrackerError, match="no stored event"):
            store.append([retraction_of(ghost)])
        assert store.count() == 1 and store.verify() == []

    def test_retraction_must_share_the_targets_dyad(self, store: Store) -> None:
        """A retraction from another dyad than its target's is refused."""
        store.append(
            [RecognitionGranted(actor="RUS", counterpart="AFG", on="2025", sources=(SOURCE,))]
        )
        [record] = store.scan()
        wrong = retraction_of(record)
        from attrs import evolve

        with pytest.raises(TrackerError, match="actor and counterpart"):
            store.append([evolve(wrong, actor="CHN")])

    def test_retraction_in_the_same_batch(self, store: Store) -> None:
        """A retraction may target an event appended earlier in the same batch."""
        event = RecognitionGranted(actor="RUS", counterpart="AFG", on="2025", sources=(SOURCE,))
        target = make_record(1, event)
        report = store.append([event, retraction_of(target)])
        assert report.added == 2
        assert (
            query.state(store, "RUS", "AFG", "2026-01-01").dimensions["recognition"].value == "none"
        )


class TestAppendOnly:
    """Triggers and the hash chain: edits behind the tool's back are refused or detected."""

    @pytest.mark.parametrize(
        "statement",
        ["UPDATE events SET body = '{}' WHERE seq = 1", "DELETE FROM events WHERE seq = 1"],
    )
    def test_triggers_refuse_update_and_delete(self, seeded: Store, statement: str) -> None:
        """UPDATE and DELETE on events raise and change nothing."""
        head = seeded.head()
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            seeded.conn.execute(statement)
        assert seeded.head() == head and seeded.verify() == []

    def test_tampering_is_detected_at_the_first_bad_seq(self, seeded: Store) -> None:
        """With the trigger dropped and a body edited, verify() reports that row's seq."""
        raw = sqlite3.connect(seeded.path)
        raw.execute("DROP TRIGGER events_no_update")
        raw.execute(
            "UPDATE events SET body = replace(body, 'ambassador', 'minister') WHERE seq = "
            "(SELECT min(seq) FROM events WHERE body LIKE '%ambassador%')"
        )
        raw.commit()
        bad = raw.execute("SELECT min(seq) FROM events WHERE body LIKE '%minister%'").fetchone()[0]
        raw.close()
        problems = seeded.verify()
        assert any(p.seq is None and "events_no_update" in p.reason for p in problems)
        assert [p.seq for p in problems if p.seq is not None] == [bad]

    def test_a_rehashed_row_is_caught_by_its_id(self, seeded: Store) -> None:
        """An edited row given a matching hash (but its old id) fails the check of its id."""
        from tracker.tables import chain

        raw = sqlite3.connect(seeded.path)
        raw.execute("DROP TRIGGER events_no_update")
        seq, eid, recorded, body, _ = raw.execute(
            "SELECT seq, id, recorded, body, hash FROM events WHERE seq = 3"
        ).fetchone()
        previous = raw.execute("SELECT hash FROM events WHERE seq = 2").fetchone()[0]
        body = body.replace('"on":', '"note":"x","on":')
        raw.execute(
            "UPDATE events SET body = ?, hash = ? WHERE seq = 3",
            (body, chain(previous, seq, eid, recorded, body)),
        )
        raw.commit()
        raw.close()
        problems = [p for p in seeded.verify() if p.seq is not None]
        assert [p.seq for p in problems] == [3]
        assert "id does not match" in problems[0].reason


class TestProjection:
    """Incremental projection == rebuild, and the answers it stores equal a direct fold."""

    def test_rebuild_of_seeds(self, seeded: Store) -> None:
        """Rebuilding the seeded store's derived tables gives exactly the incremental ones."""
        before = snapshot(seeded)
        assert seeded.rebuild() == seeded.count()
        assert snapshot(seeded) == before and before[0]

    @given(st.lists(dyad_event_lists(max_size=5), min_size=1, max_size=4), st.data())
    def test_incremental_equals_rebuild(
        self, batches: list[list[Event]], data: st.DataObject
    ) -> None:
        """After several separate appends (with retractions), rebuild() changes nothing."""
        with temporary_store() as store:
            for batch in batches:
                store.append(batch, ENTITIES)
                stored = list(store.scan())
                if stored and data.draw(st.booleans()):
                    target = data.draw(st.sampled_from(stored))
                    store.append([retraction_of(target)])
            before = snapshot(store)
            store.rebuild()
            assert snapshot(store) == before

    @given(st.lists(dyad_event_lists(max_size=5), min_size=1, max_size=3), st.data())
    def test_stored_answers_equal_a_direct_fold(
        self, batches: list[list[Event]], data: st.DataObject
    ) -> None:
        """After appends and retractions, every dyad's stored answer equals folding its events."""
        with temporary_store() as store:
            for batch in batches:
                store.append(batch, ENTITIES)
                stored = list(store.scan())
                if stored and data.draw(st.booleans()):
                    store.append([retraction_of(data.draw(st.sampled_from(stored)))])
            for dyad in projection.all_dyads(store.conn):
                records = effective(store.records(dyad))
                days = st.sampled_from(boundary_days(records))
                for day in data.draw(st.lists(days, min_size=1, max_size=5, unique=True)):
                    direct = at(records, dyad, day)
                    assert query.state(store, *dyad, day).dimensions == direct, (dyad, day)

    def test_rebuild_follows_corrections_across_dyads(self, store: Store) -> None:
        """A correction filed on another dyad, and the withdrawal of that correction, touch
        the corrected event's dyads too: rebuild() gives what the appends kept."""
        store.append(
            [RelationsEstablished(actor="RUS", counterpart="CHN", on="2020", sources=(SOURCE,))]
        )
        [established] = store.scan()
        moved = RecognitionGranted(
            actor="USA", counterpart="AFG", on="2021", sources=(SOURCE,), corrects=established.id
        )
        store.append([moved])
        correction = list(store.scan())[-1]
        store.append([retraction_of(correction, "the correction was wrong")])
        before = snapshot(store)
        assert {("RUS", "CHN"), ("CHN", "RUS"), ("USA", "AFG")} <= {
            tuple(row) for row in store.conn.execute("SELECT actor, counterpart FROM dyad_events")
        }
        store.rebuild()
        assert snapshot(store) == before

    def test_retracted_retraction_of_a_symmetric_event(self, store: Store) -> None:
        """Withdrawing the retraction of relations_established restores both directions."""
        store.append(
            [RelationsEstablished(actor="RUS", counterpart="CHN", on="2020", sources=(SOURCE,))]
        )
        [established] = store.scan()
        store.append([retraction_of(established)])
        retraction = list(store.scan())[-1]
        assert (
            query.state(store, "CHN", "RUS", "2024-01-01").dimensions["relations"].value == "none"
        )
        store.append([retraction_of(retraction, "the retraction was wrong")])
        for dyad in (("RUS", "CHN"), ("CHN", "RUS")):
            found = query.state(store, *dyad, "2024-01-01").dimensions["relations"]
            assert found.value == "established", dyad


def answers(store: Store, days: list[str]) -> dict[tuple[str, str, str], object]:
    """Every dyad's full answer at each of `days`, by (actor, counterpart, day)."""
    found = {}
    for dyad in projection.all_dyads(store.conn):
        for day in days:
            found[(*dyad, day)] = query.state(store, *dyad, day).dimensions
    return found


DAYS = ["2019-12-31", "2020-06-15", "2021-01-01", "2021-07-01", "2022-12-31", "2023-01-01"]


class TestLoadOrder:
    """Replay is independent of the order in which events were loaded (where windows differ)."""

    @given(dyad_event_lists(max_size=8), st.randoms(use_true_random=False))
    def test_same_answers_whatever_the_load_order(
        self, items: list[Event], rng: random.Random
    ) -> None:
        """Two stores loaded with the same events in different orders answer alike.

        Events whose windows tie on a pair of entities are left out: the replay order breaks
        such ties by `seq` (DESIGN.md §4), which the next test pins down.
        """
        seen: set[tuple[str, ...]] = set()
        distinct = []
        for event in items:
            window = parse(event.on)
            key = (*sorted((event.actor, event.counterpart)), window.earliest, window.latest)
            if key not in seen:
                seen.add(key)
                distinct.append(event)
        shuffled = distinct[:]
        rng.shuffle(shuffled)
        with temporary_store() as a, temporary_store() as b:
            a.append(distinct, ENTITIES)
            for event in shuffled:  # one append per event, too
                b.append([event], ENTITIES)
            assert answers(a, DAYS) == answers(b, DAYS)

    @given(dyad_event_lists(max_size=8), st.randoms(use_true_random=False))
    def test_ties_included_a_store_answers_as_the_fold_of_its_log(
        self, items: list[Event], rng: random.Random
    ) -> None:
        """Loaded in any order, tied windows included, a store answers on every day as the
        pure fold of its events in the order it logged them."""
        shuffled = items[:]
        rng.shuffle(shuffled)
        logged = effective(to_records(shuffled))
        with temporary_store() as store:
            for event in shuffled:  # one append per event
                store.append([event], ENTITIES)
            for dyad in projection.all_dyads(store.conn):
                for day in sorted({*DAYS, *boundary_days(logged)}):
                    assert query.state(store, *dyad, day).dimensions == at(logged, dyad, day)

    def test_conflicting_events_on_the_same_window(self, tmp_path: Path) -> None:
        """Events with the same window fold in log order (seq): nothing else orders them."""
        granted = RecognitionGranted(actor="RUS", counterpart="AFG", on="2021", sources=(SOURCE,))
        withdrawn = RecognitionWithdrawn(
            actor="RUS", counterpart="AFG", on="2021", sources=(SOURCE,)
        )
        found = []
        for name, order in (("a", [granted, withdrawn]), ("b", [withdrawn, granted])):
            with Store(tmp_path / f"{name}.db", clock=fixed_clock) as store:
                store.append(order)
                found.append(query.state(store, "RUS", "AFG", "2022-01-01").dimensions)
        assert found[0]["recognition"].value == "withdrawn"
        assert found[1]["recognition"].value == "recognized"


class StoreMachine(RuleBasedStateMachine):
    """Drive a Store with batches (valid, duplicated, invalid) against a dict of id -> event."""

    def __init__(self) -> None:
        super().__init__()
        self.store = Store(":memory:", clock=fixed_clock)
        self.model: dict[str, Event] = {}

    def teardown(self) -> None:
        self.store.close()

    def _expect(self, batch: list[Event]) -> list[str]:
        return [i for i in unique_ids(batch) if i not in self.model]

    @rule(batch=event_lists(max_size=5))
    def append_batch(self, batch: list[Event]) -> None:
        """A batch of new events is appended whole."""
        new = self._expect(batch)
        report = self.store.append(batch, ENTITIES)
        assert list(report.ids) == new and report.added == len(new)
        self.model.update((event_id(e), e) for e in batch)

    @precondition(lambda self: bool(self.model))
    @rule(batch=event_lists(max_size=3), data=st.data())
    def append_with_duplicates(self, batch: list[Event], data: st.DataObject) -> None:
        """Events already stored are skipped; the rest are appended."""
        old = data.draw(st.lists(st.sampled_from(sorted(self.model)), min_size=1, max_size=3))
        mixed = [self.model[i] for i in old] + batch
        data.draw(st.randoms(use_true_random=False)).shuffle(mixed)
        new = self._expect(mixed)
        report = self.store.append(mixed, ENTITIES)
        assert list(report.ids) == new and report.skipped == len(mixed) - len(new)
        self.model.update((event_id(e), e) for e in mixed)

    @rule(batch=event_lists(max_size=4), data=st.data())
    def append_invalid(self, batch: list[Event], data: st.DataObject) -> None:
        """A batch holding one event with an unknown entity is refused whole."""
        from attrs import evolve

        bad = evolve(data.draw(events()), counterpart="NARNIA")
        batch.insert(data.draw(st.integers(0, len(batch))), bad)
        head = self.store.head()
        with pytest.raises(TrackerError, match="NARNIA"):
            self.store.append(batch, ENTITIES)
        assert self.store.head() == head

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def retract(self, data: st.DataObject) -> None:
        """A retraction of a stored event is appended like any event."""
        records = {r.id: r for r in self.store.scan()}
        target = records[data.draw(st.sampled_from(sorted(self.model)))]
        event = retraction_of(target)
        report = self.store.append([event])
        assert report.added == (0 if event_id(event) in self.model else 1)
        self.model[event_id(event)] = event

    @invariant()
    def matches_the_model(self) -> None:
        """The store holds the model's events, gapless and verifying."""
        records = list(self.store.scan())
        assert self.store.count() == len(self.model) == len(records)
        assert {r.id for r in records} == set(self.model)
        assert all(without_recorded(self.model[r.id]) == r.event for r in records)
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        assert self.store.head()[0] == len(records)
        assert self.store.verify() == []


StoreMachine.TestCase.settings = settings(
    settings.default,
    stateful_step_count=12,
    max_examples=max(10, settings.default.max_examples // 2),
)
TestStoreMachine = StoreMachine.TestCase


def test_dimensions_are_stored_by_name(seeded: Store) -> None:
    """The intervals table names only known dimensions."""
    names = {row[0] for row in seeded.conn.execute("SELECT DISTINCT dimension FROM intervals")}
    assert names and names <= set(DIMENSIONS)
