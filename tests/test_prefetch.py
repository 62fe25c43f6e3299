"""Large loads read in a worker process store exactly what a load in one process stores."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from tracker import prefetch
from tracker.bench import synthetic
from tracker.errors import LedgerError
from tracker.loading import load
from tracker.store import Store

from .conftest import fixed_clock

EVENTS = 2500  # not a multiple of prefetch.BLOCK: the last block is a short one


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic JSON Lines ledger of EVENTS events (entity lines first)."""
    path = tmp_path_factory.mktemp("prefetch") / "world.jsonl"
    synthetic.generate(path, EVENTS, 3)
    return path


def stored(db: Path, paths: list[Path]) -> tuple[list[tuple[object, ...]], str]:
    """Load `paths` into a new store at `db`; return its events' rows and its head."""
    with Store(db, clock=fixed_clock) as store:
        load(store, paths, quiet=True)
        rows = store.conn.execute("SELECT * FROM events ORDER BY seq").fetchall()
        return rows, str(store.head())


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_load_read_in_a_worker_stores_what_one_process_stores(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """Read in a worker process (forked or started afresh), a ledger gives the same rows (seq,
    id, body, recorded, hash chain) and the same head as read in the loading process, and the
    worker has ended."""
    monkeypatch.setenv("TRACKER_PREFETCH", "0")
    alone = stored(tmp_path / "alone.db", [world])
    monkeypatch.delenv("TRACKER_PREFETCH")
    monkeypatch.setattr(prefetch, "WORTH_BYTES", 0)
    monkeypatch.setattr(prefetch, "start_method", lambda: method)
    assert prefetch.worthwhile([world])
    assert stored(tmp_path / "worker.db", [world]) == alone
    assert len(alone[0]) == EVENTS and multiprocessing.active_children() == []


@pytest.mark.parametrize("broken", ["not json\n", '{"type": "recognition_granted"}\n'])
def test_a_bad_line_read_in_a_worker_is_reported_as_in_one_process(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    """A bad line past the first blocks is refused with the message (file, line, reason) a
    load in one process gives, nothing is stored, and the worker has ended."""
    lines = world.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join([*lines[:2200], broken, *lines[2200:]]), encoding="utf-8")
    messages = []
    for worker in (False, True):
        monkeypatch.setattr(prefetch, "WORTH_BYTES", 0 if worker else 1 << 60)
        with Store(tmp_path / f"{worker}.db", clock=fixed_clock) as store:
            with pytest.raises(LedgerError) as caught:
                load(store, [bad], quiet=True)
            assert store.count() == 0
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and f"{bad}:2201: " in messages[0]
    assert multiprocessing.active_children() == []


def test_a_worker_is_forked_only_when_this_process_has_no_other_thread() -> None:
    """The worker is forked only from a process without other threads (where a fork cannot
    inherit a lock another thread holds), and started afresh otherwise."""
    import threading

    alone = prefetch.start_method()
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert prefetch.start_method() == "spawn"
    finally:
        release.set()
        other.join()
    assert alone == ("fork" if threading.active_count() == 1 else "spawn")


def test_a_load_that_fails_while_the_worker_reads_stops_the_worker(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event the store refuses (an unknown entity) early in a large file ends the load
    with nothing stored and the worker process stopped, not left reading."""
    lines = world.read_text(encoding="utf-8").splitlines(keepends=True)
    events = [line for line in lines if '"entity"' not in line.split(":", 1)[0]]
    unknown = tmp_path / "unknown.jsonl"  # no entity lines: the first event names unknowns
    unknown.write_text("".join(events), encoding="utf-8")
    monkeypatch.setattr(prefetch, "WORTH_BYTES", 0)
    with Store(tmp_path / "unknown.db", clock=fixed_clock) as store:
        with pytest.raises(LedgerError, match=r"unknown\.jsonl:\d+: .*unknown entity"):
            load(store, [unknown], quiet=True)
        assert store.count() == 0
    assert multiprocessing.active_children() == []
