"""Plain-language messages for SHACL results whose shape brings no ``sh:message``.

pyshacl's own wording names Python objects (``Literal("XX")``) and spells out whole
``sh:in`` lists; a person filling in a self-description needs the property, the value and
what was expected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rdflib
from rdflib import BNode, Literal
from rdflib.collection import Collection
from rdflib.namespace import SH

PREFIXES: tuple[tuple[str, str], ...] = (
    ("gx:", "https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry/v1/shapes/jsonld/trustframework#"),
    ("gx:", "https://w3id.org/gaia-x/development#"),
    ("gx:", "https://w3id.org/gaia-x/development/"),
    ("hinterland:", "https://w3id.org/hinterland/v1#"),
    ("schema:", "https://schema.org/"),
    ("xsd:", "http://www.w3.org/2001/XMLSchema#"),
    ("vcard:", "http://www.w3.org/2006/vcard/ns#"),
    ("dcat:", "http://www.w3.org/ns/dcat#"),
    ("odrl:", "http://www.w3.org/ns/odrl/2/"),
    ("sh:", "http://www.w3.org/ns/shacl#"),
)
_MAX_VALUE = 80
_MAX_LISTED = 8


def compact(iri: str) -> str:
    """``gx:legalName`` for a known namespace, the IRI itself otherwise."""
    for prefix, namespace in PREFIXES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return prefix + iri[len(namespace) :]
    return iri


def show(node: Any) -> str:
    """A value as a person would recognise it: quoted text, a compact IRI, a blank node."""
    if isinstance(node, Literal):
        text = str(node)
        if len(text) > _MAX_VALUE:
            text = text[: _MAX_VALUE - 1] + "…"
        return f'"{text}"'
    if isinstance(node, BNode):
        return "a nested object"
    return compact(str(node))


def _kind(node: Any) -> str:
    kinds = {
        SH.IRI: "an IRI (a link)",
        SH.Literal: "a literal value (text, number or date)",
        SH.BlankNode: "a nested object",
        SH.BlankNodeOrIRI: "an object or a link",
        SH.BlankNodeOrLiteral: "a nested object or a literal value",
        SH.IRIOrLiteral: "a link or a literal value",
    }
    return kinds.get(node, compact(str(node)))


def _allowed(shapes: rdflib.Graph, shape: Any) -> str:
    values = [str(v) for v in Collection(shapes, shapes.value(shape, SH["in"]))]
    if len(values) <= _MAX_LISTED:
        return "one of " + ", ".join(values)
    return f"one of {len(values)} allowed values, such as " + ", ".join(values[:_MAX_LISTED])


def _param(shapes: rdflib.Graph, shape: Any, name: str) -> str:
    value = shapes.value(shape, SH[name])
    return "?" if value is None else (str(value) if isinstance(value, Literal) else show(value))


_Words = Callable[[rdflib.Graph, Any, str], str]

_WORDING: dict[str, _Words] = {
    "MinCountConstraintComponent": lambda g, s, v: (
        f"is required: at least {_param(g, s, 'minCount')} value(s) expected, fewer found"
    ),
    "MaxCountConstraintComponent": lambda g, s, v: (
        f"has too many values: at most {_param(g, s, 'maxCount')} allowed"
    ),
    "DatatypeConstraintComponent": lambda g, s, v: (
        f"{v} is not a valid {_param(g, s, 'datatype')}"
    ),
    "NodeKindConstraintComponent": lambda g, s, v: (
        f"{v} must be {_kind(g.value(s, SH.nodeKind))}"
    ),
    "PatternConstraintComponent": lambda g, s, v: (
        f"{v} does not have the expected form {_param(g, s, 'pattern')}"
    ),
    "MinLengthConstraintComponent": lambda g, s, v: (
        f"{v} is shorter than {_param(g, s, 'minLength')} characters"
    ),
    "MaxLengthConstraintComponent": lambda g, s, v: (
        f"{v} is longer than {_param(g, s, 'maxLength')} characters"
    ),
    "MinInclusiveConstraintComponent": lambda g, s, v: (
        f"{v} is below the minimum {_param(g, s, 'minInclusive')}"
    ),
    "MinExclusiveConstraintComponent": lambda g, s, v: (
        f"{v} must be greater than {_param(g, s, 'minExclusive')}"
    ),
    "MaxInclusiveConstraintComponent": lambda g, s, v: (
        f"{v} is above the maximum {_param(g, s, 'maxInclusive')}"
    ),
    "MaxExclusiveConstraintComponent": lambda g, s, v: (
        f"{v} must be less than {_param(g, s, 'maxExclusive')}"
    ),
    "InConstraintComponent": lambda g, s, v: f"{v} is not allowed; expected {_allowed(g, s)}",
    "HasValueConstraintComponent": lambda g, s, v: (
        f"must contain the value {_param(g, s, 'hasValue')}"
    ),
    "ClassConstraintComponent": lambda g, s, v: (
        f"{v} must be of type {_param(g, s, 'class')}"
    ),
    "NodeConstraintComponent": lambda g, s, v: (
        f"{v} does not satisfy {_param(g, s, 'node')}"
    ),
    "OrConstraintComponent": lambda g, s, v: f"{v} matches none of the allowed alternatives",
    "XoneConstraintComponent": lambda g, s, v: f"{v} must match exactly one alternative",
    "AndConstraintComponent": lambda g, s, v: f"{v} does not satisfy all required conditions",
    "NotConstraintComponent": lambda g, s, v: f"{v} matches a form that is not allowed",
    "ClosedConstraintComponent": lambda g, s, v: "is not an allowed property here",
}


# Messages about the property as a whole ("gx:providedBy is required"); the others are
# about one value ("gx:countryCode: "XX" is not allowed").
_ABOUT_THE_PROPERTY = {
    "MinCountConstraintComponent",
    "MaxCountConstraintComponent",
    "HasValueConstraintComponent",
    "ClosedConstraintComponent",
}


def plain_message(
    shapes: rdflib.Graph, shape: Any, component: str | None, path: str | None, value: Any
) -> str | None:
    """Our wording for a result, or None when the shape has its own sh:message or the
    constraint is not one we word."""
    if shape is None or component is None or shapes.value(shape, SH.message) is not None:
        return None
    words = _WORDING.get(component)
    if words is None:
        return None
    subject = compact(path) if path else "the value"
    joiner = " " if component in _ABOUT_THE_PROPERTY else ": "
    try:
        text = words(shapes, shape, show(value) if value is not None else "it")
        return f"{subject}{joiner}{text}"
    except Exception:
        # A malformed shape must not hide the result itself: fall back to pyshacl's text.
        return None


__all__ = ["PREFIXES", "compact", "plain_message", "show"]
