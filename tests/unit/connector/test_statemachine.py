"""The state machines allow exactly the transitions of the DSP 2025-1 diagrams."""

from __future__ import annotations

import itertools

import pytest

from connector.dsp.messages import NegotiationState as NS
from connector.dsp.messages import TransferState as TS
from connector.statemachine import (
    NegotiationEvent,
    Role,
    TransferEvent,
    is_duplicate_negotiation,
    is_duplicate_transfer,
    next_negotiation_state,
    next_transfer_state,
)
from hinterland.errors import IllegalTransition

# Edges transcribed from the specification's PlantUML diagrams: "FROM -> TO: SENDERS".
# The event is the message that produces the target state.
NEGOTIATION_DIAGRAM = """
* -> REQUESTED: C
REQUESTED -> OFFERED: P
REQUESTED -> AGREED: P
REQUESTED -> TERMINATED: C/P
* -> OFFERED: P
OFFERED -> REQUESTED: C
OFFERED -> ACCEPTED: C
OFFERED -> TERMINATED: C/P
ACCEPTED -> AGREED: P
ACCEPTED -> TERMINATED: P
AGREED -> VERIFIED: C
AGREED -> TERMINATED: C
VERIFIED -> FINALIZED: P
VERIFIED -> TERMINATED: P
"""
TRANSFER_DIAGRAM = """
* -> REQUESTED: C
REQUESTED -> STARTED: P
REQUESTED -> TERMINATED: C/P
STARTED -> COMPLETED: P/C
STARTED -> SUSPENDED: P/C
STARTED -> TERMINATED: P/C
SUSPENDED -> STARTED: P/C
SUSPENDED -> TERMINATED: P/C
"""
N_EVENT_FOR_TARGET = {
    NS.REQUESTED: NegotiationEvent.REQUEST,
    NS.OFFERED: NegotiationEvent.OFFER,
    NS.ACCEPTED: NegotiationEvent.ACCEPTED,
    NS.AGREED: NegotiationEvent.AGREEMENT,
    NS.VERIFIED: NegotiationEvent.VERIFICATION,
    NS.FINALIZED: NegotiationEvent.FINALIZED,
    NS.TERMINATED: NegotiationEvent.TERMINATION,
}
T_EVENT_FOR_TARGET = {
    TS.REQUESTED: TransferEvent.REQUEST,
    TS.STARTED: TransferEvent.START,
    TS.SUSPENDED: TransferEvent.SUSPENSION,
    TS.COMPLETED: TransferEvent.COMPLETION,
    TS.TERMINATED: TransferEvent.TERMINATION,
}
ROLE = {"C": Role.CONSUMER, "P": Role.PROVIDER}


def _edges(diagram: str, states: type[NS] | type[TS]) -> set[tuple[object, object, Role]]:
    edges = set()
    for line in diagram.strip().splitlines():
        arrow, senders = line.split(":")
        src, dst = (part.strip() for part in arrow.split("->"))
        for sender in senders.strip().split("/"):
            edges.add((None if src == "*" else states(src), states(dst), ROLE[sender]))
    return edges


def test_negotiation_allows_exactly_the_diagram() -> None:
    expected = _edges(NEGOTIATION_DIAGRAM, NS)
    allowed = set()
    for current, event, sender in itertools.product([None, *NS], NegotiationEvent, Role):
        try:
            target = next_negotiation_state(current, event, sender)
        except IllegalTransition:
            continue
        assert N_EVENT_FOR_TARGET[target] == event
        allowed.add((current, target, sender))
    assert allowed == expected


def test_transfer_allows_exactly_the_diagram() -> None:
    expected = _edges(TRANSFER_DIAGRAM, TS)
    allowed = set()
    for current, event, sender in itertools.product([None, *TS], TransferEvent, Role):
        try:
            target = next_transfer_state(current, event, sender)
        except IllegalTransition:
            continue
        assert T_EVENT_FOR_TARGET[target] == event
        allowed.add((current, target, sender))
    assert allowed == expected


@pytest.mark.parametrize("terminal", [NS.FINALIZED, NS.TERMINATED])
def test_terminal_negotiation_states_are_final(terminal: NS) -> None:
    for event, sender in itertools.product(NegotiationEvent, Role):
        with pytest.raises(IllegalTransition):
            next_negotiation_state(terminal, event, sender)


def test_illegal_transition_explains_itself() -> None:
    with pytest.raises(IllegalTransition, match="not allowed in state FINALIZED"):
        next_negotiation_state(NS.FINALIZED, NegotiationEvent.TERMINATION, Role.PROVIDER)
    with pytest.raises(IllegalTransition, match="only be sent by the consumer, not the provider"):
        next_negotiation_state(NS.AGREED, NegotiationEvent.TERMINATION, Role.PROVIDER)
    with pytest.raises(IllegalTransition, match="a new transfer"):
        next_transfer_state(None, TransferEvent.START, Role.PROVIDER)


def test_duplicates_are_recognised() -> None:
    assert is_duplicate_negotiation(NS.ACCEPTED, NegotiationEvent.ACCEPTED)
    assert not is_duplicate_negotiation(NS.AGREED, NegotiationEvent.ACCEPTED)
    assert is_duplicate_transfer(TS.STARTED, TransferEvent.START)
    assert not is_duplicate_transfer(TS.COMPLETED, TransferEvent.START)
