"""What the engine is asked (a `Request`) and what it knows (a `StateOfTheWorld`).

Nothing here reads a clock or a database: the caller injects the current time, the usage
counts it read, the duties already performed and the requester's verified claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from policies.terms import expand_term

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Scope(StrEnum):
    """When a policy is evaluated, like a mature connector's policy scopes.

    - `access`: may the party see the offer in the catalog
    - `contract`: may the offer be agreed
    - `usage`: may this transfer, print or read happen now
    - `monitor`: may a running transfer go on

    Each left operand says in which scopes it is checked (`policies.operands`); outside
    them its constraints are *deferred* (reported, counted as satisfied), so a catalog
    never hides an offer because of a print count.
    """

    ACCESS = "access"
    CONTRACT = "contract"
    USAGE = "usage"
    MONITOR = "monitor"


class DutyState(StrEnum):
    """What the state of the world says about a duty (or an infringed prohibition)."""

    FULFILLED = "fulfilled"
    VIOLATED = "violated"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Requester:
    """The requesting party: its id (DID or IRI), the collections it belongs to and the
    claims read from its *verified* credentials (`membership`, `participantType`,
    `complianceLevel`, or any name a registered claim operand reads)."""

    id: str
    part_of: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Request:
    """One request: `requester` wants to exercise `action` on `target`.

    `params` carries the request's context, keyed by ODRL left-operand name: `purpose`,
    `spatial`, `recipient`, `industry`, `fileFormat`, `deliveryChannel`, `version`,
    `system` (the consumer connector), `encryption`... A value may be a string or a list.
    `amount` is how many uses this request consumes (for `count`).
    """

    action: str
    requester: Requester | None = None
    target: str | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    amount: int = 1
    uid: str | None = None
    rule_uid: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", expand_term(self.action))


@dataclass(frozen=True, slots=True)
class StateOfTheWorld:
    """Everything the engine may know besides the request.

    - `now`: the current time (injected, never read from a clock inside the engine)
    - `agreed_at`: when the agreement was signed (origin of `elapsedTime`); falls back to
      the policy's own timestamp
    - `counts`: usage counts by counter key (`policies.evaluator.counter_key`)
    - `duties`: state of duties (and infringed prohibitions) by rule id
    - `part_of`: collection membership of parties and assets (`odrl:partOf`)
    - `events`: events going on now (for the `event` left operand)
    """

    now: datetime
    agreed_at: datetime | None = None
    counts: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    duties: Mapping[str, DutyState] = field(default_factory=lambda: _EMPTY)
    part_of: Mapping[str, frozenset[str]] = field(default_factory=lambda: _EMPTY)
    events: frozenset[str] = frozenset()
    uid: str | None = None
