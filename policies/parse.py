"""Parse ODRL policies from JSON-LD (compact or expanded) and Turtle into `policies.model`.

Compact JSON-LD may use the W3C ODRL context or the DSP 2025-1 ODRL profile context (alone
or inside a DSP message: every Offer/Agreement/Set node in the document is found). Both
syntaxes become one `policies.graph.Graph`, so they build identical policies.

Malformed policies raise `PolicyError` whose message names the policy and the offending
rule (`permission #2 of policy urn:p: constraint _:b3 has no operator`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hinterland.errors import LimitExceeded, PolicyError
from policies.graph import (
    RELATIVE_BASE,
    UNDEFINED_VOCAB,
    Graph,
    Term,
    from_flattened_jsonld,
    from_rdflib,
)
from policies.model import (
    Action,
    Asset,
    Conflict,
    Constraint,
    ConstraintLike,
    LogicalConstraint,
    Party,
    Policy,
    Rule,
    RuleKind,
    Value,
)
from policies.terms import (
    CONFLICT_STRATEGIES,
    DC,
    DCT,
    DSPACE,
    LOGICAL_OPERATORS,
    ODRL,
    OPERATORS,
    expand_term,
)
from policies.values import parse_datetime

MAX_POLICY_BYTES = 2_000_000
MAX_NESTING = 32
MAX_CONSTRAINTS = 10_000  # per policy: a shared node listed twice per level doubles per level
_RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"
_TYPE_PREFERENCE = ("Agreement", "Offer", "Set", "Privacy", "Ticket", "Assertion", "Policy")


def parse_policy(source: Any, *, format: str = "auto") -> Policy:
    """Parse exactly one policy from JSON-LD (dict, list, JSON text) or Turtle text.

    `format` is "auto", "jsonld" or "turtle". Raises `PolicyError` when the input holds no
    policy, several, or a malformed one.
    """
    found = parse_policies(source, format=format)
    if not found:
        raise PolicyError("the document contains no ODRL policy (Set, Offer or Agreement)")
    if len(found) > 1:
        uids = ", ".join(p.uid for p in found)
        raise PolicyError(f"the document contains {len(found)} policies ({uids}); expected one")
    return found[0]


def parse_policies(source: Any, *, format: str = "auto") -> list[Policy]:
    """Every policy in a JSON-LD or Turtle document (see `parse_policy`)."""
    return policies_from_graph(load_graph(source, format=format))


def parse_file(path: str | Path) -> Policy:
    """Parse one policy from a `.ttl` (Turtle) or JSON-LD file."""
    file = Path(path)
    if file.stat().st_size > MAX_POLICY_BYTES:
        raise LimitExceeded(f"{file} is larger than {MAX_POLICY_BYTES} bytes")
    text = file.read_text("utf-8")
    fmt = "turtle" if file.suffix.lower() in (".ttl", ".turtle") else "auto"
    return parse_policy(text, format=fmt)


def load_graph(source: Any, *, format: str = "auto") -> Graph:
    """JSON-LD or Turtle input -> node index."""
    if isinstance(source, bytes):
        source = source.decode("utf-8", errors="strict")
    if isinstance(source, str):
        if len(source.encode("utf-8")) > MAX_POLICY_BYTES:
            raise LimitExceeded(f"policy document larger than {MAX_POLICY_BYTES} bytes")
        stripped = source.lstrip()
        if format == "turtle" or (format == "auto" and not stripped.startswith(("{", "["))):
            return _turtle_graph(source)
        try:
            source = json.loads(source)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"policy is not valid JSON: {exc}") from None
    if not isinstance(source, Mapping | list):
        raise PolicyError("a JSON-LD policy must be a JSON object or array")
    return _jsonld_graph(source)


def _turtle_graph(text: str) -> Graph:
    import rdflib

    rdf = rdflib.Graph()
    try:
        rdf.parse(data=text, format="turtle")
    except Exception as exc:  # rdflib raises many parser-specific types
        raise PolicyError(f"policy is not valid Turtle: {exc}") from None
    return from_rdflib(rdf)


def _jsonld_graph(document: Any) -> Graph:
    from pyld import jsonld
    from pyld.context_resolver import ContextResolver

    from policies.odrl_context import policy_loader

    # pyld keeps processed contexts in a process-wide cache and files a processed @import
    # under the imported URL; DSP's type-scoped contexts all @import the ODRL profile with
    # different local terms, so one document's terms leaked into the next (an agreement's
    # `timestamp` into a bare profile-context policy). A cache per document prevents it.
    resolver = ContextResolver({}, policy_loader())
    try:
        flat = jsonld.flatten(
            _catch_undefined_terms(document), None,
            {"documentLoader": policy_loader(), "base": RELATIVE_BASE,
             "contextResolver": resolver},
        )
    except Exception as exc:  # pyld wraps loader errors in its own JsonLdError
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, PolicyError | LimitExceeded):
                raise cause from None
            detail = getattr(cause, "cause", None) or cause.__cause__
            if detail is None:
                break
            cause = detail
        reason = str(cause) if cause is not None else str(exc)
        raise PolicyError(f"policy is not valid JSON-LD: {reason.splitlines()[0]}") from None
    nodes = flat.get("@graph", []) if isinstance(flat, dict) else flat
    return from_flattened_jsonld(nodes)


def _catch_undefined_terms(document: Any) -> Any:
    """Wrap the document's contexts: ODRL terms first, a sentinel @vocab last.

    The DSP ODRL profile context defines only part of ODRL (no `refinement`,
    `consequence`, `remedy`, `dataType`...), and JSON-LD drops undefined terms silently,
    which would turn a refined or constrained permission into an unconditional one. So
    the ODRL terms (`policies.odrl_context`, plus DSP's `timestamp`) come *before* the
    document's own contexts, which still override them, and a sentinel @vocab comes
    after: any term still undefined expands under it and `policies.graph` reports it.
    A document whose top-level contexts set their own @vocab keeps it.
    """
    from policies.odrl_context import fallback_context

    fallback = fallback_context()
    sentinel = {"@vocab": UNDEFINED_VOCAB}
    if isinstance(document, Mapping):
        own = document.get("@context")
        contexts = [] if own is None else own if isinstance(own, list) else [own]
        tail = [] if any(_sets_vocab(c) for c in contexts) else [sentinel]
        return {**document, "@context": [fallback, *contexts, *tail]}
    # expanded JSON-LD has no terms to define: only catch keys that are not IRIs
    return {"@context": sentinel, "@graph": document}


def _sets_vocab(context: Any) -> bool:
    if isinstance(context, Mapping):
        return "@vocab" in context
    if isinstance(context, str):
        from policies.odrl_context import policy_loader

        try:
            loaded = policy_loader()(context, None)["document"]
        except Exception:  # refused or unknown: expansion reports it properly
            return False
        inner = loaded.get("@context") if isinstance(loaded, Mapping) else None
        return isinstance(inner, Mapping) and "@vocab" in inner
    return False


def policies_from_graph(graph: Graph, *, include_requests: bool = False) -> list[Policy]:
    """Build every policy node of the graph (ODRL Requests only when asked)."""
    kinds = [f"{ODRL}{t}" for t in _TYPE_PREFERENCE]
    if include_requests:
        kinds.append(f"{ODRL}Request")
    return [
        _Builder(graph, s).policy(include_requests)
        for s in graph.subjects_of_type(kinds)
        if include_requests or f"{ODRL}Request" not in graph.types(s)
    ]


class _Builder:
    def __init__(self, graph: Graph, subject: str) -> None:
        self.g = graph
        self.subject = subject
        self.uid = subject
        self.constraints_built = 0

    def _one(self, node: str, prop: str, where: str) -> Term | None:
        values = self.g.objects(node, prop)
        if len(values) > 1:
            name = prop.rsplit("/", 1)[-1]
            raise PolicyError(f"{where}: has {len(values)} values for {name}; expected one")
        return values[0] if values else None

    def policy(self, include_requests: bool) -> Policy:
        s = self.subject
        uid_term = self._one(s, ODRL + "uid", f"policy {s}")
        self.uid = uid_term.value if uid_term else s
        where = f"policy {self.uid}"
        types = [t for t in _TYPE_PREFERENCE if ODRL + t in self.g.types(s)]
        if include_requests and ODRL + "Request" in self.g.types(s):
            types.insert(0, "Request")
        ptype = "Set" if types[0] == "Policy" else types[0]

        conflict = Conflict.INVALID
        if (term := self._one(s, ODRL + "conflict", where)) is not None:
            name = _odrl_name(term.value)
            if name not in CONFLICT_STRATEGIES:
                raise PolicyError(
                    f"{where}: conflict {term.value!r} is not one of perm, prohibit, invalid"
                )
            conflict = Conflict(name)

        assigner = self._party(self._one(s, ODRL + "assigner", where), where)
        assignee = self._party(self._one(s, ODRL + "assignee", where), where)
        targets = [self._asset(t, where) for t in self.g.objects(s, ODRL + "target")]
        # a DSP catalog offer sits in its dataset's hasPolicy: the dataset is the target
        # and the catalog's provider the assigner
        datasets = self.g.subjects_with(ODRL + "hasPolicy", s)
        if not targets:
            targets = [Asset(d) for d in datasets]
        actions = [self._action(t, where) for t in self.g.objects(s, ODRL + "action")]
        defaults = _Defaults(assigner, assignee, targets, actions)

        permissions = self._rules(s, "permission", RuleKind.PERMISSION, defaults)
        prohibitions = self._rules(s, "prohibition", RuleKind.PROHIBITION, defaults)
        obligations = self._rules(s, "obligation", RuleKind.OBLIGATION, defaults)
        if (ptype == "Offer" and assigner is None and not datasets
                and not any(r.assigner for r in permissions)):
            raise PolicyError(f"{where}: an Offer needs an assigner (the provider)")
        if ptype == "Agreement":
            if assigner is None and not all(r.assigner for r in permissions + prohibitions):
                raise PolicyError(f"{where}: an Agreement needs an assigner")
            if assignee is None and not all(r.assignee for r in permissions + prohibitions):
                raise PolicyError(f"{where}: an Agreement needs an assignee")
        if not (permissions or prohibitions or obligations) and not self.g.objects(
            s, ODRL + "inheritFrom"
        ):
            raise PolicyError(f"{where}: has no permission, prohibition or obligation")

        replaced = self.g.objects(s, DCT + "isReplacedBy") or self.g.objects(
            s, DC + "isReplacedBy"
        )
        agreed_at = None
        for prop in (DSPACE + "timestamp", DCT + "issued", ODRL + "timestamp"):
            if (term := self._one(s, prop, where)) is not None:
                agreed_at = parse_datetime(term.value, where=f"{where}: timestamp")
                break
        return Policy(
            uid=self.uid,
            type=ptype,
            permissions=permissions,
            prohibitions=prohibitions,
            obligations=obligations,
            conflict=conflict,
            inherit_from=tuple(t.value for t in self.g.objects(s, ODRL + "inheritFrom")),
            replaced_by=replaced[0].value if replaced else None,
            profile=tuple(t.value for t in self.g.objects(s, ODRL + "profile")),
            assigner=assigner,
            assignee=assignee,
            agreed_at=agreed_at,
        )

    def _rules(
        self, node: str, prop: str, kind: RuleKind, defaults: _Defaults | None,
        chain: tuple[str, ...] = (),
    ) -> tuple[Rule, ...]:
        if len(chain) > MAX_NESTING:
            raise PolicyError(f"policy {self.uid}: duties nested deeper than {MAX_NESTING}")
        rules: list[Rule] = []
        for index, term in enumerate(self.g.objects(node, ODRL + prop), start=1):
            label = f"{kind.value} {term.value if _named(term.value) else f'#{index}'}"
            where = f"{label} of policy {self.uid}"
            if not term.is_node:
                raise PolicyError(f"{where}: is a literal {term.value!r}, not a rule object")
            if term.value not in self.g.nodes:
                # an undescribed reference must not read as "anyone may do anything"
                raise PolicyError(f"{where}: is not described in the document")
            if term.value in chain:
                raise PolicyError(f"{where}: is its own duty, consequence or remedy (a cycle)")
            rules.extend(self._rule(term.value, kind, where, defaults, (*chain, term.value)))
        return tuple(rules)

    def _rule(
        self, node: str, kind: RuleKind, where: str, defaults: _Defaults | None,
        chain: tuple[str, ...] = (),
    ) -> list[Rule]:
        g = self.g
        actions = [self._action(t, where) for t in g.objects(node, ODRL + "action")]
        targets = [self._asset(t, where) for t in g.objects(node, ODRL + "target")]
        assigner = self._party(self._one(node, ODRL + "assigner", where), where)
        assignee = self._party(self._one(node, ODRL + "assignee", where), where)
        if defaults is not None:
            actions = actions or defaults.actions
            targets = targets or defaults.targets
            assigner = assigner or defaults.assigner
            assignee = assignee or defaults.assignee
        if kind in (RuleKind.DUTY, RuleKind.OBLIGATION) and not actions:
            raise PolicyError(f"{where}: a duty needs an action")
        constraints = tuple(
            self._constraint(t, where, 0) for t in g.objects(node, ODRL + "constraint")
        )
        duties = self._rules(node, "duty", RuleKind.DUTY, None, chain)
        consequences = self._rules(node, "consequence", RuleKind.DUTY, None, chain)
        remedies = self._rules(node, "remedy", RuleKind.DUTY, None, chain)
        if duties and kind is not RuleKind.PERMISSION:
            raise PolicyError(f"{where}: only permissions have duties")
        if remedies and kind is not RuleKind.PROHIBITION:
            raise PolicyError(f"{where}: only prohibitions have remedies")
        if consequences and kind not in (RuleKind.DUTY, RuleKind.OBLIGATION):
            raise PolicyError(f"{where}: only duties have consequences")
        rule_id = node
        # a compact rule with several actions or targets stands for one rule per pair
        action_options: list[Action | None] = list(actions) or [None]
        target_options: list[Asset | None] = list(targets) or [None]
        return [
            Rule(kind=kind, action=action, target=target, assigner=assigner,
                 assignee=assignee, constraints=constraints, duties=duties,
                 consequences=consequences, remedies=remedies, id=rule_id)
            for action in action_options
            for target in target_options
        ]

    def _action(self, term: Term, where: str) -> Action:
        if not term.is_node:
            return Action(expand_term(term.value))
        if term.value.startswith("_:") or self.g.objects(term.value, _RDF_VALUE):
            inner = self._one(term.value, _RDF_VALUE, where)
            if inner is None:
                raise PolicyError(f"{where}: action {term.value} has no rdf:value")
            refinement = tuple(
                self._constraint(t, f"{where}, refinement of action", 0)
                for t in self.g.objects(term.value, ODRL + "refinement")
            )
            return Action(expand_term(inner.value), refinement)
        return Action(term.value)

    def _refinement(self, node: str, where: str) -> tuple[ConstraintLike, ...]:
        return tuple(
            self._constraint(t, f"{where}, refinement", 0)
            for t in self.g.objects(node, ODRL + "refinement")
        )

    def _party(self, term: Term | None, where: str) -> Party | None:
        if term is None:
            return None
        refinement = self._refinement(term.value, where)
        collection = ODRL + "PartyCollection" in self.g.types(term.value) or bool(
            refinement or self.g.objects(term.value, ODRL + "source")
        )
        return Party(term.value, collection, refinement)

    def _asset(self, term: Term, where: str) -> Asset:
        refinement = self._refinement(term.value, where)
        collection = ODRL + "AssetCollection" in self.g.types(term.value) or bool(
            refinement or self.g.objects(term.value, ODRL + "source")
        )
        return Asset(term.value, collection, refinement)

    def _constraint(self, term: Term, where: str, depth: int) -> ConstraintLike:
        if depth > MAX_NESTING:
            raise PolicyError(f"{where}: constraints nested deeper than {MAX_NESTING}")
        self.constraints_built += 1
        if self.constraints_built > MAX_CONSTRAINTS:
            raise LimitExceeded(f"policy {self.uid}: more than {MAX_CONSTRAINTS} constraints")
        if not term.is_node:
            raise PolicyError(f"{where}: constraint {term.value!r} is a literal, not an object")
        node = term.value
        cid = node
        logical = [op for op in LOGICAL_OPERATORS if self.g.nodes.get(node, {}).get(ODRL + op)]
        if logical:
            if len(logical) > 1:
                raise PolicyError(
                    f"{where}: logical constraint {cid} mixes {' and '.join(logical)}"
                )
            op = logical[0]
            members = tuple(
                self._constraint(t, where, depth + 1) for t in self.g.objects(node, ODRL + op)
            )
            if not members:
                raise PolicyError(f"{where}: logical constraint {cid} ({op}) is empty")
            return LogicalConstraint(op, members, cid)
        if ODRL + "LogicalConstraint" in self.g.types(node):
            raise PolicyError(f"{where}: logical constraint {cid} has no and/or/xone/andSequence")
        if node not in self.g.nodes:
            raise PolicyError(f"{where}: constraint {cid} is not described in the document")
        left = self._one(node, ODRL + "leftOperand", f"{where}: constraint {cid}")
        operator = self._one(node, ODRL + "operator", f"{where}: constraint {cid}")
        if left is None:
            raise PolicyError(f"{where}: constraint {cid} has no leftOperand")
        if operator is None:
            raise PolicyError(f"{where}: constraint {cid} has no operator")
        op_name = _odrl_name(operator.value)
        if op_name not in OPERATORS:
            raise PolicyError(
                f"{where}: constraint {cid} has unknown operator {operator.value!r}; "
                f"ODRL defines {', '.join(OPERATORS)}"
            )
        right = tuple(
            Value(t.value, t.is_node, t.datatype)
            for t in self.g.objects(node, ODRL + "rightOperand")
        )
        reference = self._one(node, ODRL + "rightOperandReference", f"{where}: {cid}")
        if not right and reference is None:
            raise PolicyError(f"{where}: constraint {cid} has no rightOperand")
        data_type = self._one(node, ODRL + "dataType", f"{where}: {cid}")
        unit = self._one(node, ODRL + "unit", f"{where}: {cid}")
        status = self._one(node, ODRL + "status", f"{where}: {cid}")
        return Constraint(
            left_operand=expand_term(left.value),
            operator=op_name,
            right_operand=right,
            right_operand_reference=reference.value if reference else None,
            data_type=data_type.value if data_type else None,
            unit=unit.value if unit else None,
            status=Value(status.value, status.is_node, status.datatype) if status else None,
            id=cid,
        )


class _Defaults:
    """Policy-level assigner, assignee, targets and actions that rules inherit."""

    def __init__(
        self,
        assigner: Party | None,
        assignee: Party | None,
        targets: Sequence[Asset],
        actions: Sequence[Action],
    ) -> None:
        self.assigner = assigner
        self.assignee = assignee
        self.targets = list(targets)
        self.actions = list(actions)


def _odrl_name(iri: str) -> str:
    full = expand_term(iri)
    return full[len(ODRL):] if full.startswith(ODRL) else full


def _named(node_id: str) -> bool:
    return not node_id.startswith("_:")


def resolve_inheritance(
    policy: Policy, resolve: Callable[[str], Policy | None], *, _seen: frozenset[str] = frozenset()
) -> Policy:
    """Merge the rules of `inheritFrom` parents into `policy` (ODRL 2.2 §2.8).

    `resolve(uid)` returns a parent policy or None. A missing parent, a cycle, or a parent
    with a different explicit conflict strategy raises `PolicyError`.
    """
    if not policy.inherit_from:
        return policy
    if policy.uid in _seen:
        raise PolicyError(f"policy {policy.uid}: inheritFrom forms a cycle")
    permissions: list[Rule] = []
    prohibitions: list[Rule] = []
    obligations: list[Rule] = []
    for parent_uid in policy.inherit_from:
        parent = resolve(parent_uid)
        if parent is None:
            raise PolicyError(f"policy {policy.uid}: parent policy {parent_uid} is unknown")
        parent = resolve_inheritance(parent, resolve, _seen=_seen | {policy.uid})
        if parent.conflict is not policy.conflict:
            raise PolicyError(
                f"policy {policy.uid}: conflict strategy {policy.conflict.value!r} differs "
                f"from parent {parent.uid}'s {parent.conflict.value!r}"
            )
        permissions.extend(parent.permissions)
        prohibitions.extend(parent.prohibitions)
        obligations.extend(parent.obligations)
    from dataclasses import replace

    return replace(
        policy,
        permissions=tuple(permissions) + policy.permissions,
        prohibitions=tuple(prohibitions) + policy.prohibitions,
        obligations=tuple(obligations) + policy.obligations,
        inherit_from=(),
        agreed_at=policy.agreed_at,
    )

