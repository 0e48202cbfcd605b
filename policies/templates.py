"""Ready-made usage policies for 14 of the 21 IDS usage-policy classes.

Each builder returns an ODRL `Policy` (an Offer when only the provider is named, an
Agreement when the consumer is named too) with stable rule and constraint ids derived
from `uid`, so reports and counters stay readable. `TEMPLATES` lists them with who
enforces them (docs/policies.md explains the split):

- *provider*: the provider's connector checks the request before it hands out data
  (time, count, location, purpose, membership, connector, event, encryption on delivery).
- *consumer*: only the consumer's connector can do it after the data left (delete,
  log, notify, attach the policy when passing data on); the provider sees the duty's
  state through the state of the world (performed / violated) and denies further use
  after a violation.

`hinterland policy new TEMPLATE [options]` prints any of them as JSON-LD.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hinterland.errors import InputError
from policies.model import (
    Action,
    Asset,
    Constraint,
    Party,
    Policy,
    Rule,
    RuleKind,
    Value,
)
from policies.terms import HL, ODRL, XSD
from policies.values import format_datetime, parse_duration

Builder = Callable[..., Policy]


@dataclass(frozen=True, slots=True)
class Template:
    """A template: name, IDS class, who enforces it, and its builder."""

    name: str
    ids_class: str
    enforced_by: str
    summary: str
    build: Builder


def _c(uid: str, n: int, left: str, op: str, *values: Value) -> Constraint:
    return Constraint(left, op, tuple(values), id=f"{uid}#constraint-{n}")


def _text(values: Sequence[str]) -> tuple[Value, ...]:
    if not values:
        raise InputError("give at least one value")
    return tuple(Value(v) for v in values)


def _when(value: datetime | str) -> Value:
    text = value if isinstance(value, str) else format_datetime(value)
    return Value(text, datatype=XSD + "dateTime")


def _policy(
    uid: str,
    target: str,
    assigner: str,
    assignee: str | None,
    action: str | Action,
    constraints: Sequence[Constraint] = (),
    duties: Sequence[Rule] = (),
    prohibitions: Sequence[Rule] = (),
) -> Policy:
    act = action if isinstance(action, Action) else Action(ODRL + action)
    permission = Rule(
        RuleKind.PERMISSION,
        action=act,
        target=Asset(target),
        assigner=Party(assigner),
        assignee=Party(assignee) if assignee else None,
        constraints=tuple(constraints),
        duties=tuple(duties),
        id=f"{uid}#permission-1",
    )
    return Policy(
        uid=uid,
        type="Agreement" if assignee else "Offer",
        permissions=(permission,),
        prohibitions=tuple(prohibitions),
        assigner=Party(assigner),
        assignee=Party(assignee) if assignee else None,
    )


def _duty(uid: str, n: int, action: str, *, before_use: bool = False,
          constraints: Sequence[Constraint] = (), target: str | None = None) -> Rule:
    timing: tuple[Constraint, ...] = ()
    if before_use:
        timing = (Constraint(ODRL + "event", "lt", (Value(ODRL + "policyUsage", True),),
                             id=f"{uid}#duty-{n}-timing"),)
    return Rule(
        RuleKind.DUTY,
        action=Action(action if ":" in action else ODRL + action),
        target=Asset(target) if target else None,
        constraints=tuple(constraints) + timing,
        id=f"{uid}#duty-{n}",
    )


# ------------------------------------------------------------------------------- builders


def allow(uid: str, target: str, assigner: str, assignee: str | None = None,
          action: str = "use") -> Policy:
    """Allow the data usage: `action` without further conditions."""
    return _policy(uid, target, assigner, assignee, action)


def interval(uid: str, target: str, assigner: str, start: datetime | str,
             end: datetime | str, assignee: str | None = None, action: str = "use") -> Policy:
    """Interval-restricted usage: only between `start` and `end` (inclusive)."""
    return _policy(uid, target, assigner, assignee, action, [
        _c(uid, 1, ODRL + "dateTime", "gteq", _when(start)),
        _c(uid, 2, ODRL + "dateTime", "lteq", _when(end)),
    ])


def duration(uid: str, target: str, assigner: str, period: str,
             assignee: str | None = None, action: str = "use") -> Policy:
    """Duration-restricted usage: for `period` (e.g. P30D) after the agreement."""
    parse_duration(period, where="period")
    return _policy(uid, target, assigner, assignee, action, [
        _c(uid, 1, ODRL + "elapsedTime", "lteq", Value(period, datatype=XSD + "duration")),
    ])


def n_times(uid: str, target: str, assigner: str, count: int,
            assignee: str | None = None, action: str = "print") -> Policy:
    """Restricted number of usages: at most `count` times (the print licence)."""
    if count < 0:
        raise InputError("count must not be negative")
    return _policy(uid, target, assigner, assignee, action, [
        _c(uid, 1, ODRL + "count", "lteq", Value(str(count), datatype=XSD + "integer")),
    ])


def location(uid: str, target: str, assigner: str, regions: Sequence[str],
             assignee: str | None = None, action: str = "use") -> Policy:
    """Location-restricted usage: only within these ISO 3166 codes or regions (EU...)."""
    return _policy(uid, target, assigner, assignee, action, [
        _c(uid, 1, ODRL + "spatial", "isAnyOf", *_text(regions)),
    ])


def purpose(uid: str, target: str, assigner: str, purposes: Sequence[str],
            assignee: str | None = None, action: str = "use") -> Policy:
    """Purpose-restricted usage: only for one of `purposes`."""
    return _policy(uid, target, assigner, assignee, action, [
        _c(uid, 1, ODRL + "purpose", "isAnyOf", *_text(purposes)),
    ])


def membership(uid: str, target: str, assigner: str, memberships: Sequence[str],
               assignee: str | None = None, action: str = "use") -> Policy:
    """Role/membership-restricted usage: the requester's verified membership credential
    must name one of `memberships` (e.g. the data space's name)."""
    return _policy(uid, target, assigner, assignee, action, [
        _c(uid, 1, HL + "membership", "isAnyOf", *_text(memberships)),
    ])


def connector(uid: str, target: str, assigner: str, connectors: Sequence[str],
              assignee: str | None = None, action: str = "use") -> Policy:
    """Connector-restricted usage: only on these consumer connectors (`odrl:system`)."""
    return _policy(uid, target, assigner, assignee, action, [
        _c(uid, 1, ODRL + "system", "isAnyOf", *_text(connectors)),
    ])


def event(uid: str, target: str, assigner: str, event_id: str,
          assignee: str | None = None, action: str = "use") -> Policy:
    """Event-restricted usage: only while `event_id` is going on."""
    return _policy(uid, target, assigner, assignee, action, [
        _c(uid, 1, ODRL + "event", "eq", Value(event_id)),
    ])


def delete_after(uid: str, target: str, assigner: str, deadline: datetime | str,
                 assignee: str | None = None, action: str = "use") -> Policy:
    """Use and delete after: use until `deadline`; from then on a `delete` duty is due."""
    return _policy(
        uid, target, assigner, assignee, action,
        [_c(uid, 1, ODRL + "dateTime", "lteq", _when(deadline))],
        duties=[_duty(uid, 1, "delete", constraints=[
            _c(uid, 2, ODRL + "dateTime", "gt", _when(deadline)),
        ])],
    )


def logging(uid: str, target: str, assigner: str, assignee: str | None = None,
            action: str = "use") -> Policy:
    """Local logging: every use must be logged by the consumer's connector."""
    return _policy(uid, target, assigner, assignee, action,
                   duties=[_duty(uid, 1, HL + "log")])


def notify(uid: str, target: str, assigner: str, assignee: str | None = None,
           action: str = "use", recipient: str | None = None) -> Policy:
    """Remote notification: every use must be reported (`inform`) to `recipient`."""
    return _policy(uid, target, assigner, assignee, action,
                   duties=[_duty(uid, 1, "inform", target=recipient)])


def encrypted(uid: str, target: str, assigner: str, algorithms: Sequence[str],
              assignee: str | None = None) -> Policy:
    """Distribute only encrypted: `distribute` refined by the delivery's encryption."""
    action = Action(ODRL + "distribute", (
        _c(uid, 1, HL + "encryption", "isAnyOf", *_text(algorithms)),
    ))
    return _policy(uid, target, assigner, assignee, action)


def attach_policy(uid: str, target: str, assigner: str, next_policy: str,
                  assignee: str | None = None) -> Policy:
    """Attach policy when distributing to a third party: `distribute` only after the
    `nextPolicy` duty (pass `next_policy` on) is fulfilled."""
    return _policy(uid, target, assigner, assignee, "distribute",
                   duties=[_duty(uid, 1, "nextPolicy", before_use=True, target=next_policy)])


TEMPLATES: dict[str, Template] = {
    t.name: t for t in (
        Template("allow", "Allow the Usage of the Data", "provider", "use freely", allow),
        Template("interval", "Interval-restricted Data Usage", "provider",
                 "use between two date-times", interval),
        Template("duration", "Duration-restricted Data Usage", "provider",
                 "use for a period after the agreement", duration),
        Template("n-times", "Restricted Number of Usages", "provider",
                 "use (print) at most N times", n_times),
        Template("location", "Location Restricted Policy", "provider",
                 "use only in these regions", location),
        Template("purpose", "Purpose-restricted Data Usage", "provider",
                 "use only for these purposes", purpose),
        Template("membership", "Role/Membership-restricted Data Usage", "provider",
                 "only members of the data space", membership),
        Template("connector", "Restrict the Data Usage to Specific Connectors", "provider",
                 "only on these connectors", connector),
        Template("event", "Event-restricted Usage", "provider",
                 "only while an event goes on", event),
        Template("delete-after", "Use Data and Delete it After", "consumer",
                 "use until a deadline, then delete", delete_after),
        Template("logging", "Local Logging", "consumer", "log every use", logging),
        Template("notify", "Remote Notifications", "consumer",
                 "report every use to the provider", notify),
        Template("encrypted", "Distribute only if Encrypted", "provider",
                 "distribute only encrypted", encrypted),
        Template("attach-policy", "Attach Policy when Distribute to a Third-party",
                 "consumer", "pass this policy on with the data", attach_policy),
    )
}


def build(name: str, **options: Any) -> Policy:
    """Build template `name` with keyword options; unknown names raise `InputError`."""
    template = TEMPLATES.get(name)
    if template is None:
        raise InputError(f"unknown template {name!r}; choose one of {', '.join(TEMPLATES)}")
    try:
        return template.build(**options)
    except TypeError as exc:
        raise InputError(f"template {name}: {exc}") from None
