"""The ODRL 2.2 information model as typed, immutable values.

A `Policy` (Set, Offer or Agreement) holds `Rule`s: permissions (with duties),
prohibitions (with remedies) and obligations (policy-level duties), each with an optional
`Action` (with refinements), target `Asset`, assigner and assignee `Party` and
`Constraint`s or `LogicalConstraint`s. Duties carry consequences. Every IRI is a full IRI.
Build policies with `policies.parse` (JSON-LD, Turtle) or `policies.templates`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RuleKind(StrEnum):
    """What a rule does: allow, forbid or require an action."""

    PERMISSION = "permission"
    PROHIBITION = "prohibition"
    OBLIGATION = "obligation"
    DUTY = "duty"


class Conflict(StrEnum):
    """ODRL conflict strategy between an active permission and an active prohibition."""

    PERM = "perm"
    PROHIBIT = "prohibit"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Value:
    """A right-operand value: an IRI (`is_iri`) or a literal with an optional datatype."""

    value: str
    is_iri: bool = False
    datatype: str | None = None


@dataclass(frozen=True, slots=True)
class Constraint:
    """`leftOperand operator rightOperand`, e.g. `count lteq 3`.

    `right_operand` holds one or more values (several for the set operators);
    `right_operand_reference` names where the value lives instead.
    """

    left_operand: str
    operator: str
    right_operand: tuple[Value, ...] = ()
    right_operand_reference: str | None = None
    data_type: str | None = None
    unit: str | None = None
    status: Value | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class LogicalConstraint:
    """`and`, `or`, `xone` or `andSequence` over constraints."""

    operator: str
    constraints: tuple[ConstraintLike, ...]
    id: str | None = None


ConstraintLike = Constraint | LogicalConstraint


@dataclass(frozen=True, slots=True)
class Party:
    """A party, or a party collection (`is_collection`) whose members match."""

    id: str
    is_collection: bool = False
    refinement: tuple[ConstraintLike, ...] = ()


@dataclass(frozen=True, slots=True)
class Asset:
    """A target asset, or an asset collection whose members match."""

    id: str
    is_collection: bool = False
    refinement: tuple[ConstraintLike, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """An action IRI with optional refinements (e.g. `distribute` only encrypted)."""

    iri: str
    refinement: tuple[ConstraintLike, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """A permission, prohibition, obligation or duty.

    A missing `action`, `target` or `assignee` means "any" (the ODRL test suite's
    "everybody can do everything"). Permissions carry `duties`, duties carry
    `consequences`, prohibitions carry `remedies`.
    """

    kind: RuleKind
    action: Action | None = None
    target: Asset | None = None
    assigner: Party | None = None
    assignee: Party | None = None
    constraints: tuple[ConstraintLike, ...] = ()
    duties: tuple[Rule, ...] = ()
    consequences: tuple[Rule, ...] = ()
    remedies: tuple[Rule, ...] = ()
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """An ODRL policy. `type` is the short class name: Set, Offer, Agreement...

    `replaced_by` (dc:isReplacedBy) voids the policy; `inherit_from` names parent policies
    (merge them with `policies.parse.resolve_inheritance`); `agreed_at` (the DSP agreement
    timestamp) is the origin of `elapsedTime`.
    """

    uid: str
    type: str = "Set"
    permissions: tuple[Rule, ...] = ()
    prohibitions: tuple[Rule, ...] = ()
    obligations: tuple[Rule, ...] = ()
    conflict: Conflict = Conflict.INVALID
    inherit_from: tuple[str, ...] = ()
    replaced_by: str | None = None
    profile: tuple[str, ...] = ()
    assigner: Party | None = None
    assignee: Party | None = None
    agreed_at: datetime | None = None

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Permissions, prohibitions and obligations, in that order."""
        return self.permissions + self.prohibitions + self.obligations
