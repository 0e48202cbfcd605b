"""Left operands: where each one's actual value comes from, its type, and its scopes.

Built in: `dateTime`, `elapsedTime` (since the agreement), `count`, `purpose`, `spatial`
(ISO 3166 containment), `recipient`, `industry`, `fileFormat`, `deliveryChannel`,
`event`, `version`, `system` (the consumer connector), `language`, `payAmount`,
`percentage`, and three claims read from the requester's verified credentials:
`hl:membership`, `hl:participantType` and `hl:complianceLevel`.

Extension point for further claims (a verified credential the connector read for the
caller)::

    from policies.operands import Kind, register_claim_operand
    register_claim_operand("https://example.org/vocab#certifiedPrinter", "certifiedPrinter")

After that, a constraint with that left operand compares against
`Request.requester.claims["certifiedPrinter"]`. `register_left_operand` takes any
`LeftOperandSpec` (own reader, type and scopes). Register at start-up, before compiling
policies. A left operand nobody registered is looked up by its short name in the request
`params`, then in the requester's claims; when absent its constraints are unsatisfied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from policies import spatial
from policies.request import Scope
from policies.terms import HL, ODRL, short

if TYPE_CHECKING:
    from policies.evaluator import EvalContext


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Returned by a reader when the value is unknown; the constraint is then unsatisfied."""


class Kind(StrEnum):
    """How right operands parse and values compare."""

    DATETIME = "dateTime"
    DURATION = "duration"
    COUNT = "count"
    NUMBER = "number"
    TEXT = "text"
    SPATIAL = "spatial"
    VERSION = "version"
    RANKED = "ranked"
    EVENT = "event"


ALL_SCOPES = frozenset(Scope)
AGREED = frozenset({Scope.CONTRACT, Scope.USAGE, Scope.MONITOR})
USE = frozenset({Scope.USAGE, Scope.MONITOR})

Reader = Callable[["EvalContext", str], Any]


@dataclass(frozen=True, slots=True)
class LeftOperandSpec:
    """A left operand: IRI, English label, kind, scopes where it is checked, and reader.

    `read(ctx, key)` returns the actual value (or `MISSING`); `key` is the constraint's
    counter key for `count` and the operand's short name otherwise. `ranks` orders the
    values of a `RANKED` operand (lowest first).
    """

    iri: str
    label: str
    kind: Kind
    scopes: frozenset[Scope]
    read: Reader
    ranks: tuple[str, ...] = ()


_REGISTRY: dict[str, LeftOperandSpec] = {}


def register_left_operand(spec: LeftOperandSpec) -> None:
    """Add or replace a left operand."""
    _REGISTRY[spec.iri] = spec


def register_claim_operand(
    iri: str,
    claim: str,
    *,
    label: str | None = None,
    kind: Kind = Kind.TEXT,
    scopes: Iterable[Scope] = ALL_SCOPES,
    ranks: tuple[str, ...] = (),
) -> LeftOperandSpec:
    """A left operand read from `requester.claims[claim]` (verified credentials only)."""
    spec = LeftOperandSpec(iri, label or claim, kind, frozenset(scopes), _claim(claim), ranks)
    register_left_operand(spec)
    return spec


