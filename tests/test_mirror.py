"""A symmetric event refolds the mirror dyad too, when it arrives in a later load."""

from __future__ import annotations

from pathlib import Path

from events import CredentialsAccepted, RelationsEstablished, Source, StatementMade
from tracker import query
from tracker.store import Store

SOURCE = Source(title="Report", publisher="Wire", date="2021")


def test_a_later_symmetric_event_moves_the_mirror_dyad(tmp_path: Path) -> None:
    """Relations established by RUS toward CHN, loaded later, hold for CHN toward RUS too."""
    with Store(tmp_path / "m.db", clock=lambda: "2026-01-01T00:00:00Z") as store:
        store.append(  # both dyads exist, so the later load refolds them from their intervals
            [
                StatementMade(
                    actor="RUS", counterpart="CHN", on="2020", sources=(SOURCE,), stance="partner"
                ),
                StatementMade(
                    actor="CHN", counterpart="RUS", on="2020", sources=(SOURCE,), stance="partner"
                ),
            ]
        )
        store.append(
            [
                RelationsEstablished(
                    actor="RUS", counterpart="CHN", on="2021-03-01", sources=(SOURCE,)
                ),
                CredentialsAccepted(
                    actor="RUS",
                    counterpart="CHN",
                    on="2021-04-01",
                    sources=(SOURCE,),
                    level="ambassador",
                ),
            ]
        )
        mirror = query.state(store, "CHN", "RUS", "2021-06-01").dimensions
        assert mirror["relations"].value == "established"
        assert mirror["envoy_sent"].value == "ambassador"  # CHN's envoy, accepted by RUS
        assert store.verify() == []
