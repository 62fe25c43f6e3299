"""The event vocabulary and its stored shape: round-trips, content ids, strict reading."""

from __future__ import annotations

import json
import re
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import events
from events import (
    EVENT_CLASSES,
    Envelope,
    Event,
    EventFormatError,
    InterventionEnded,
    RecognitionGranted,
    RecognitionWithdrawn,
    Source,
    canonical,
    event_id,
    from_dict,
    to_dict,
)

from .strategies import ALL_TYPES, FIELDS, events_of, timestamps, without_recorded

SOURCE = Source(title="Report", publisher="Reuters", date="2025-07-04", locator="para. 1")
ENVELOPE_FIELDS = {f.name for f in attrs.fields(Envelope)}


def base(**changes: Any) -> dict[str, Any]:
    """A valid stored-shape recognition_granted object, with `changes`."""
    body: dict[str, Any] = {
        "type": "recognition_granted",
        "actor": "RUS",
        "counterpart": "TALIBAN",
        "on": "2025-07-03",
        "sources": [{"title": "Report", "publisher": "Reuters", "date": "2025-07-04"}],
    }
    body.update(changes)
    return body


class TestVocabulary:
    """EVENT_CLASSES: one frozen, past-tense class per type."""

    IRREGULAR = frozenset({"sent", "withdrawn", "left", "taken", "lost", "made", "paid", "began"})

    def test_registry_covers_the_union(self) -> None:
        """EVENT_CLASSES holds every member of the Event union, keyed by its TYPE."""
        assert set(EVENT_CLASSES.values()) == set(Event.__args__)  # type: ignore[attr-defined]
        assert all(key == cls.TYPE for key, cls in EVENT_CLASSES.items())

    @pytest.mark.parametrize("kind", ALL_TYPES)
    def test_type_schema_and_tense(self, kind: str) -> None:
        """Each class has a past-tense snake_case TYPE matching its name, and SCHEMA >= 1."""
        cls = EVENT_CLASSES[kind]
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", cls.TYPE)
        words = cls.TYPE.split("_")
        assert any(w.endswith("ed") or w in self.IRREGULAR for w in words[1:])
        assert cls.__name__ == "".join(w.capitalize() for w in words)
        assert isinstance(cls.SCHEMA, int) and cls.SCHEMA >= 1

    @pytest.mark.parametrize("kind", ALL_TYPES)
    def test_strategies_cover_every_field(self, kind: str) -> None:
        """tests/strategies.py draws every field each event type declares."""
        own = {f.name for f in attrs.fields(EVENT_CLASSES[kind])} - ENVELOPE_FIELDS
        assert own == set(FIELDS[kind])

    @given(st.sampled_from(ALL_TYPES).flatmap(events_of))
    def test_events_are_frozen(self, event: Event) -> None:
        """Assigning to an event's field raises: events are immutable values."""
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            event.actor = "USA"  # type: ignore[misc]
        assert event.type == type(event).TYPE

    def test_entity_ids_are_validated(self) -> None:
        """Actors and counterparts must look like entity ids."""
        with pytest.raises(ValueError, match="entity id"):
            RecognitionGranted(actor="rus", counterpart="TALIBAN", on="2025", sources=(SOURCE,))

    def test_casualties_cannot_be_negative(self) -> None:
        """A negative casualty count is refused."""
        with pytest.raises(ValueError, match="casualties"):
            InterventionEnded(actor="SUN", counterpart="AFG", on="1989", casualties=-1)


