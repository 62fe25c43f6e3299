"""The dyad index holds what folds read: a dyad read from it alone is the dyad read whole."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from events import Event
from tracker import tables

from .strategies import ENTITIES, dyad_event_lists, retraction_of
from .test_store import temporary_store


@given(dyad_event_lists(), st.data())
def test_a_dyad_read_from_the_index_alone_is_the_dyad_read_with_bodies(
    items: list[Event], data: st.DataObject
) -> None:
    """Every dyad's events read from the dyad index alone have the columns, order and
    machine-coded marks of the same events read with their bodies from `events`."""
    coded = [attrs.evolve(e, evidence="machine") if data.draw(st.booleans()) else e for e in items]
    with temporary_store() as store:
        store.append(coded, ENTITIES)
        stored = list(store.scan())
        if stored:
            store.append([retraction_of(data.draw(st.sampled_from(stored)))])
        dyads = store.conn.execute("SELECT DISTINCT actor, counterpart FROM dyad_events")
        for dyad in dyads.fetchall():
            whole = tables.records(store.conn, dyad)
            alone = tables.records(store.conn, dyad, bodies=False)
            assert [attrs.astuple(r)[:-2] for r in alone] == [attrs.astuple(r)[:-2] for r in whole]
            assert [r.machine_coded for r in alone] == [r.machine_coded for r in whole]
            assert all(r.body and r.machine is None for r in whole)
