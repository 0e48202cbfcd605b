"""The ODRL engine of `policies` behind the connector's `PolicyGate`.

Policies are stored and exchanged in the compact DSP form (no `@context`); they are read
with the DSP ODRL profile context. Compiled policies are cached by content. Usage requests
at transfer start are evaluated with live counts and consume the print count atomically
(like `policies.decide_and_consume`, but keeping the counter values for the licence);
data-plane accesses are re-checked in the monitor scope, which re-checks time, purpose,
place and membership without counting again.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from connector.audit.chain import canonical
from connector.enforcement import Caller, Decision
from connector.store.processes import Clock
from hinterland.errors import PolicyError
from policies import (
    CompiledPolicy,
    Request,
    Requester,
    Scope,
    StateOfTheWorld,
    UsageCounters,
    compile_policy,
    evaluate,
    parse_policy,
)
from policies.enforce import watched_counters
from policies.model import Policy
from policies.values import parse_datetime

ODRL_PROFILE = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"
RULE_KEYS = ("permission", "prohibition", "obligation")
MAX_ATTEMPTS = 5
T = TypeVar("T")


MAX_COMPILED = 1_024
"""Compiled policies kept (least recently used first out): every agreement is one."""
MAX_TEMPLATES = 256
"""Parsed agreement shapes kept (one per distinct set of rules, see `_from_template`)."""
_SLOTS = {
    "@id": "urn:hinterland:slot:uid",
    "target": "urn:hinterland:slot:target",
    "assigner": "urn:hinterland:slot:assigner",
    "assignee": "urn:hinterland:slot:assignee",
}
_SLOT_TIME = "2000-01-01T00:00:00Z"
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")


class OdrlGate:
    """Evaluates access, contract and usage with the ODRL engine and atomic counters."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = time.time) -> None:
        self.counters = UsageCounters(engine)
        self.clock = clock
        self._compiled: OrderedDict[str, CompiledPolicy] = OrderedDict()
        self._templates: OrderedDict[str, Policy] = OrderedDict()

    def compile(self, policy: Mapping[str, Any]) -> CompiledPolicy:
        """Parse and compile (cached by content); `PolicyError` if malformed."""
        document = dict(policy)
        document.setdefault("@context", ODRL_PROFILE)
        key = hashlib.sha256(canonical(document).encode()).hexdigest()
        compiled = self._compiled.get(key)
        if compiled is None:
            parsed = self._from_template(document)
            compiled = compile_policy(parsed if parsed is not None else parse_policy(document))
            _remember(self._compiled, key, compiled, MAX_COMPILED)
        else:
            self._compiled.move_to_end(key)
        return compiled

    def _from_template(self, document: dict[str, Any]) -> Policy | None:
        """The policy of `document` without running JSON-LD over it, when a document of the
        same shape was parsed before.

        Agreements differ only in their id, target, parties and timestamp, yet each is new,
        and JSON-LD processing dominates compiling one. Those top-level values are replaced
        by fixed slot IRIs, the slotted document is parsed once per distinct set of rules,
        and the slots in the parsed policy are replaced by the real values. Only absolute
        IRIs are slotted (what JSON-LD keeps unchanged); anything else, or a slotted
        document that does not parse, takes the full parse (and its error message).
        """
        slots: dict[str, str] = {}
        template = dict(document)
        for field, slot in _SLOTS.items():
            value = document.get(field)
            if value is None:
                continue
            if not isinstance(value, str) or not _ABSOLUTE_IRI.match(value):
                return None
            slots[slot] = value
            template[field] = slot
        stamp = document.get("timestamp")
        if stamp is not None:
            if not isinstance(stamp, str):
                return None
            template["timestamp"] = _SLOT_TIME
        if not slots:
            return None
        key = hashlib.sha256(canonical(template).encode()).hexdigest()
        parsed = self._templates.get(key)
        if parsed is None:
            try:
                parsed = parse_policy(template)
            except PolicyError:
                return None
            _remember(self._templates, key, parsed, MAX_TEMPLATES)
        else:
            self._templates.move_to_end(key)
        policy: Policy = _substitute(parsed, slots)
        if stamp is not None:
            try:
                agreed_at = parse_datetime(stamp, where=f"policy {policy.uid}: timestamp")
            except PolicyError:
                return None
            policy = replace(policy, agreed_at=agreed_at)
        return policy

    def check(self, policy: Mapping[str, Any]) -> None:
        """Raise `PolicyError` naming the problem if `policy` cannot be used for offers."""
        self.compile(_with_target(policy, "urn:hinterland:policy-check"))

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def access(self, policy: Mapping[str, Any], caller: Caller, *, target: str) -> Decision:
        """May the caller see the offer (deferred: counts, purpose of a later use)?"""
        return self._any_action(policy, caller, target, Scope.ACCESS)

    async def contract(
        self, policy: Mapping[str, Any], caller: Caller, *, target: str
    ) -> Decision:
        """May the caller conclude a contract under this policy?

        Evaluated in the access scope: at negotiation time only the time window and the
        caller's verified claims are known. Purpose, place and counts are declared or
        consumed per use and are enforced at every transfer and data-plane access
        (docs/adr/connector-0002-enforcement-points.md).
        """
        return self._any_action(policy, caller, target, Scope.ACCESS)

    def _any_action(
        self, policy: Mapping[str, Any], caller: Caller, target: str, scope: Scope
    ) -> Decision:
        try:
            compiled = self.compile(_with_target(policy, target))
        except PolicyError as exc:
            return Decision(False, f"the policy cannot be evaluated: {exc}")
        actions = _actions(policy) or ["use"]
        first_denial: Decision | None = None
        for action in actions:
            report = evaluate(
                compiled,
                Request(action, Requester(caller.did, claims=caller.claims), target=target,
                        params=_verified_params(caller, {})),
                StateOfTheWorld(now=self._now()),
                scope,
            )
            decision = Decision(report.permitted, report.explain(), report.to_dict())
            if decision.allowed:
                return decision
            first_denial = first_denial or decision
        assert first_denial is not None
        return first_denial

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
        """May the caller use the agreement's target now? Counts the use if `consume`
        (awaiting `before_consume` first when there is a count to consume)."""
        try:
            compiled = self.compile(agreement)
        except PolicyError as exc:
            return Decision(False, f"the agreement cannot be evaluated: {exc}")
        if agreement.get("assignee") not in (None, caller.did):
            return Decision(False, f"the agreement was not made with {caller.did}")
        request = Request(
            action,
            Requester(caller.did, claims=caller.claims),
            target=str(agreement.get("target")) if agreement.get("target") else None,
            params=_verified_params(caller, params),
        )
        sotw = StateOfTheWorld(now=self._now(), agreed_at=_timestamp(agreement))
        if consume:
            return await self._consume(compiled, request, sotw, before_consume)
        keys = watched_counters(compiled)
        counts = await self.counters.used(keys) if keys else {}
        report = evaluate(compiled, request, replace(sotw, counts=counts), Scope.MONITOR)
        return Decision(report.permitted, report.explain(), report.to_dict())

    async def _consume(
        self, compiled: CompiledPolicy, request: Request, sotw: StateOfTheWorld,
        before_consume: Callable[[], Awaitable[None]] | None = None,
    ) -> Decision:
        """Evaluate with live counts and consume atomically on permit; if another replica
        took the last use in between, evaluate again (then the reason names the count)."""
        keys = watched_counters(compiled)
        for _ in range(MAX_ATTEMPTS):
            counts = await self.counters.used(keys) if keys else {}
            report = evaluate(compiled, request, replace(sotw, counts=counts), Scope.USAGE)
            demands = report.counters()
            if not report.permitted or not demands:
                return Decision(report.permitted, report.explain(), report.to_dict())
            if before_consume is not None:
                await before_consume()
                before_consume = None
            batch = await self.counters.try_consume_many(demands)
            if batch.granted:
                limited = [r for r in batch.results if r.limit is not None]
                tightest = min(limited, key=lambda r: (r.limit or 0) - r.used, default=None)
                return Decision(
                    True, report.explain(), report.to_dict(),
                    used=tightest.used if tightest else None,
                    limit=tightest.limit if tightest else None,
                )
        return Decision(False, "denied: too many simultaneous requests for this licence; retry")


