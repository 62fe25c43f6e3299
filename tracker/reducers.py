"""The state of a directed dyad and the pure reducers that move it.

`effects` says what an event does to each dimension of a dyad's state; `evolve` applies it.
A fold keeps, for every dimension, the value, the date it took that value (`since`) and the
ids of the events behind it, so every answer can explain itself. Nothing here does I/O, reads
a clock or draws a random number.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

import attrs

if TYPE_CHECKING:
    from events import Event

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


# What each event type does to the actor->counterpart dyad: (dimension, op, value), where a
# value of None stands for the event's operand (its level, designation, measure, area, stance).
RULES: dict[str, tuple[tuple[str, Op, str | None], ...]] = {
    "recognition_granted": (("recognition", "set", "recognized"),),
    "recognition_withdrawn": (("recognition", "set", "withdrawn"),),
    "relations_established": (("relations", "set", "established"),),
    "relations_suspended": (("relations", "set", "suspended"),),
    "relations_severed": (("relations", "set", "severed"),),
    "envoy_sent": (("envoy_sent", "set", None),),
    "envoy_recalled": (("envoy_sent", "set", "none"),),
    "credentials_accepted": (("envoy_received", "set", None),),
    "envoy_expelled": (("envoy_received", "set", "none"),),
    "designation_added": (("designations", "add", None),),
    "designation_removed": (("designations", "remove", None),),
    "sanctions_imposed": (("sanctions", "add", None),),
    "sanctions_lifted": (("sanctions", "remove", None),),
    "intervention_started": (("military", "set", "intervention"),),
    "intervention_ended": (("military", "set", "none"),),
    "membership_joined": (("membership", "set", "member"),),
    "membership_suspended": (("membership", "set", "suspended"),),
    "membership_left": (("membership", "set", "left"),),
    "control_taken": (("control", "set", "governs"),),
    "control_lost": (("control", "set", "none"),),
    "cooperation_agreed": (("cooperation", "add", None),),
    "cooperation_ended": (("cooperation", "remove", None),),
    "statement_made": (("stance", "set", None),),
    "attack_carried_out": (),
    "visit_paid": (),
    "event_retracted": (),
    # Lifespans move no dimension of their own: they bound every dyad of their entity
    # (lifespans.py says which stretches of a dyad's history count).
    "entity_began": (),
    "entity_ended": (),
}

# What symmetric and envoy events do to the counterpart->actor dyad. A head of mission is one
# fact seen from both ends: A's envoy_sent toward B is B's envoy_received from A, whichever
# of the four envoy events recorded it.
MIRROR_RULES: dict[str, tuple[tuple[str, Op, str | None], ...]] = {
    "relations_established": RULES["relations_established"],
    "relations_suspended": RULES["relations_suspended"],
    "relations_severed": RULES["relations_severed"],
    "envoy_sent": (("envoy_received", "set", None),),
    "envoy_recalled": (("envoy_received", "set", "none"),),
    "credentials_accepted": (("envoy_sent", "set", None),),
    "envoy_expelled": (("envoy_sent", "set", "none"),),
}


@functools.cache
def rules(kind: str, value: str | None, mirror: bool = False) -> tuple[Effect, ...]:
    """The effects of an event of type `kind` with operand `value` (on the mirror dyad if asked)."""
    table = MIRROR_RULES if mirror else RULES
    return tuple(
        (dimension, op, value if constant is None else constant)  # type: ignore[misc]
        for dimension, op, constant in table.get(kind, ())
    )


def effects(event: Event) -> tuple[Effect, ...]:
    """What `event` does to the actor->counterpart dyad."""
    from events import operand

    return rules(event.type, operand(event))


def mirror_effects(event: Event) -> tuple[Effect, ...]:
    """What `event` does to the counterpart->actor dyad (symmetric and envoy events)."""
    from events import operand

    return rules(event.type, operand(event), True)


def movers(dimensions: Iterable[str]) -> frozenset[str]:
    """The event types that can move any of `dimensions`, on their own dyad or the mirror one.

    Dimensions fold independently, so these (and the corrections and retractions that withdraw
    them) are all a fold of those dimensions needs.
    """
    wanted = set(dimensions)
    return frozenset(
        kind
        for table in (RULES, MIRROR_RULES)
        for kind, steps in table.items()
        if any(dimension in wanted for dimension, _, _ in steps)
    )


def dyads_of(kind: str, actor: str, counterpart: str) -> tuple[Dyad, ...]:
    """The dyads an event of type `kind` moves: its own, and the mirror one if it has rules."""
    if kind in MIRROR_RULES:
        return ((actor, counterpart), (counterpart, actor))
    return ((actor, counterpart),)


def dyads(event: Event) -> tuple[Dyad, ...]:
    """The dyads whose state `event` moves."""
    return dyads_of(event.type, event.actor, event.counterpart)


class Fact(Protocol):
    """What the reducers need of a stored event (a Record has it)."""

    @property
    def type(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def counterpart(self) -> str: ...
    @property
    def operand(self) -> str | None: ...


def effects_on(item: Fact, dyad: Dyad) -> tuple[Effect, ...]:
    """What a stored event does to `dyad`; () if it does not move it."""
    actor, counterpart = dyad
    if item.actor == actor and item.counterpart == counterpart:
        return rules(item.type, item.operand)
    if item.counterpart == actor and item.actor == counterpart:
        return rules(item.type, item.operand, True)
    return ()


@attrs.frozen
class Slot:
    """One dimension's value, when it took that value, and the events behind it.

    For a single value: the event that set it, then the latest that repeated it (eight at
    most). For a set: the event that added each member, then the last removal if the latest
    change was one. `adders` pairs each member of a set with the event that added it.
    """

    value: Value
    since: str | None = None
    events: tuple[str, ...] = ()
    adders: tuple[tuple[str, str], ...] = attrs.field(default=(), eq=False, repr=False)


INDEX: dict[str, int] = {name: i for i, name in enumerate(DIMENSIONS)}
"""Each dimension's place in DIMENSIONS (and in a DyadState's slots)."""


@attrs.frozen
class DyadState:
    """A dyad's state: one Slot per dimension, in the order of DIMENSIONS."""

    slots: tuple[Slot, ...] = attrs.field(
        factory=lambda: tuple(Slot(default(name)) for name in DIMENSIONS)
    )

    def __getitem__(self, dimension: str) -> Slot:
        return self.slots[INDEX[dimension]]

    def values(self) -> dict[str, Value]:
        """Each dimension's value, by name."""
        return {name: slot.value for name, slot in zip(DIMENSIONS, self.slots, strict=True)}


