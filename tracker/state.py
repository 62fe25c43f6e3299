"""The state of a directed dyad and the pure reducers that move it.

`effects` says what an event does to each dimension of a dyad's state; `evolve` applies it.
A fold keeps, for every dimension, the value, the date it took that value (`since`) and the
ids of the events behind it, so every answer can explain itself. Nothing here does I/O, reads
a clock or draws a random number.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal, TypeAlias, assert_never

import attrs

from events import (
    AttackCarriedOut,
    ControlLost,
    ControlTaken,
    CooperationAgreed,
    CooperationEnded,
    CredentialsAccepted,
    DesignationAdded,
    DesignationRemoved,
    EnvoyExpelled,
    EnvoyRecalled,
    EnvoySent,
    Event,
    EventRetracted,
    InterventionEnded,
    InterventionStarted,
    MembershipJoined,
    MembershipLeft,
    MembershipSuspended,
    RecognitionGranted,
    RecognitionWithdrawn,
    RelationsEstablished,
    RelationsSevered,
    RelationsSuspended,
    SanctionsImposed,
    SanctionsLifted,
    StatementMade,
    VisitPaid,
)

Value: TypeAlias = str | frozenset[str]
Op = Literal["set", "add", "remove"]
Effect: TypeAlias = tuple[str, Op, str]
Dyad: TypeAlias = tuple[str, str]

DIMENSIONS: tuple[str, ...] = (
    "recognition",
    "relations",
    "envoy_sent",
    "envoy_received",
    "designations",
    "sanctions",
    "military",
    "membership",
    "control",
    "cooperation",
    "stance",
)
SET_DIMENSIONS = frozenset({"designations", "sanctions", "cooperation"})

# The closed vocabularies; set dimensions and `stance` take any lowercase token.
_LEVELS = ("none", "charge_d_affaires", "minister", "ambassador", "other")
VALUES: dict[str, tuple[str, ...]] = {
    "recognition": ("none", "recognized", "withdrawn"),
    "relations": ("none", "established", "suspended", "severed"),
    "envoy_sent": _LEVELS,
    "envoy_received": _LEVELS,
    "military": ("none", "intervention"),
    "membership": ("none", "member", "suspended", "left"),
    "control": ("none", "governs"),
}


def default(dimension: str) -> Value:
    """The value of `dimension` before any event."""
    return frozenset() if dimension in SET_DIMENSIONS else "none"


def effects(event: Event) -> tuple[Effect, ...]:
    """What `event` does to the actor->counterpart dyad."""
    match event:
        case RecognitionGranted():
            return (("recognition", "set", "recognized"),)
        case RecognitionWithdrawn():
            return (("recognition", "set", "withdrawn"),)
        case RelationsEstablished():
            return (("relations", "set", "established"),)
        case RelationsSuspended():
            return (("relations", "set", "suspended"),)
        case RelationsSevered():
            return (("relations", "set", "severed"),)
        case EnvoySent(level=level):
            return (("envoy_sent", "set", level),)
        case EnvoyRecalled():
            return (("envoy_sent", "set", "none"),)
        case CredentialsAccepted(level=level):
            return (("envoy_received", "set", level),)
        case EnvoyExpelled():
            return (("envoy_received", "set", "none"),)
        case DesignationAdded(designation=name):
            return (("designations", "add", name),)
        case DesignationRemoved(designation=name):
            return (("designations", "remove", name),)
        case SanctionsImposed(measure=measure):
            return (("sanctions", "add", measure),)
        case SanctionsLifted(measure=measure):
            return (("sanctions", "remove", measure),)
        case InterventionStarted():
            return (("military", "set", "intervention"),)
        case InterventionEnded():
            return (("military", "set", "none"),)
        case MembershipJoined():
            return (("membership", "set", "member"),)
        case MembershipSuspended():
            return (("membership", "set", "suspended"),)
        case MembershipLeft():
            return (("membership", "set", "left"),)
        case ControlTaken():
            return (("control", "set", "governs"),)
        case ControlLost():
            return (("control", "set", "none"),)
        case CooperationAgreed(area=area):
            return (("cooperation", "add", area),)
        case CooperationEnded(area=area):
            return (("cooperation", "remove", area),)
        case StatementMade(stance=stance):
            return (("stance", "set", stance),)
        case AttackCarriedOut() | VisitPaid() | EventRetracted():
            return ()
        case _:
            assert_never(event)


def mirror_effects(event: Event) -> tuple[Effect, ...]:
    """What `event` does to the counterpart->actor dyad (symmetric and envoy events)."""
    match event:
        case RelationsEstablished() | RelationsSuspended() | RelationsSevered():
            return effects(event)
        case CredentialsAccepted(level=level):
            return (("envoy_sent", "set", level),)
        case EnvoyExpelled():
            return (("envoy_sent", "set", "none"),)
        case EnvoyRecalled():
            return (("envoy_received", "set", "none"),)
        case _:
            return ()


def dyads(event: Event) -> tuple[Dyad, ...]:
    """The dyads whose state `event` moves: its own, and the mirror one if it has effects."""
    forward = (event.actor, event.counterpart)
    if mirror_effects(event):
        return (forward, (event.counterpart, event.actor))
    return (forward,)


def effects_on(event: Event, dyad: Dyad) -> tuple[Effect, ...]:
    """What `event` does to `dyad` (nothing if the event does not move it)."""
    if dyad == (event.actor, event.counterpart):
        return effects(event)
    if dyad == (event.counterpart, event.actor):
        return mirror_effects(event)
    return ()


@attrs.frozen
class Slot:
    """One dimension's value, when it took that value, and the events behind it."""

    value: Value
    since: str | None = None
    events: tuple[str, ...] = ()


