"""The ODRL action hierarchy: `includedIn` (transitive) and the equivalences of deprecated actions.

Permitting `use` covers `print`, `reproduce`, `read`...; prohibiting `transfer` covers
`sell` and `give`; the deprecated `write` is `skos:exactMatch` `modify`, so it is a `use`
too. The tables in `policies._action_table` are derived from the ODRL 2.2 ontology
(`policies/vocab/ODRL22.ttl`, W3C licence beside it) by `derive_tables()`; a test
re-derives them from the Turtle and compares, so code and vocabulary cannot drift apart.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from policies._action_table import EQUIVALENT, INCLUDED_IN
from policies.terms import ODRL

VOCAB_TTL = Path(__file__).parent / "vocab" / "ODRL22.ttl"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_OWL = "http://www.w3.org/2002/07/owl#"

Table = dict[str, tuple[str, ...]]


def derive_tables(ttl_path: Path = VOCAB_TTL) -> tuple[Table, Table]:
    """(includedIn, equivalent) of every ODRL action, as short names, from the ontology.

    Build-time only (it needs rdflib); the engine uses the committed tables.
    """
    import rdflib

    graph = rdflib.Graph().parse(str(ttl_path), format="turtle")
    action_class = rdflib.URIRef(ODRL + "Action")

    def names(subject: rdflib.term.Node, *links: str) -> tuple[str, ...]:
        found = {str(o) for link in links for o in graph.objects(subject, rdflib.URIRef(link))}
        return tuple(sorted(o[len(ODRL):] for o in found if _is_odrl_name(o)))

    included: Table = {}
    equivalent: Table = {}
    for action in graph.subjects(rdflib.RDF.type, action_class):
        if not _is_odrl_name(str(action)):
            continue  # the cc: licence actions live outside the ODRL namespace proper
        name = str(action)[len(ODRL):]
        if parents := names(action, ODRL + "includedIn"):
            included[name] = parents
        if same := names(action, _SKOS + "exactMatch", _OWL + "sameAs"):
            equivalent[name] = same
    return dict(sorted(included.items())), dict(sorted(equivalent.items()))


def _is_odrl_name(iri: str) -> bool:
    return iri.startswith(ODRL) and "#" not in iri[len(ODRL):] and iri != ODRL


def render_tables(included: Table, equivalent: Table) -> str:
    """Python source of `policies/_action_table.py`."""
    lines = [
        '"""Generated from policies/vocab/ODRL22.ttl by `policies.actions.derive_tables()`.',
        "",
        "Do not edit by hand: tests/unit/policies/test_policy_actions.py re-derives and compares.",
        '"""',
        "",
    ]
    for var, table in (("INCLUDED_IN", included), ("EQUIVALENT", equivalent)):
        lines.append(f"{var}: dict[str, tuple[str, ...]] = {{")
        for name, parents in table.items():
            inner = ", ".join(repr(p) for p in parents) + ("," if len(parents) == 1 else "")
            lines.append(f"    {name!r}: ({inner}),")
        lines.append("}")
        lines.append("")
    return "\n".join(lines)


def _equivalence_classes() -> dict[str, frozenset[str]]:
    classes: dict[str, set[str]] = {}
    for name, others in EQUIVALENT.items():
        group = {name, *others}
        for member in list(group):
            group |= classes.get(member, set())
        for member in group:
            classes[member] = group
    return {k: frozenset(v) for k, v in classes.items()}


_CLASSES = _equivalence_classes()


@lru_cache(maxsize=4096)  # bounded: requested actions come from callers
def ancestors(action: str) -> frozenset[str]:
    """Full IRIs of `action`, its equivalents and every action that includes them."""
    seen: set[str] = set()
    stack = [action]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if current.startswith(ODRL):
            name = current[len(ODRL):]
            stack.extend(ODRL + p for p in INCLUDED_IN.get(name, ()))
            stack.extend(ODRL + p for p in _CLASSES.get(name, ()))
    return frozenset(seen)


def included_in(requested: str, granted: str) -> bool:
    """True when exercising `requested` is an exercise of `granted` (e.g. print ⊑ use)."""
    return requested == granted or granted in ancestors(requested)
