"""The vocabulary of the tracker: frozen, sourced events and their stored shape."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .codec import (
        DOWNCASTERS,
        UPCASTERS,
        EventFormatError,
        canonical,
        converter,
        dumps,
        event_id,
        from_dict,
        to_dict,
    )

from .types import (
    EVENT_CLASSES,
    EVIDENCE,
    LEVELS,
    LIFESPAN_TYPES,
    AttackCarriedOut,
    ControlLost,
    ControlTaken,
    CooperationAgreed,
    CooperationEnded,
    CredentialsAccepted,
    DesignationAdded,
    DesignationRemoved,
    EntityBegan,
    EntityEnded,
    Envelope,
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
    Source,
    StatementMade,
    VisitPaid,
    entities_named,
    operand,
)

_CODEC = {
    "DOWNCASTERS",
    "UPCASTERS",
    "EventFormatError",
    "canonical",
    "converter",
    "dumps",
    "event_id",
    "from_dict",
    "to_dict",
}


def __getattr__(name: str) -> Any:
    """Load the converter (and cattrs) only when serialization is first needed."""
    if name in _CODEC:
        from . import codec

        globals().update({n: getattr(codec, n) for n in _CODEC})  # later lookups skip this
        return getattr(codec, name)
    raise AttributeError(f"module 'events' has no attribute {name!r}")


__all__ = [
    "DOWNCASTERS",
    "EVENT_CLASSES",
    "EVIDENCE",
    "LEVELS",
    "LIFESPAN_TYPES",
    "UPCASTERS",
    "AttackCarriedOut",
    "ControlLost",
    "ControlTaken",
    "CooperationAgreed",
    "CooperationEnded",
    "CredentialsAccepted",
    "DesignationAdded",
    "DesignationRemoved",
    "EntityBegan",
    "EntityEnded",
    "Envelope",
    "EnvoyExpelled",
    "EnvoyRecalled",
    "EnvoySent",
    "Event",
    "EventFormatError",
    "EventRetracted",
    "InterventionEnded",
    "InterventionStarted",
    "MembershipJoined",
    "MembershipLeft",
    "MembershipSuspended",
    "RecognitionGranted",
    "RecognitionWithdrawn",
    "RelationsEstablished",
    "RelationsSevered",
    "RelationsSuspended",
    "SanctionsImposed",
    "SanctionsLifted",
    "Source",
    "StatementMade",
    "VisitPaid",
    "canonical",
    "converter",
    "dumps",
    "entities_named",
    "event_id",
    "from_dict",
    "operand",
    "to_dict",
]
