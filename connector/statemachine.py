"""The DSP 2025-1 state machines of contract negotiation and transfer process.

Pure functions over states: which message, sent by which side, moves a process from which
state to which. Exactly the diagrams of the specification
(`contract.negotiation.state.machine`, `transfer-process-state-machine`); nothing else is
allowed. A re-delivered message that would lead to the state the process is already in is a
duplicate and accepted without change, so endpoints are idempotent.
"""

from __future__ import annotations

from enum import StrEnum

from connector.dsp.messages import NegotiationState as NS
from connector.dsp.messages import TransferState as TS
from hinterland.errors import IllegalTransition


class Role(StrEnum):
    """Which side of a process a connector plays, or which side sent a message."""

    PROVIDER = "provider"
    CONSUMER = "consumer"


class NegotiationEvent(StrEnum):
    """What happened, independent of the wire format."""

    REQUEST = "ContractRequestMessage"
    OFFER = "ContractOfferMessage"
    ACCEPTED = "ContractNegotiationEventMessage:ACCEPTED"
    AGREEMENT = "ContractAgreementMessage"
    VERIFICATION = "ContractAgreementVerificationMessage"
    FINALIZED = "ContractNegotiationEventMessage:FINALIZED"
    TERMINATION = "ContractNegotiationTerminationMessage"


class TransferEvent(StrEnum):
    """Transfer process messages."""

    REQUEST = "TransferRequestMessage"
    START = "TransferStartMessage"
    SUSPENSION = "TransferSuspensionMessage"
    COMPLETION = "TransferCompletionMessage"
    TERMINATION = "TransferTerminationMessage"


C, P = Role.CONSUMER, Role.PROVIDER
BOTH = frozenset({C, P})
NE = NegotiationEvent
TE = TransferEvent

#: (state or None for a new process, event) -> (allowed senders, resulting state)
NEGOTIATION: dict[tuple[NS | None, NE], tuple[frozenset[Role], NS]] = {
    (None, NE.REQUEST): (frozenset({C}), NS.REQUESTED),
    (None, NE.OFFER): (frozenset({P}), NS.OFFERED),
    (NS.REQUESTED, NE.OFFER): (frozenset({P}), NS.OFFERED),
    (NS.REQUESTED, NE.AGREEMENT): (frozenset({P}), NS.AGREED),
    (NS.REQUESTED, NE.TERMINATION): (BOTH, NS.TERMINATED),
    (NS.OFFERED, NE.REQUEST): (frozenset({C}), NS.REQUESTED),
    (NS.OFFERED, NE.ACCEPTED): (frozenset({C}), NS.ACCEPTED),
    (NS.OFFERED, NE.TERMINATION): (BOTH, NS.TERMINATED),
    (NS.ACCEPTED, NE.AGREEMENT): (frozenset({P}), NS.AGREED),
    (NS.ACCEPTED, NE.TERMINATION): (frozenset({P}), NS.TERMINATED),
    (NS.AGREED, NE.VERIFICATION): (frozenset({C}), NS.VERIFIED),
    (NS.AGREED, NE.TERMINATION): (frozenset({C}), NS.TERMINATED),
    (NS.VERIFIED, NE.FINALIZED): (frozenset({P}), NS.FINALIZED),
    (NS.VERIFIED, NE.TERMINATION): (frozenset({P}), NS.TERMINATED),
}

TRANSFER: dict[tuple[TS | None, TE], tuple[frozenset[Role], TS]] = {
    (None, TE.REQUEST): (frozenset({C}), TS.REQUESTED),
    (TS.REQUESTED, TE.START): (frozenset({P}), TS.STARTED),
    (TS.REQUESTED, TE.TERMINATION): (BOTH, TS.TERMINATED),
    (TS.STARTED, TE.COMPLETION): (BOTH, TS.COMPLETED),
    (TS.STARTED, TE.SUSPENSION): (BOTH, TS.SUSPENDED),
    (TS.STARTED, TE.TERMINATION): (BOTH, TS.TERMINATED),
    (TS.SUSPENDED, TE.START): (BOTH, TS.STARTED),
    (TS.SUSPENDED, TE.TERMINATION): (BOTH, TS.TERMINATED),
}

NEGOTIATION_TERMINAL = frozenset({NS.FINALIZED, NS.TERMINATED})
TRANSFER_TERMINAL = frozenset({TS.COMPLETED, TS.TERMINATED})

# The state each event leads to wherever it is legal (used to recognise duplicates).
_NEGOTIATION_TARGET = {event: target for (_, event), (_, target) in NEGOTIATION.items()}
_TRANSFER_TARGET = {event: target for (_, event), (_, target) in TRANSFER.items()}


def next_negotiation_state(current: NS | None, event: NE, sender: Role) -> NS:
    """The state after `event` from `sender`; raises `IllegalTransition` with the reason."""
    rule = NEGOTIATION.get((current, event))
    if rule is None:
        where = "a new negotiation" if current is None else f"state {current.value}"
        raise IllegalTransition(f"{_label(event)} is not allowed in {where}")
    senders, target = rule
    if sender not in senders:
        raise IllegalTransition(
            f"{_label(event)} in state {_state(current)} may only be sent by the "
            f"{' or '.join(sorted(s.value for s in senders))}, not the {sender.value}"
        )
    return target


def next_transfer_state(current: TS | None, event: TE, sender: Role) -> TS:
    """The state after `event` from `sender`; raises `IllegalTransition` with the reason."""
    rule = TRANSFER.get((current, event))
    if rule is None:
        where = "a new transfer" if current is None else f"state {current.value}"
        raise IllegalTransition(f"{_label(event)} is not allowed in {where}")
    senders, target = rule
    if sender not in senders:
        raise IllegalTransition(
            f"{_label(event)} in state {_state(current)} may only be sent by the "
            f"{' or '.join(sorted(s.value for s in senders))}, not the {sender.value}"
        )
    return target


def is_duplicate_negotiation(current: NS, event: NE) -> bool:
    """True when `event` would lead to `current` itself: a re-delivered message."""
    return _NEGOTIATION_TARGET.get(event) == current


def is_duplicate_transfer(current: TS, event: TE) -> bool:
    """True when `event` would lead to `current` itself: a re-delivered message."""
    return _TRANSFER_TARGET.get(event) == current


def _label(event: StrEnum) -> str:
    return event.value.replace(":", " ")


def _state(state: StrEnum | None) -> str:
    return "(new)" if state is None else state.value
