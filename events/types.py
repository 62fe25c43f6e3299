"""The event vocabulary: one frozen class per event type, named in the past tense."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal, assert_never

import attrs

Level = Literal["charge_d_affaires", "minister", "ambassador", "other"]
LEVELS: tuple[str, ...] = ("charge_d_affaires", "minister", "ambassador", "other")
# How a fact was coded: by a person who read the sources (a curated ledger, or a hand-coded
# data set such as the Correlates of War), or by software from news text (GDELT).
Evidence = Literal["curated", "machine"]
EVIDENCE: tuple[str, ...] = ("curated", "machine")

_ENTITY_ID = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_TOKEN = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _entity_id(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not _ENTITY_ID.fullmatch(value):
        raise ValueError(
            f"{attribute.name} {value!r} is not an entity id "
            "(uppercase letters, digits and _, starting with a letter)"
        )


def _token(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not _TOKEN.fullmatch(value):
        raise ValueError(
            f"{attribute.name} {value!r} is not a token "
            "(lowercase letters, digits and _, starting with a letter)"
        )


def _entity_ids(
    _: Any, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    for item in value:
        if not isinstance(item, str) or not _ENTITY_ID.fullmatch(item):
            raise ValueError(f"{attribute.name}: {item!r} is not an entity id")
    if len(set(value)) != len(value):
        raise ValueError(f"{attribute.name} names an entity twice")


def _non_negative(_: Any, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and not 0 <= value <= 10**12:
        raise ValueError(f"{attribute.name} must be from 0 to 10**12, got {value}")


def _current_schema(event: Envelope) -> int:
    return type(event).SCHEMA


def _schema_in_range(event: Envelope, _: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or not 1 <= value <= event.SCHEMA:
        raise ValueError(f"{event.TYPE}: schema must be from 1 to {event.SCHEMA}, got {value!r}")


@attrs.frozen(kw_only=True)
class Source:
    """Where a fact comes from: a title, a publisher, a publication date and a locator."""

    title: str
    publisher: str
    date: str
    url: str | None = None
    locator: str | None = None


@attrs.frozen(kw_only=True)
class Envelope:
    """The fields every event has; `type` is the class's TYPE."""

    TYPE: ClassVar[str] = ""
    SCHEMA: ClassVar[int] = 1  # the type's current schema version
    # Whether the event may name one entity only (actor and counterpart the same): a lifespan,
    # or a retraction of one. Every other event is about a dyad of two entities.
    ONE_ENTITY: ClassVar[bool] = False

    actor: str = attrs.field(validator=_entity_id)
    counterpart: str = attrs.field(validator=_entity_id)
    on: str
    sources: tuple[Source, ...] = ()
    recorded: str | None = None
    note: str | None = None
    corrects: str | None = None
    hypothetical: bool = False
    evidence: Evidence = "curated"
    # The version the event was written in: an event read from an older body keeps it, so it
    # is stored and exported in that body again, and its content id never changes.
    schema: int = attrs.field(
        default=attrs.Factory(_current_schema, takes_self=True), validator=_schema_in_range
    )

    @property
    def type(self) -> str:
        """The event type's name, as written in ledgers."""
        return self.TYPE


@attrs.frozen(kw_only=True)
class RecognitionGranted(Envelope):
    """The actor recognized the counterpart (a state or a government)."""

    TYPE: ClassVar[str] = "recognition_granted"


@attrs.frozen(kw_only=True)
class RecognitionWithdrawn(Envelope):
    """The actor withdrew its recognition of the counterpart."""

    TYPE: ClassVar[str] = "recognition_withdrawn"


@attrs.frozen(kw_only=True)
class RelationsEstablished(Envelope):
    """Diplomatic relations were established (symmetric)."""

    TYPE: ClassVar[str] = "relations_established"


@attrs.frozen(kw_only=True)
class RelationsSuspended(Envelope):
    """Diplomatic relations were suspended (symmetric)."""

    TYPE: ClassVar[str] = "relations_suspended"


@attrs.frozen(kw_only=True)
class RelationsSevered(Envelope):
    """Diplomatic relations were severed (symmetric)."""

    TYPE: ClassVar[str] = "relations_severed"


@attrs.frozen(kw_only=True)
class EnvoySent(Envelope):
    """The actor sent a head of mission of `level` to the counterpart."""

    TYPE: ClassVar[str] = "envoy_sent"

    level: Level


