"""The checker through its API (tracker/verify.py): a head's text, the progress it reports, and
what it says of a store it cannot read, of versions not this tracker's, and of a head past the
end of an empty entity log. Tampering seen through `tracker verify` is in test_tamper.py."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from events import Source, VisitPaid
from tracker import projection, tables
from tracker.errors import TrackerError
from tracker.store import Store
from tracker.tables import GENESIS
from tracker.verify import Head, Problem, verify

from .conftest import fixed_clock

HASH = "0123456789abcdef" * 4


class TestHead:
    """A head's text: SEQ.ENTITY_SEQ:HASH, or SEQ:HASH for the event chain alone."""

    @pytest.mark.parametrize(
        ("head", "text"),
        [
            (Head(80, 4, HASH), f"80.4:{HASH}"),
            (Head(1, 0, HASH), f"1.0:{HASH}"),
            (Head(80, None, HASH), f"80:{HASH}"),
            (Head(0, None, GENESIS), f"0:{GENESIS}"),
        ],
    )
    def test_printed_and_read_back(self, head: Head, text: str) -> None:
        """A head prints as its text, and its text (around blanks too) reads back as it."""
        assert str(head) == text
        assert Head.parse(text) == Head.parse(f" {text}\n") == head

    @pytest.mark.parametrize(
        ("text", "quoted"),
        [
            ("", "''"),
            ("80", "'80'"),
            (f"80:{HASH[:-1]}", f"'80:{HASH[:-1]}'"),
            (f"80:{HASH.upper()}", f"'80:{HASH.upper()}'"),
            (f"80.4.1:{HASH}", f"'80.4.1:{HASH}'"),
            (f"-1:{HASH}", f"'-1:{HASH}'"),
            (f"  {'9' * 100}\n", f"'{'9' * 80}'"),  # stripped, then its first 80 characters
        ],
    )
    def test_not_a_head(self, text: str, quoted: str) -> None:
        """Text that is not a head is refused, quoting it and saying the form wanted."""
        with pytest.raises(TrackerError) as error:
            Head.parse(text)
        assert str(error.value) == (
            f"{quoted} is not a head: write SEQ.ENTITY_SEQ:HASH as verify prints it "
            "(64 hexadecimal digits)"
        )


SOURCE = Source(title="Report", publisher="Wire", date="2020")
# Visits (no effects, no mirror dyad) in dyads of 600, 400 and 1,001 events, in dyad order.
DYADS = (("AFG", "ALB", 600), ("AFG", "DZA", 400), ("ALB", "DZA", 1001))


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 2,001 events in the three DYADS, made once for the module."""
    path = tmp_path_factory.mktemp("verify") / "large.db"
    start = datetime.date(1950, 1, 1)
    visits = [
        VisitPaid(
            actor=actor,
            counterpart=counterpart,
            on=(start + datetime.timedelta(days=day)).isoformat(),
            sources=(SOURCE,),
        )
        for actor, counterpart, count in DYADS
        for day in range(count)
    ]
    with Store(path, clock=fixed_clock) as store:
        assert store.append(visits).added == 2001
    return path


def test_progress(large: Path) -> None:
    """verify reports its progress as it goes: 1,000 for each 1,000 events read (the 2,001st
    is not reported), then, as it refolds, the events of the dyads refolded since its last
    report once they reach 1,000 (600 + 400, exactly 1,000; then 1,001). Without a callback
    it finds the same."""
    with Store(large, clock=fixed_clock) as store:
        reports: list[int] = []
        assert store.verify(progress=reports.append) == []
        assert reports == [1000, 1000, 1000, 1001]
        assert store.verify() == []


@pytest.mark.parametrize(
    ("key", "wanted"), [("schema", tables.SCHEMA_VERSION), ("derived", projection.VERSION)]
)
def test_a_version_not_this_trackers(store: Store, key: str, wanted: str) -> None:
    """A store whose meta records another schema or derived-tables version is named (verify
    reads the file as it is: opening it with the tracker would upgrade it)."""
    store.conn.execute("UPDATE meta SET value = 'other' WHERE key = ?", (key,))
    assert verify(store.conn) == [Problem(None, f"meta: {key} is not {wanted}")]


UNREADABLE = {
    "entity_log": (  # its triggers go with it
        "table entity_log is missing",
        "trigger entity_log_no_update is missing (entity declarations can be edited)",
        "trigger entity_log_no_delete is missing (entity declarations can be deleted)",
    ),
    "entities": (  # its primary key's index goes with it
        "table entities is missing",
        "index sqlite_autoindex_entities_1 is missing",
    ),
}


@pytest.mark.parametrize("table", sorted(UNREADABLE))
def test_a_store_it_cannot_read(store: Store, table: str) -> None:
    """A check that cannot read the store (a table it reads dropped) is one problem saying
    why, after the schema's: a problem does not stop the checks that can still read (the
    refold of events found bad would not, and is left out)."""
    store.conn.execute(f"DROP TABLE {table}")
    assert verify(store.conn) == [
        *(Problem(None, reason) for reason in UNREADABLE[table]),
        Problem(None, f"cannot read the store: OperationalError: no such table: {table}"),
    ]


def test_a_head_past_an_empty_entity_log(store: Store) -> None:
    """A head naming an entity declaration, given to a store with none, says declarations were
    cut (not that they were rewritten)."""
    assert store.verify(Head(0, 1, GENESIS)) == [
        Problem(
            None,
            "entity_log ends at seq 0 but the expected head is at seq 1: "
            "declarations were cut from its end",
        )
    ]