_INDEX = {name: i for i, name in enumerate(DIMENSIONS)}


@attrs.frozen
class DyadState:
    """A dyad's state: one Slot per dimension, in the order of DIMENSIONS."""

    slots: tuple[Slot, ...] = attrs.field(
        factory=lambda: tuple(Slot(default(name)) for name in DIMENSIONS)
    )

    def __getitem__(self, dimension: str) -> Slot:
        return self.slots[_INDEX[dimension]]

    def values(self) -> dict[str, Value]:
        """Each dimension's value, by name."""
        return {name: slot.value for name, slot in zip(DIMENSIONS, self.slots, strict=True)}


INITIAL = DyadState()


def _apply(slot: Slot, op: Op, operand: str, event_id: str, on: str) -> Slot:
    value = slot.value
    if op == "set":
        new: Value = operand
    elif op == "add":
        assert isinstance(value, frozenset)
        new = value | {operand}
    else:
        assert isinstance(value, frozenset)
        new = value - {operand}
    if new == value:  # a corroborating event: the value stands, with one more source
        return Slot(value, slot.since, (*slot.events, event_id))
    keep = isinstance(new, frozenset) and new and slot.events
    return Slot(new, on, (*slot.events, event_id) if keep else (event_id,))


def evolve(state: DyadState, event_effects: Iterable[Effect], event_id: str, on: str) -> DyadState:
    """The state after an event's effects (`on` is the event's date, kept as `since`)."""
    slots = list(state.slots)
    for dimension, op, operand in event_effects:
        i = _INDEX[dimension]
        slots[i] = _apply(slots[i], op, operand, event_id, on)
    return DyadState(tuple(slots))


@attrs.frozen
class Answer:
    """A dimension at a date: the settled value, and whether later knowledge could change it."""

    value: Value
    since: str | None
    uncertain: bool
    possible: tuple[Value, ...]
    events: tuple[str, ...]


def answer(lower: Slot, upper: Slot) -> Answer:
    """Compare the fold of settled events (`lower`) with that of possible ones (`upper`)."""
    if lower.value == upper.value:
        return Answer(lower.value, lower.since, False, (lower.value,), lower.events)
    extra = tuple(e for e in upper.events if e not in lower.events)
    return Answer(lower.value, lower.since, True, (lower.value, upper.value), lower.events + extra)


def diff(before: DyadState, after: DyadState) -> Iterator[tuple[str, Value, Value]]:
    """(dimension, old value, new value) for each dimension whose value differs."""
    for name, old, new in zip(DIMENSIONS, before.slots, after.slots, strict=True):
        if old.value != new.value:
            yield name, old.value, new.value


def matches(value: Value, wanted: str) -> bool:
    """Whether a dimension's value is `wanted` (for set dimensions: contains it)."""
    if isinstance(value, frozenset):
        return wanted in value
    return value == wanted


def encode(value: Value) -> str | list[str]:
    """A value as JSON can carry it: sets become sorted lists."""
    return sorted(value) if isinstance(value, frozenset) else value


Step: TypeAlias = tuple[tuple[Effect, ...], str, str]


def fold(steps: Iterable[Step], state: DyadState = INITIAL) -> DyadState:
    """Fold (effects, event id, on) steps, in order, starting from `state`."""
    for step_effects, event_id, on in steps:
        if step_effects:
            state = evolve(state, step_effects, event_id, on)
    return state
