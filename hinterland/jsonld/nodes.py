"""Quads back into nested node objects: the expanded-form view of a document that readers
of claims walk, without a second JSON-LD expansion.

JSON-LD's fromRdf gives flat node objects; expansion of a credential gives nodes nested
where the document nested them. Here each graph's top-level nodes (subjects no statement
of that graph refers to) embed the nodes they refer to, recursively, as the document did;
a reference to a named graph (`proof`, `verifiableCredential` in VC 2.0) becomes
`{"@graph": [...]}`, and literals become value objects with native numbers and booleans
(fromRdf's `useNativeTypes`). Blank nodes carry no `@id`, as in expansion of a document
that did not label them.

RDF cannot tell every tree apart: a credential whose `id` is also its subject's `id` is one
node in RDF but two objects in the document, and a node referred to twice may have been
written out twice or once. `nested_nodes` returns None for such datasets (anything not a
tree of distinct nodes), and callers expand the document instead.
"""

from __future__ import annotations

from typing import Any

from hinterland.jsonld.rdfc import Quad, unescape_literal

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"
MAX_DEPTH = 32

Graph = dict[str, list[tuple[str, str]]]  # subject -> (predicate, object) in document order


def nested_nodes(quads: list[Quad]) -> list[dict[str, Any]] | None:
    """The default graph's top-level nodes, each with what it refers to embedded; None
    when the statements do not form a tree (see the module docstring)."""
    graphs: dict[str, Graph] = {}
    references: dict[tuple[str, str], int] = {}
    for subject, predicate, obj, graph in quads:
        graphs.setdefault(graph, {}).setdefault(subject, []).append((predicate, obj))
        if subject == obj:
            return None
        if not obj.startswith('"') and predicate != RDF_TYPE:
            references[graph, obj] = references.get((graph, obj), 0) + 1
    referenced: dict[str, set[str]] = {}
    for (graph, obj), count in references.items():
        described = obj in graphs[graph] or (obj.startswith("_:") and obj in graphs)
        if count > 1 and described:
            return None
        referenced.setdefault(graph, set()).add(obj)
    nester = _Nester(graphs, referenced)
    roots = nester.roots("")
    return None if nester.nested != sum(len(nodes) for nodes in graphs.values()) else roots


class _Nester:
    def __init__(self, graphs: dict[str, Graph], referenced: dict[str, set[str]]) -> None:
        self.graphs = graphs
        self.referenced = referenced
        self.nested = 0  # nodes placed: fewer than described means a cycle left some out

    def roots(self, graph: str) -> list[dict[str, Any]]:
        nodes = self.graphs.get(graph, {})
        pointed = self.referenced.get(graph, set())
        return [self.node(graph, s, frozenset({s})) for s in nodes if s not in pointed]

    def node(self, graph: str, subject: str, path: frozenset[str]) -> dict[str, Any]:
        self.nested += 1
        result: dict[str, Any] = {}
        if subject.startswith("<"):
            result["@id"] = subject[1:-1]
        for predicate, obj in self.graphs[graph].get(subject, []):
            if predicate == RDF_TYPE:
                result.setdefault("@type", []).append(_iri(obj))
            else:
                values = result.setdefault(predicate[1:-1], [])
                values.append(self.value(graph, obj, path))
        return result

    def value(self, graph: str, obj: str, path: frozenset[str]) -> dict[str, Any]:
        if obj.startswith('"'):
            return _literal(obj)
        if obj.startswith("_:") and obj in self.graphs and obj not in self.graphs[graph]:
            return {"@graph": self.roots(obj)}
        described = obj in self.graphs[graph] and obj not in path and len(path) < MAX_DEPTH
        if described:
            return self.node(graph, obj, path | {obj})
        if obj.startswith("_:"):
            return {}  # an empty node object (expansion keeps `{}` as a node, not a reference)
        return {"@id": _iri(obj)}


def _iri(term: str) -> str:
    return term[1:-1] if term.startswith("<") else term


def _literal(term: str) -> dict[str, Any]:
    end = term.rindex('"')  # neither a language tag nor a datatype IRI holds a quote
    lexical, suffix = unescape_literal(term[1:end]), term[end + 1 :]
    if suffix.startswith("@"):
        return {"@value": lexical, "@language": suffix[1:]}
    if not suffix:
        return {"@value": lexical}
    datatype = suffix[3:-1]
    native = _native(lexical, datatype)
    if native is not None:
        return {"@value": native}
    return {"@value": lexical, "@type": datatype}


def _native(lexical: str, datatype: str) -> bool | int | float | None:
    try:
        if datatype == XSD + "boolean" and lexical in ("true", "false"):
            return lexical == "true"
        if datatype == XSD + "integer":
            return int(lexical)
        if datatype == XSD + "double":
            return float(lexical)
    except ValueError:
        return None
    return None