@attrs.frozen(kw_only=True)
class EnvoyRecalled(Envelope):
    """The actor recalled its head of mission from the counterpart."""

    TYPE: ClassVar[str] = "envoy_recalled"


@attrs.frozen(kw_only=True)
class CredentialsAccepted(Envelope):
    """The actor accepted the credentials of the counterpart's envoy of `level`."""

    TYPE: ClassVar[str] = "credentials_accepted"

    level: Level


@attrs.frozen(kw_only=True)
class EnvoyExpelled(Envelope):
    """The actor expelled the counterpart's head of mission."""

    TYPE: ClassVar[str] = "envoy_expelled"


@attrs.frozen(kw_only=True)
class DesignationAdded(Envelope):
    """The actor put the counterpart on the list `designation`."""

    TYPE: ClassVar[str] = "designation_added"

    designation: str = attrs.field(validator=_token)


@attrs.frozen(kw_only=True)
class DesignationRemoved(Envelope):
    """The actor took the counterpart off the list `designation`."""

    TYPE: ClassVar[str] = "designation_removed"

    designation: str = attrs.field(validator=_token)


@attrs.frozen(kw_only=True)
class SanctionsImposed(Envelope):
    """The actor imposed the sanctions `measure` on the counterpart."""

    TYPE: ClassVar[str] = "sanctions_imposed"

    measure: str = attrs.field(validator=_token)


@attrs.frozen(kw_only=True)
class SanctionsLifted(Envelope):
    """The actor lifted the sanctions `measure` on the counterpart."""

    TYPE: ClassVar[str] = "sanctions_lifted"

    measure: str = attrs.field(validator=_token)


@attrs.frozen(kw_only=True)
class InterventionStarted(Envelope):
    """The actor began a military intervention in the counterpart."""

    TYPE: ClassVar[str] = "intervention_started"

    summary: str | None = None


@attrs.frozen(kw_only=True)
class InterventionEnded(Envelope):
    """The actor ended its military intervention; `casualties` are the actor's dead."""

    TYPE: ClassVar[str] = "intervention_ended"

    casualties: int | None = attrs.field(default=None, validator=_non_negative)
    summary: str | None = None


@attrs.frozen(kw_only=True)
class MembershipJoined(Envelope):
    """The actor joined the counterpart organization."""

    TYPE: ClassVar[str] = "membership_joined"


@attrs.frozen(kw_only=True)
class MembershipSuspended(Envelope):
    """The actor's membership of the counterpart organization was suspended."""

    TYPE: ClassVar[str] = "membership_suspended"


@attrs.frozen(kw_only=True)
class MembershipLeft(Envelope):
    """The actor left the counterpart organization."""

    TYPE: ClassVar[str] = "membership_left"


@attrs.frozen(kw_only=True)
class ControlTaken(Envelope):
    """The actor took control of the counterpart's territory."""

    TYPE: ClassVar[str] = "control_taken"


@attrs.frozen(kw_only=True)
class ControlLost(Envelope):
    """The actor lost control of the counterpart's territory."""

    TYPE: ClassVar[str] = "control_lost"


@attrs.frozen(kw_only=True)
class CooperationAgreed(Envelope):
    """The actor committed to cooperate with the counterpart in `area`."""

    TYPE: ClassVar[str] = "cooperation_agreed"

    area: str = attrs.field(validator=_token)


@attrs.frozen(kw_only=True)
class CooperationEnded(Envelope):
    """The actor's cooperation with the counterpart in `area` ended."""

    TYPE: ClassVar[str] = "cooperation_ended"

    area: str = attrs.field(validator=_token)


@attrs.frozen(kw_only=True)
class StatementMade(Envelope):
    """The actor declared a `stance` toward the counterpart."""

    TYPE: ClassVar[str] = "statement_made"

    stance: str = attrs.field(validator=_token)
    summary: str | None = None


@attrs.frozen(kw_only=True)
class AttackCarriedOut(Envelope):
    """An incident: the actor attacked the counterpart, and `killed` people died.

    Schema 2 renamed schema 1's `casualties` to `killed`: casualties also counts the wounded,
    and the number recorded was always the dead (codec.py upcasts and downcasts).
    """

    TYPE: ClassVar[str] = "attack_carried_out"
    SCHEMA: ClassVar[int] = 2

    summary: str
    killed: int | None = attrs.field(default=None, validator=_non_negative)


