"""Concurrent writers: processes loading overlapping ledgers at once lose and duplicate nothing.

Four `tracker load` processes start together on one database, each with a slice of one pool of
events; neighbouring slices overlap by half. Every process succeeds (none sees "database is
locked": each waits its turn at BEGIN IMMEDIATE, under the store's busy timeout), together they
add exactly the pool, the chain verifies, and the projections equal a rebuild. Once more with a
database that does not exist yet, so the four also race to create it.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from events import event_id
from tracker.cli import main, seed_files
from tracker.ledger import Located, event

from .test_crash import check_sound, ledger_lines, state_of, tracker, write_ledger

WRITERS = 4
SLICE = 800  # events per writer; each overlaps its neighbours by half
SEED = 1979
POOL = SLICE * (WRITERS + 1) // 2


def slices(folder: Path) -> tuple[list[Path], set[str]]:
    """Each writer's ledger (its slice, shuffled) and the ids of the whole pool."""
    rng = random.Random(SEED)
    paths = []
    for writer in range(WRITERS):
        lines = ledger_lines(SLICE, SEED, first=writer * SLICE // 2)
        head, body = lines[:1], lines[1:]
        rng.shuffle(body)
        paths.append(write_ledger(folder / f"writer{writer}.jsonl", head + body))
    pool = ledger_lines(POOL, SEED)[1:]
    ids = {event_id(event(Located(line, "pool", n))) for n, line in enumerate(pool, 1)}
    assert len(ids) == POOL
    return paths, ids


def run_writers(db: Path, ledgers: list[Path]) -> list[dict[str, Any]]:
    """Start one `tracker load` per ledger at once; wait for all; report each one's outcome."""
    started = time.monotonic()
    processes = [tracker(db, "load", "--quiet", str(path)) for path in ledgers]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        results.append(
            {
                "code": process.returncode,
                "out": out,
                "err": err,
                "seconds": round(time.monotonic() - started, 2),
            }
        )
    return results


def check_writers(results: list[dict[str, Any]]) -> int:
    """Every writer succeeded, none saw a lock error; return the events they added in total."""
    added = 0
    for result in results:
        assert "locked" not in result["err"] and "busy" not in result["err"], result["err"]
        assert result["code"] == 0, result["err"]
        found = re.match(r"loaded (\d+) new events, (\d+) already present", result["out"])
        assert found is not None, result["out"]
        assert int(found[1]) + int(found[2]) == SLICE
        added += int(found[1])
    return added


@pytest.mark.parametrize("fresh", [False, True], ids=["seeded database", "new database"])
def test_concurrent_loads_give_the_union(tmp_path: Path, fresh: bool) -> None:
    """Four processes loading overlapping ledgers at once store the union, once each."""
    ledgers, pool = slices(tmp_path)
    db = tmp_path / "shared.db"
    before: set[str] = set()
    if not fresh:
        made = CliRunner().invoke(
            main, ["--db", str(db), "load", "--quiet", *(str(p) for p in seed_files())]
        )
        assert made.exit_code == 0, made.output
        before = set(state_of(db).ids)
    results = run_writers(db, ledgers)
    added = check_writers(results)
    found = state_of(db)
    assert len(found.ids) == len(set(found.ids)), "an event is stored twice"
    assert set(found.ids) == before | pool
    assert added == POOL
    assert found.head[0] == len(before) + POOL
    check_sound(db)
    again = run_writers(db, ledgers[:2])  # and loading again, concurrently, adds nothing
    assert check_writers(again) == 0
    assert state_of(db) == found
    print(
        f"\n{WRITERS} writers, {SLICE} events each, {POOL} in the union "
        f"({'new' if fresh else 'seeded'} database): finished after "
        f"{', '.join(str(r['seconds']) for r in results)} s"
    )


def test_slices_overlap() -> None:
    """Each slice shares half its events with each neighbour, and the slices cover the pool."""
    whole = ledger_lines(POOL, SEED)[1:]
    parts = [ledger_lines(SLICE, SEED, first=w * SLICE // 2)[1:] for w in range(WRITERS)]
    notes = [{line["note"] for line in part} for part in parts]
    assert set().union(*notes) == {line["note"] for line in whole}
    for left, right in itertools.pairwise(notes):
        assert len(left & right) == SLICE // 2