INITIAL = DyadState()


Raw: TypeAlias = tuple[Value, str | None, tuple[str, ...], tuple[tuple[str, str], ...]]
"""A Slot's fields as a plain tuple (value, since, events, adders): hot folds build these
instead of Slots, which cost twenty times as much to make."""


def raw(slot: Slot) -> Raw:
    """`slot`'s fields as a Raw tuple."""
    return (slot.value, slot.since, slot.events, slot.adders)


def step(state: Raw, op: Op, operand: str, event_id: str, on: str) -> Raw:
    """One effect on one dimension's Raw state; `state` itself if the effect changes nothing."""
    value, since, events, adders = state
    if op == "set":
        if operand == value:  # a corroborating event: the value stands, with one more source
            return (value, since, _cap((*events, event_id)), ())
        return (operand, on, (event_id,), ())
    assert isinstance(value, frozenset)
    if (op == "add") == (operand in value):
        return state  # adding a member already there, or removing one that is not
    # (list comprehensions: faster than generators here)
    if op == "add":
        adders = (*adders, (operand, event_id))
        return (value | {operand}, on, tuple([i for _, i in adders]), adders)
    adders = tuple([pair for pair in adders if pair[0] != operand])
    return (value - {operand}, on, (*[i for _, i in adders], event_id), adders)


def _apply(slot: Slot, op: Op, operand: str, event_id: str, on: str) -> Slot:
    before = raw(slot)
    after = step(before, op, operand, event_id, on)
    return slot if after is before else Slot(*after)


MAX_EVENTS = 8


def _cap(events: tuple[str, ...]) -> tuple[str, ...]:
    """At most MAX_EVENTS ids: the first behind the value, then the latest ones."""
    if len(events) <= MAX_EVENTS:
        return events
    return (events[0], *events[1 - MAX_EVENTS :])


def evolve(state: DyadState, event_effects: Iterable[Effect], event_id: str, on: str) -> DyadState:
    """The state after an event's effects (`on` is the event's date, kept as `since`)."""
    slots = list(state.slots)
    for dimension, op, operand in event_effects:
        i = INDEX[dimension]
        slots[i] = _apply(slots[i], op, operand, event_id, on)
    return DyadState(tuple(slots))


@attrs.frozen
class Answer:
    """A dimension at a date: the settled value, and whether later knowledge could change it.

    `machine_coded` says that every event behind the value was machine-coded (GDELT and the
    like): no person read its sources. It follows from `events`, so it takes no part in
    comparisons.
    """

    value: Value
    since: str | None
    uncertain: bool
    possible: tuple[Value, ...]
    events: tuple[str, ...]
    machine_coded: bool = attrs.field(default=False, eq=False)


def answer(lower: Slot, upper: Slot) -> Answer:
    """Compare the fold of settled events (`lower`) with that of possible ones (`upper`)."""
    return raw_answer(raw(lower), raw(upper))


def raw_answer(lower: Raw, upper: Raw) -> Answer:
    """`answer` for two Raw states."""
    value, since, events, _ = lower
    if value == upper[0]:
        return Answer(value, since, False, (value,), events)
    extra = tuple(e for e in upper[2] if e not in events)
    return Answer(value, since, True, (value, upper[0]), events + extra)


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
