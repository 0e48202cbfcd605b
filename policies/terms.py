"""IRIs of the vocabularies a policy speaks, and the short names we show people.

Every IRI inside the engine is a full IRI; `short()` turns the ODRL ones into the names the
ODRL specification uses (`odrl:print` -> `print`) for reports and messages.
"""

from __future__ import annotations

ODRL = "http://www.w3.org/ns/odrl/2/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCT = "http://purl.org/dc/terms/"
DC = "http://purl.org/dc/elements/1.1/"
DSPACE = "https://w3id.org/dspace/2025/1/"
REPORT = "https://w3id.org/force/compliance-report#"
HL = "https://w3id.org/hinterland/policy#"
"""Our own namespace for left operands read from verified credentials."""

POLICY_TYPES = {ODRL + "Set", ODRL + "Offer", ODRL + "Agreement", ODRL + "Policy",
                ODRL + "Privacy", ODRL + "Request", ODRL + "Ticket", ODRL + "Assertion"}

OPERATORS = (
    "eq", "neq", "lt", "lteq", "gt", "gteq",
    "isA", "hasPart", "isPartOf", "isAllOf", "isAnyOf", "isNoneOf",
)
LOGICAL_OPERATORS = ("and", "or", "xone", "andSequence")
CONFLICT_STRATEGIES = ("perm", "prohibit", "invalid")


def odrl(name: str) -> str:
    """The full ODRL IRI of a term name."""
    return ODRL + name


def short(iri: str) -> str:
    """ODRL and Hinterland IRIs without their namespace; anything else unchanged."""
    if iri.startswith(ODRL):
        return iri[len(ODRL):]
    if iri.startswith(HL):
        return iri[len(HL):]
    return iri


def expand_term(value: str) -> str:
    """Full IRI for a value that may be a bare ODRL term (`"use"`, `"odrl:use"`).

    The DSP ODRL profile context maps operators and `use` but not every action or left
    operand, so compact DSP policies carry bare names such as `"dateTime"`; they mean the
    ODRL term of that name.
    """
    if value.startswith("odrl:"):
        return ODRL + value[5:]
    if value.startswith("hl:"):
        return HL + value[3:]
    if ":" not in value:
        return ODRL + value
    return value