def lookup(iri: str) -> LeftOperandSpec:
    """The registered spec, or a generic one reading params/claims by short name."""
    spec = _REGISTRY.get(iri)
    if spec is not None:
        return spec
    name = short(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return LeftOperandSpec(iri, name, Kind.TEXT, ALL_SCOPES, _param_or_claim(name))


def _as_values(raw: Any) -> Any:
    if raw is None:
        return MISSING
    if isinstance(raw, list | tuple | set | frozenset):
        values = frozenset(str(v) for v in raw)
        return values if len(values) != 1 else next(iter(values))
    return str(raw)


def _param(name: str) -> Reader:
    def read(ctx: EvalContext, _key: str) -> Any:
        return _as_values(ctx.request.params.get(name))

    return read


def _claim(name: str) -> Reader:
    def read(ctx: EvalContext, _key: str) -> Any:
        requester = ctx.request.requester
        return MISSING if requester is None else _as_values(requester.claims.get(name))

    return read


def _param_or_claim(name: str) -> Reader:
    by_param, by_claim = _param(name), _claim(name)

    def read(ctx: EvalContext, key: str) -> Any:
        value = by_param(ctx, key)
        return by_claim(ctx, key) if value is MISSING else value

    return read


def _now(ctx: EvalContext, _key: str) -> datetime:
    return ctx.now


def _elapsed(ctx: EvalContext, _key: str) -> timedelta | Any:
    start = ctx.agreed_at
    return MISSING if start is None else ctx.now - start


def _count(ctx: EvalContext, key: str) -> int:
    return int(ctx.sotw.counts.get(key, 0)) + ctx.request.amount


def _events(ctx: EvalContext, _key: str) -> frozenset[str]:
    extra = ctx.request.params.get("event")
    events = set(ctx.sotw.events)
    if extra is not None:
        events |= {str(e) for e in (extra if isinstance(extra, list | tuple) else [extra])}
    return frozenset(events)


def _spatial(ctx: EvalContext, key: str) -> Any:
    value = _param("spatial")(ctx, key)
    if value is MISSING:
        return value
    if isinstance(value, frozenset):
        return frozenset(spatial.normalize(v) for v in value)
    return spatial.normalize(value)


COMPLIANCE_LEVELS = ("standard", "label1", "label2", "label3")
"""Gaia-X compliance levels, lowest first, so `complianceLevel gteq label1` works."""


def _builtins() -> None:
    text = [
        ("purpose", "purpose"), ("recipient", "recipient"), ("industry", "industry"),
        ("fileFormat", "file format"), ("deliveryChannel", "delivery channel"),
        ("language", "language"), ("system", "connector"), ("device", "device"),
        ("media", "media"), ("product", "product"), ("virtualLocation", "virtual location"),
    ]
    for name, label in text:
        register_left_operand(
            LeftOperandSpec(ODRL + name, label, Kind.TEXT, AGREED, _param(name))
        )
    for name in ("payAmount", "percentage", "absoluteSize", "relativeSize", "resolution"):
        register_left_operand(
            LeftOperandSpec(ODRL + name, name, Kind.NUMBER, AGREED, _param(name))
        )
    register_left_operand(LeftOperandSpec(ODRL + "dateTime", "date", Kind.DATETIME,
                                          ALL_SCOPES, _now))
    register_left_operand(LeftOperandSpec(ODRL + "elapsedTime", "time since agreement",
                                          Kind.DURATION, AGREED, _elapsed))
    register_left_operand(LeftOperandSpec(ODRL + "count", "count", Kind.COUNT,
                                          frozenset({Scope.USAGE}), _count))
    register_left_operand(LeftOperandSpec(ODRL + "spatial", "location", Kind.SPATIAL,
                                          AGREED, _spatial))
    register_left_operand(LeftOperandSpec(ODRL + "event", "event", Kind.EVENT, USE, _events))
    register_left_operand(LeftOperandSpec(ODRL + "version", "version", Kind.VERSION,
                                          AGREED, _param("version")))
    register_left_operand(LeftOperandSpec(HL + "encryption", "encryption", Kind.TEXT,
                                          AGREED, _param("encryption")))
    register_claim_operand(HL + "membership", "membership", label="membership")
    register_claim_operand(HL + "participantType", "participantType",
                           label="participant type")
    register_claim_operand(HL + "complianceLevel", "complianceLevel",
                           label="compliance level", kind=Kind.RANKED,
                           ranks=COMPLIANCE_LEVELS)


_builtins()

__all__ = [
    "ALL_SCOPES", "COMPLIANCE_LEVELS", "MISSING", "Kind", "LeftOperandSpec",
    "lookup", "register_claim_operand", "register_left_operand",
]
