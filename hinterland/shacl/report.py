"""Turn a pyshacl validation report graph into `ShaclViolation` values."""

from __future__ import annotations

from dataclasses import astuple, replace
from typing import Any

import rdflib
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from hinterland.shacl.messages import compact, plain_message

_SEVERITIES: dict[Any, str] = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_PATH_SUFFIX = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


def render_node(node: Any) -> str:
    """An IRI as itself, a blank node as ``_:id``, a literal as its lexical form."""
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def render_path(graph: rdflib.Graph, path: Any) -> str:
    """A SHACL property path in SPARQL-like syntax (``^p``, ``p/q``, ``(p|q)``, ``p*``)."""
    if isinstance(path, URIRef):
        return str(path)
    if (path, RDF.first, None) in graph:
        return "/".join(render_path(graph, step) for step in Collection(graph, path))
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + render_path(graph, inverse)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(render_path(graph, a) for a in Collection(graph, alternatives)) + ")"
    for predicate, suffix in _PATH_SUFFIX.items():
        inner = graph.value(path, predicate)
        if inner is not None:
            return render_path(graph, inner) + suffix
    return render_node(path)


_MAX_MESSAGE = 300


def _shorten(message: str) -> str:
    # pyshacl spells out whole sh:in lists (all ISO 3166 codes) in its default messages.
    if len(message) <= _MAX_MESSAGE:
        return message
    return message[: _MAX_MESSAGE - 1].rstrip() + "…"


def _message(report: rdflib.Graph, result: Any) -> str:
    messages = [m for m in report.objects(result, SH.resultMessage) if isinstance(m, Literal)]
    if not messages:
        return "the value does not satisfy the shape"
    # Prefer English or language-less messages; sort for a stable pick.
    preferred = [m for m in messages if m.language in (None, "en")] or messages
    return _shorten(sorted(str(m) for m in preferred)[0])


def violations_from_report(report: rdflib.Graph, shapes: rdflib.Graph) -> list[Any]:
    """Every sh:result of a report graph, sorted, as `ShaclViolation`s."""
    from hinterland.shacl.model import ShaclViolation

    found = []
    for result in report.objects(None, SH.result):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        severity = report.value(result, SH.resultSeverity)
        shape = report.value(result, SH.sourceShape)
        component = report.value(result, SH.sourceConstraintComponent)
        value = report.value(result, SH.value)
        # Complex paths are blank nodes of the shapes graph; the report copies them.
        path_text = None if path is None else render_path(_path_graph(path, report, shapes), path)
        constraint = None if component is None else str(component).rsplit("#", 1)[-1]
        message = plain_message(shapes, shape, constraint, path_text, value)
        found.append(
            ShaclViolation(
                focus=render_node(focus) if focus is not None else "",
                path=path_text,
                severity=_SEVERITIES.get(severity, render_node(severity)),
                message=message or _message(report, result),
                shape=None if shape is None or isinstance(shape, BNode) else str(shape),
                constraint=constraint,
                value=None if value is None else render_node(value),
            )
        )
    return sort_violations(found)


def sort_violations(violations: list[Any]) -> list[Any]:
    """A stable order: by focus, path, severity, message, shape, constraint, value."""
    return sorted(violations, key=lambda v: tuple(part or "" for part in astuple(v)))


def _path_graph(path: Any, report: rdflib.Graph, shapes: rdflib.Graph) -> rdflib.Graph:
    if isinstance(path, BNode) and (path, None, None) in report:
        return report
    return shapes


def _owner(data: rdflib.Graph, node: BNode, depth: int = 0) -> str | None:
    for subject, predicate in data.subject_predicates(node):
        label = f"the {compact(str(predicate))} of "
        if isinstance(subject, BNode):
            parent = _owner(data, subject, depth + 1) if depth < 4 else None
            return label + (parent or "a nested object")
        return label + str(subject)
    return None


def locate_blank_nodes(violations: list[Any], data: rdflib.Graph) -> list[Any]:
    """Say where a blank-node focus sits ("the gx:legalAddress of did:web:...").

    A blank node's id means nothing to the person who wrote the document.
    """
    located = []
    for violation in violations:
        if violation.focus.startswith("_:"):
            where = _owner(data, BNode(violation.focus[2:]))
            if where is not None:
                violation = replace(violation, message=f"{violation.message} (in {where})")
        located.append(violation)
    return located
