"""What the protocol needs from the policy engine, and who is calling.

The DSP services only see this small interface, so the ODRL engine of `policies` plugs in
behind it (`connector.policy_gate`), and tests can script decisions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Caller:
    """An authenticated counterparty: its DID and the claims verified from its credentials."""

    did: str
    claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """A policy decision with the reason a person can read."""

    allowed: bool
    reason: str
    report: Mapping[str, Any] = field(default_factory=dict)
    used: int | None = None
    """After a counted use: the uses so far, this one included (of the tightest limit)."""
    limit: int | None = None
    """After a counted use: the limit of that counter (e.g. 3 prints)."""


class PolicyGate(Protocol):
    """Evaluates ODRL policies at the three enforcement points."""

    async def access(self, policy: Mapping[str, Any], caller: Caller, *, target: str) -> Decision:
        """May `caller` see the offer of `target` in our catalog?"""
        ...

    async def contract(
        self, policy: Mapping[str, Any], caller: Caller, *, target: str
    ) -> Decision:
        """May `caller` conclude a contract under `policy` for `target`?"""
        ...

    async def usage(
        self,
        agreement: Mapping[str, Any],
        caller: Caller,
        *,
        action: str,
        params: Mapping[str, Any],
        consume: bool,
        before_consume: Callable[[], Awaitable[None]] | None = None,
    ) -> Decision:
        """May `caller` use `agreement`'s target now (`action`, purpose etc. in `params`)?

        With `consume=True` a permitted use is counted atomically against count limits;
        `before_consume` is awaited first, only when there is a count to consume.
        """
        ...