def _verified_params(caller: Caller, params: Mapping[str, Any]) -> dict[str, Any]:
    """Request parameters, with the location taken from verified claims, never from what
    the caller declares about itself."""
    result = {k: v for k, v in params.items() if k != "spatial"}
    if caller.claims.get("spatial") is not None:
        result["spatial"] = caller.claims["spatial"]
    return result


def _with_target(policy: Mapping[str, Any], target: str) -> dict[str, Any]:
    # Evaluated as an ODRL Set: before an agreement there is no assignee yet, and the
    # assigner (us) adds nothing to the decision.
    data = {k: v for k, v in policy.items() if k not in ("target", "assigner", "assignee")}
    data["target"] = target
    data["@type"] = "Set"
    if "@id" not in data and "uid" not in data:
        digest = hashlib.sha256(canonical(data).encode()).hexdigest()[:16]
        data["@id"] = f"urn:hinterland:policy:{digest}"
    return data


def _actions(policy: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for rule in policy.get("permission", []) or []:
        action = rule.get("action") if isinstance(rule, dict) else None
        if isinstance(action, dict):
            action = action.get("@id") or action.get("rdf:value")
        if isinstance(action, str) and action not in found:
            found.append(action)
    return found


def _timestamp(agreement: Mapping[str, Any]) -> datetime | None:
    value = agreement.get("timestamp")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _remember(cache: OrderedDict[str, T], key: str, value: T, limit: int) -> None:
    cache[key] = value
    while len(cache) > limit:
        cache.popitem(last=False)


def _substitute(value: Any, slots: Mapping[str, str]) -> Any:
    """`value` (a parsed policy or a part of it) with every slot IRI replaced."""
    if isinstance(value, str):
        return slots.get(value, value)
    if isinstance(value, tuple):
        return tuple(_substitute(item, slots) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for item in fields(value):
            old = getattr(value, item.name)
            new = _substitute(old, slots)
            if new is not old:
                changes[item.name] = new
        return replace(value, **changes) if changes else value
    return value