@attrs.frozen(kw_only=True)
class VisitPaid(Envelope):
    """An incident: the actor's officials visited the counterpart."""

    TYPE: ClassVar[str] = "visit_paid"

    summary: str | None = None


def _the_actor(event: Envelope) -> str:
    return event.actor


def _same_entity(event: Envelope, _: attrs.Attribute[str], value: str) -> None:
    if value != event.actor:
        raise ValueError(
            f"{event.TYPE} names one entity, the actor: leave out counterpart "
            f"(or give the actor again), not {value!r}"
        )


@attrs.frozen(kw_only=True)
class EntityBegan(Envelope):
    """The entity (`actor`) came into being; `predecessors` are what it continues or replaces.

    Also its return after a gap (a state restored, readmitted to a system of states). The
    counterpart is the actor itself and is not written.
    """

    TYPE: ClassVar[str] = "entity_began"
    ONE_ENTITY: ClassVar[bool] = True

    counterpart: str = attrs.field(
        default=attrs.Factory(_the_actor, takes_self=True), validator=_same_entity
    )
    predecessors: tuple[str, ...] = attrs.field(default=(), validator=_entity_ids)


@attrs.frozen(kw_only=True)
class EntityEnded(Envelope):
    """The entity (`actor`) ceased to be on `on` (its first day gone); `successors` follow it.

    A dissolution, a union, an annexation, an occupation that ends a state's independence.
    The counterpart is the actor itself and is not written.
    """

    TYPE: ClassVar[str] = "entity_ended"
    ONE_ENTITY: ClassVar[bool] = True

    counterpart: str = attrs.field(
        default=attrs.Factory(_the_actor, takes_self=True), validator=_same_entity
    )
    successors: tuple[str, ...] = attrs.field(default=(), validator=_entity_ids)


@attrs.frozen(kw_only=True)
class EventRetracted(Envelope):
    """A correction: the event `target` is withdrawn from the record (never deleted)."""

    TYPE: ClassVar[str] = "event_retracted"
    ONE_ENTITY: ClassVar[bool] = True  # the target may be a lifespan

    target: str
    reason: str


Event = (
    RecognitionGranted
    | RecognitionWithdrawn
    | RelationsEstablished
    | RelationsSuspended
    | RelationsSevered
    | EnvoySent
    | EnvoyRecalled
    | CredentialsAccepted
    | EnvoyExpelled
    | DesignationAdded
    | DesignationRemoved
    | SanctionsImposed
    | SanctionsLifted
    | InterventionStarted
    | InterventionEnded
    | MembershipJoined
    | MembershipSuspended
    | MembershipLeft
    | ControlTaken
    | ControlLost
    | CooperationAgreed
    | CooperationEnded
    | StatementMade
    | AttackCarriedOut
    | VisitPaid
    | EntityBegan
    | EntityEnded
    | EventRetracted
)

EVENT_CLASSES: dict[str, type[Envelope]] = {cls.TYPE: cls for cls in Event.__args__}
LIFESPAN_TYPES: frozenset[str] = frozenset({EntityBegan.TYPE, EntityEnded.TYPE})


def entities_named(event: Event) -> tuple[str, ...]:
    """Every entity id an event names: its actor and counterpart, and any successors."""
    match event:
        case EntityBegan(predecessors=others) | EntityEnded(successors=others):
            return (event.actor, *others)
        case _:
            return (event.actor, event.counterpart)


def operand(event: Event) -> str | None:
    """The event's own value that its rules apply (None for types without one)."""
    match event:
        case EnvoySent(level=value) | CredentialsAccepted(level=value):
            return value
        case DesignationAdded(designation=value) | DesignationRemoved(designation=value):
            return value
        case SanctionsImposed(measure=value) | SanctionsLifted(measure=value):
            return value
        case CooperationAgreed(area=value) | CooperationEnded(area=value):
            return value
        case StatementMade(stance=value):
            return value
        case EventRetracted(target=value):
            return value
        case (
            RecognitionGranted()
            | RecognitionWithdrawn()
            | RelationsEstablished()
            | RelationsSuspended()
            | RelationsSevered()
            | EnvoyRecalled()
            | EnvoyExpelled()
            | InterventionStarted()
            | InterventionEnded()
            | MembershipJoined()
            | MembershipSuspended()
            | MembershipLeft()
            | ControlTaken()
            | ControlLost()
            | AttackCarriedOut()
            | VisitPaid()
            | EntityBegan()
            | EntityEnded()
        ):
            return None
        case _:
            assert_never(event)
