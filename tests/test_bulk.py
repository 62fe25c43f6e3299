"""One load of many new dyads: the bulk refresh (over 1,000 new dyads, read back in one scan)
and the projection's batched writes (a flush every 20,000 interval rows) store what a rebuild
would."""

from __future__ import annotations

import itertools
from pathlib import Path

from events import RelationsEstablished, Source
from tracker import query
from tracker.entities import iso_states
from tracker.store import Store

SOURCE = Source(title="Report", publisher="Wire", date="2021")
PAIRS = 10_001  # symmetric events: two new dyads and two interval rows each, over 20,000 rows


def test_a_load_of_many_new_dyads_equals_a_rebuild(tmp_path: Path) -> None:
    """A load creating 20,002 dyads answers each of them and verifies against a refold."""
    states = sorted(iso_states())
    pairs = list(itertools.islice(itertools.combinations(states, 2), PAIRS))
    with Store(tmp_path / "bulk.db", clock=lambda: "2026-01-01T00:00:00Z") as store:
        report = store.append(
            RelationsEstablished(actor=a, counterpart=c, on="2021-03-01", sources=(SOURCE,))
            for a, c in pairs
        )
        assert report.added == PAIRS
        for a, c in (pairs[0], pairs[PAIRS // 2], pairs[-1]):
            for dyad in ((a, c), (c, a)):
                found = query.state(store, *dyad, "2021-06-01").dimensions["relations"]
                assert found.value == "established", dyad
        rows = store.conn.execute("SELECT count(*) FROM intervals").fetchone()[0]
        assert rows == 2 * PAIRS
        assert store.verify() == []
