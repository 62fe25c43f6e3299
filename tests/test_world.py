"""Every dyad at a date: `world` gives each dyad's answers as a point query gives them."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from hypothesis import given
from hypothesis import strategies as st

from events import Event
from tracker import projection, query
from tracker.reducers import Answer, Dyad
from tracker.store import Store

from .strategies import ENTITIES, boundary_days, dyad_event_lists, retraction_of
from .test_store import temporary_store


def by_point_queries(store: Store, day: str) -> dict[Dyad, dict[str, Answer]]:
    """Every dyad's non-initial answers on `day`, one point query per dyad."""
    dyads = store.conn.execute("SELECT DISTINCT actor, counterpart FROM intervals").fetchall()
    found = {(a, c): projection.dyad_at(store.conn, (a, c), day) for a, c in dyads}
    return {dyad: answers for dyad, answers in found.items() if answers}


def marks(world: Mapping[Dyad, Mapping[str, Answer]]) -> dict[tuple[Dyad, str], bool]:
    """Whether each answer of `world` rests only on machine-coded events."""
    return {(d, dim): a.machine_coded for d, answers in world.items() for dim, a in answers.items()}


@given(dyad_event_lists(), st.data())
def test_every_dyad_at_a_date_is_each_dyad_at_that_date(
    items: list[Event], data: st.DataObject
) -> None:
    """On every day where an answer may change, `world` holds exactly the dyads with a
    non-initial dimension, each with the answers (values, since, uncertainty, events,
    machine-coded marks) a point query of that dyad gives."""
    coded = [attrs.evolve(e, evidence="machine") if data.draw(st.booleans()) else e for e in items]
    with temporary_store() as store:
        store.append(coded, ENTITIES)
        stored = list(store.scan())
        if stored and data.draw(st.booleans()):
            store.append([retraction_of(data.draw(st.sampled_from(stored)))])
        for day in boundary_days(stored):
            world = query.world(store, day)
            expected = by_point_queries(store, day)
            assert {d: dict(a) for d, a in world.items()} == expected
            assert marks(world) == marks(expected)  # Answer's equality leaves the mark out


def test_the_seeded_world_answers_as_the_report_says(seeded: Store) -> None:
    """On 2025-07-04 the seeded world has Russia recognising the Taliban government, as the
    point query says, and a dyad's answers can be read by key, iterated and counted."""
    world = query.world(seeded, "2025-07-04")
    answers = world[("RUS", "TALIBAN")]
    assert answers["recognition"].value == "recognized"
    assert len(answers) == len(list(answers)) == len(answers.keys())
    assert dict(answers) == projection.dyad_at(seeded.conn, ("RUS", "TALIBAN"), "2025-07-04")
    assert repr(answers) == repr(dict(answers))  # printed as the answers it holds
    assert {d: dict(a) for d, a in world.items()} == by_point_queries(seeded, "2025-07-04")


def test_machine_coded_marks_are_read_back_settled_or_uncertain() -> None:
    """An answer resting only on machine-coded events is marked so when read back from the
    projection, settled or uncertain; one resting on a curated event is not."""
    from events import RecognitionGranted, Source

    source = (Source(title="t", publisher="p", date="2020"),)
    coded = RecognitionGranted(
        actor="RUS", counterpart="CHN", on="2020-01-01", sources=source, evidence="machine"
    )
    window = RecognitionGranted(
        actor="CHN", counterpart="RUS", on="2020-01/2020-12", sources=source, evidence="machine"
    )
    curated = RecognitionGranted(actor="PAK", counterpart="CHN", on="2020-01-01", sources=source)
    with temporary_store() as store:
        store.append([coded, window, curated], ENTITIES)
        settled = projection.dyad_at(store.conn, ("RUS", "CHN"), "2021-01-01")["recognition"]
        doubt = projection.dyad_at(store.conn, ("CHN", "RUS"), "2020-06-01")["recognition"]
        plain = projection.dyad_at(store.conn, ("PAK", "CHN"), "2021-01-01")["recognition"]
    assert not settled.uncertain and settled.machine_coded
    assert doubt.uncertain and doubt.machine_coded
    assert not plain.machine_coded


def test_an_answer_resting_on_no_event_is_not_machine_coded(seeded: Store) -> None:
    """A dimension set back when an entity ceased to be (the USSR's military stance toward
    Afghanistan after 1991-12-26) rests on no event at all, so on no machine-coded one: not
    marked, read from the projection, from a fold as known at a time, or in the world."""
    day = "1995-01-01"
    stored = projection.dyad_at(seeded.conn, ("SUN", "AFG"), day)["military"]
    assert stored.events == () and not stored.machine_coded
    known = query.state(seeded, "SUN", "AFG", on=day, known_at="2100-01-01")
    assert known.dimensions["military"].events == ()
    assert not known.dimensions["military"].machine_coded
    assert not query.world(seeded, day)[("SUN", "AFG")]["military"].machine_coded
