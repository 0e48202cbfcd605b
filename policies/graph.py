"""A small node index over RDF, the common ground of the JSON-LD and Turtle parsers.

Both front ends (pyld for JSON-LD, rdflib for Turtle) produce a `Graph`: node id ->
predicate IRI -> list of `Term`. The model builder in `policies.parse` reads only this, so
both syntaxes yield exactly the same `Policy`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hinterland.errors import PolicyError
from policies.terms import ODRL, RDF_TYPE, expand_term

# pyld resolves relative IRIs against a base; we give it this one and strip it again, so a
# bare `"dateTime"` left operand from a DSP policy reaches us as `dateTime`.
RELATIVE_BASE = "https://relative.hinterland.invalid/"
# ... and a @vocab of its own after the document's contexts: a property that expands
# under it is a term no context defines, which JSON-LD would silently drop.
UNDEFINED_VOCAB = "https://undefined.hinterland.invalid/"


@dataclass(frozen=True, slots=True)
class Term:
    """An RDF term: an IRI or blank node (`is_node`), a literal, or an RDF list (`items`)."""

    value: str
    is_node: bool
    datatype: str | None = None
    language: str | None = None
    items: tuple[Term, ...] | None = None

    @property
    def is_list(self) -> bool:
        """True for an ordered RDF list (`@list` or rdf:first/rest)."""
        return self.items is not None


@dataclass(slots=True)
class Graph:
    """Nodes by id (IRIs, or `_:` blank node labels) with their outgoing edges."""

    nodes: dict[str, dict[str, list[Term]]] = field(default_factory=dict)

    def add(self, subject: str, predicate: str, obj: Term) -> None:
        """Add one triple."""
        self.nodes.setdefault(subject, {}).setdefault(predicate, []).append(obj)

    def objects(self, subject: str, predicate: str) -> list[Term]:
        """Objects of (subject, predicate); RDF lists are flattened into their members."""
        out: list[Term] = []
        for term in self.nodes.get(subject, {}).get(predicate, ()):
            if term.items is not None:
                out.extend(term.items)
            else:
                out.append(term)
        return out

    def types(self, subject: str) -> set[str]:
        """The rdf:type IRIs of a node."""
        return {t.value for t in self.nodes.get(subject, {}).get(RDF_TYPE, ())}

    def subjects_with(self, predicate: str, obj: str) -> list[str]:
        """Subjects of triples (?, predicate, obj), in document order."""
        return [
            s for s, edges in self.nodes.items()
            if any(t.value == obj and t.is_node for t in edges.get(predicate, ()))
        ]

    def subjects_of_type(self, types: Iterable[str]) -> list[str]:
        """Nodes having any of `types`, in document order."""
        wanted = set(types)
        return [s for s in self.nodes if self.types(s) & wanted]


def _fix_iri(value: str) -> str:
    if value.startswith(RELATIVE_BASE):
        return expand_term(value[len(RELATIVE_BASE):])
    if value.startswith(UNDEFINED_VOCAB):
        return expand_term(value[len(UNDEFINED_VOCAB):])
    if value.endswith(":") and value.startswith(ODRL):
        return value[:-1]  # the W3C ODRL context maps "industry" to "odrl:industry:"
    return value


def _predicate(value: str) -> str:
    if value.startswith(UNDEFINED_VOCAB):
        name = value[len(UNDEFINED_VOCAB):]
        raise PolicyError(
            f"term {name!r} is not defined by the document's @context, so JSON-LD would "
            "drop it silently; define it or use a full IRI"
        )
    return _fix_iri(value)


def _jsonld_term(value: Mapping[str, Any]) -> Term:
    if "@list" in value:
        return Term("", False, items=tuple(_jsonld_term(v) for v in value["@list"]))
    if "@id" in value:
        return Term(_fix_iri(str(value["@id"])), True)
    raw = value.get("@value")
    datatype = value.get("@type")
    if isinstance(raw, bool):
        return Term("true" if raw else "false", False, datatype or "http://www.w3.org/2001/XMLSchema#boolean")
    if isinstance(raw, int):
        return Term(str(raw), False, datatype or "http://www.w3.org/2001/XMLSchema#integer")
    if isinstance(raw, float):
        return Term(repr(raw), False, datatype or "http://www.w3.org/2001/XMLSchema#double")
    return Term(str(raw), False, datatype, value.get("@language"))


def from_flattened_jsonld(nodes: Iterable[Mapping[str, Any]]) -> Graph:
    """Index the node objects of a flattened, expanded JSON-LD document."""
    graph = Graph()
    for node in nodes:
        subject = _fix_iri(str(node["@id"]))
        graph.nodes.setdefault(subject, {})
        for type_iri in node.get("@type", ()):
            graph.add(subject, RDF_TYPE, Term(_fix_iri(str(type_iri)), True))
        for predicate, values in node.items():
            if predicate.startswith("@"):
                continue
            for value in values:
                graph.add(subject, _predicate(predicate), _jsonld_term(value))
    return graph


def from_rdflib(rdf_graph: Any) -> Graph:
    """Index an rdflib graph; rdf:first/rest chains become list terms."""
    import rdflib

    first, rest, nil = rdflib.RDF.first, rdflib.RDF.rest, rdflib.RDF.nil

    def node_id(node: Any) -> str:
        return f"_:{node}" if isinstance(node, rdflib.BNode) else str(node)

    def convert(obj: Any) -> Term:
        if isinstance(obj, rdflib.Literal):
            datatype = str(obj.datatype) if obj.datatype is not None else None
            return Term(str(obj), False, datatype, obj.language)
        if isinstance(obj, rdflib.BNode) and (obj, first, None) in rdf_graph:
            items: list[Term] = []
            cursor = obj
            while cursor != nil and len(items) < 100_000:
                items.append(convert(rdf_graph.value(cursor, first)))
                cursor = rdf_graph.value(cursor, rest)
                if cursor is None:
                    break
            return Term("", False, items=tuple(items))
        return Term(node_id(obj), True)

    graph = Graph()
    # RDF has no order; sorting makes reports and rule order the same on every run
    for s, p, o in sorted(rdf_graph, key=lambda t: (str(t[0]), str(t[1]), str(t[2]))):
        if p in (first, rest):
            continue
        graph.add(node_id(s), str(p), convert(o))
    return graph


__all__ = [
    "RELATIVE_BASE", "UNDEFINED_VOCAB", "Graph", "Term", "from_flattened_jsonld", "from_rdflib",
]