class TestCodec:
    """to_dict / from_dict: the stored shape, our own converter, strict structuring."""

    @pytest.mark.parametrize("kind", ALL_TYPES)
    @given(data=st.data())
    def test_round_trip(self, kind: str, data: st.DataObject) -> None:
        """from_dict(to_dict(e)) == e for every event type, also through JSON text."""
        event = data.draw(events_of(kind, any_envelope=True))
        body = to_dict(event)
        assert body["type"] == kind
        assert from_dict(body) == event
        assert from_dict(json.loads(json.dumps(body))) == event

    @given(st.sampled_from(ALL_TYPES).flatmap(events_of))
    def test_defaults_are_left_out(self, event: Event) -> None:
        """Empty and default values are not written, and schema 1 is implicit."""
        body = to_dict(event)
        assert all(value is not None for value in body.values())
        assert "hypothetical" not in body
        assert body.get("schema", 1) == event.schema == type(event).SCHEMA

    def test_converter_is_our_own(self) -> None:
        """The codec uses a dedicated converter, not cattrs' global one."""
        assert isinstance(events.converter, cattrs.Converter)
        assert events.converter is not cattrs.global_converter

    def test_unknown_type_suggests_a_close_match(self) -> None:
        """A misspelled type is refused with the closest known type as a hint."""
        with pytest.raises(EventFormatError, match="did you mean recognition_granted"):
            from_dict(base(type="recognition_grantd"))

    @pytest.mark.parametrize("body", [base(type=None), {"actor": "RUS"}, base(type=3)])
    def test_missing_type_is_refused(self, body: dict[str, Any]) -> None:
        """An object without a text `type` is refused."""
        with pytest.raises(EventFormatError, match="type"):
            from_dict(body)

    @pytest.mark.parametrize("value", [["a"], "text", 3, None])
    def test_non_objects_are_refused(self, value: Any) -> None:
        """Only mappings can be events."""
        with pytest.raises(EventFormatError):
            from_dict(value)

    def test_unknown_keys_are_refused(self) -> None:
        """A key the type does not declare is named in the error."""
        with pytest.raises(EventFormatError, match="colour"):
            from_dict(base(colour="red"))

    def test_unknown_source_keys_are_refused(self) -> None:
        """A source with an undeclared key is refused."""
        body = base(sources=[{"title": "T", "publisher": "P", "date": "2025", "page": 3}])
        with pytest.raises(EventFormatError, match="page"):
            from_dict(body)

    def test_field_of_another_type_is_refused(self) -> None:
        """A recognition event cannot carry a `level`."""
        with pytest.raises(EventFormatError, match="level"):
            from_dict(base(level="ambassador"))

    @pytest.mark.parametrize(
        "changes",
        [
            {"type": "intervention_ended", "actor": "SUN", "casualties": True},
            {"type": "intervention_ended", "actor": "SUN", "casualties": "15000"},
            {"type": "intervention_ended", "actor": "SUN", "casualties": 1.5},
            {"actor": 5},
            {"on": 20250703},
            {"note": 7},
            {"hypothetical": 1},
            {"sources": [{"title": 1, "publisher": "P", "date": "2025"}]},
            {"sources": "Reuters"},
            {"type": "envoy_sent", "level": "consul"},
            {"type": "envoy_sent", "level": 3},
        ],
    )
    def test_wrong_types_are_refused(self, changes: dict[str, Any]) -> None:
        """Bools for ints, ints for text, floats and values outside a Literal are refused."""
        with pytest.raises(EventFormatError):
            from_dict(base(**changes))

    @pytest.mark.parametrize("missing", ["actor", "counterpart", "on"])
    def test_missing_required_field(self, missing: str) -> None:
        """A required envelope field that is absent is reported as missing."""
        body = base()
        del body[missing]
        with pytest.raises(EventFormatError, match="missing"):
            from_dict(body)

    def test_schema_versions(self) -> None:
        """Schema 1 is accepted explicitly; versions above the class's or non-ints are refused."""
        assert from_dict(base(schema=1)) == from_dict(base())
        for version in (2, 0, True, "1"):
            with pytest.raises(EventFormatError, match="schema"):
                from_dict(base(schema=version))

    def test_errors_are_one_line(self) -> None:
        """Every codec error message is a single line."""
        with pytest.raises(EventFormatError) as caught:
            from_dict(base(actor=5, on=3, colour="red"))
        assert "\n" not in str(caught.value)


class TestEventId:
    """event_id: a hash of the canonical content, without the transaction time."""

    @given(st.sampled_from(ALL_TYPES).flatmap(lambda k: events_of(k, any_envelope=True)))
    def test_stable_across_round_trip(self, event: Event) -> None:
        """Re-reading an event from its stored shape gives the same 24-hex-digit id."""
        key = event_id(event)
        assert re.fullmatch(r"[0-9a-f]{24}", key)
        assert event_id(from_dict(to_dict(event))) == key
        assert canonical(from_dict(json.loads(json.dumps(to_dict(event))))) == canonical(event)

    @given(st.sampled_from(ALL_TYPES).flatmap(events_of), timestamps())
    def test_recorded_does_not_change_the_id(self, event: Event, recorded: str) -> None:
        """Transaction time is not content: changing `recorded` keeps the id."""
        assert event_id(attrs.evolve(event, recorded=recorded)) == event_id(event)
        assert event_id(without_recorded(event)) == event_id(event)

    @given(data=st.data(), kind=st.sampled_from(ALL_TYPES))
    def test_same_content_same_id(self, data: st.DataObject, kind: str) -> None:
        """Two events have the same id exactly when their content (all but `recorded`) is equal."""
        first = data.draw(events_of(kind, any_envelope=True))
        second = data.draw(events_of(kind, any_envelope=True))
        same = without_recorded(first) == without_recorded(second)
        assert (event_id(first) == event_id(second)) == same

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("actor", "CHN"),
            ("counterpart", "AFG"),
            ("on", "2025-07"),
            ("sources", (SOURCE, SOURCE)),
            ("note", "a note"),
            ("corrects", "0" * 24),
            ("hypothetical", True),
            ("level", "minister"),
        ],
    )
    def test_any_other_field_changes_the_id(self, field: str, value: Any) -> None:
        """Changing any field but `recorded` gives a different id."""
        event = events.EnvoySent(
            actor="RUS",
            counterpart="TALIBAN",
            on="2025-07-03",
            sources=(SOURCE,),
            level="ambassador",
        )
        assert event_id(attrs.evolve(event, **{field: value})) != event_id(event)

    def test_source_details_change_the_id(self) -> None:
        """A different locator in a source is different content."""
        event = RecognitionGranted(actor="RUS", counterpart="TALIBAN", on="2025", sources=(SOURCE,))
        other = attrs.evolve(event, sources=(attrs.evolve(SOURCE, locator="para. 2"),))
        assert event_id(other) != event_id(event)

    def test_type_is_part_of_the_content(self) -> None:
        """Two types with the same envelope have different ids."""
        envelope = {"actor": "RUS", "counterpart": "TALIBAN", "on": "2025", "sources": (SOURCE,)}
        assert event_id(RecognitionGranted(**envelope)) != event_id(
            RecognitionWithdrawn(**envelope)
        )
