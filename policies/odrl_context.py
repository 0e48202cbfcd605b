"""A stand-in for the W3C ODRL JSON-LD context (`http://www.w3.org/ns/odrl.jsonld`).

The kernel's offline loader serves bundled contexts only. When it does not bundle the
W3C ODRL context (under either URL), `policy_loader()` answers for it with this mapping,
written by us from the ODRL 2.2 vocabulary: the same term names with the same IRIs and coercions
(`@id` for links, `@vocab` for actions, operands and operators, `@list` for
`andSequence`). Any other URL goes to the kernel loader unchanged.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from hinterland.errors import RemoteContextRefused
from hinterland.jsonld import default_loader
from policies._action_table import EQUIVALENT, INCLUDED_IN
from policies.terms import CONFLICT_STRATEGIES, LOGICAL_OPERATORS, OPERATORS

ODRL_CONTEXT_URLS = (
    "http://www.w3.org/ns/odrl.jsonld",
    "https://www.w3.org/ns/odrl.jsonld",
)

_CLASSES = (
    "Policy", "Set", "Offer", "Agreement", "Privacy", "Request", "Ticket", "Assertion",
    "Rule", "Permission", "Prohibition", "Duty", "Action", "Asset", "AssetCollection",
    "Party", "PartyCollection", "Constraint", "LogicalConstraint", "Operator",
    "LeftOperand", "RightOperand", "ConflictTerm",
)
_LINKS = (
    "target", "assigner", "assignee", "output", "partOf", "source", "inheritFrom",
    "profile", "rightOperandReference", "dataType", "unit", "hasPolicy", "function",
    "informedParty", "compensatedParty", "attributedParty", "trackingParty", "consentingTo",
    "consentedParty",
)
_SETS = ("permission", "prohibition", "obligation", "duty", "constraint", "refinement",
         "consequence", "remedy")
_VOCAB = ("action", "leftOperand", "operator", "conflict", "status")
_LEFT_OPERANDS = (
    "absolutePosition", "absoluteSize", "absoluteSpatialPosition",
    "absoluteTemporalPosition", "count", "dateTime", "delayPeriod", "deliveryChannel",
    "device", "elapsedTime", "event", "fileFormat", "industry", "language", "media",
    "meteredTime", "payAmount", "percentage", "product", "purpose", "recipient",
    "relativePosition", "relativeSize", "relativeSpatialPosition",
    "relativeTemporalPosition", "resolution", "spatial", "spatialCoordinates", "system",
    "systemDevice", "timeInterval", "unitOfCount", "version", "virtualLocation",
    "policyUsage",
)
_OTHER_ACTIONS = (
    "use", "transfer", "acceptTracking", "adHocShare", "attachPolicy", "attachSource",
    "commercialize", "lend", "preview", "secondaryUse", "share", "shareAlike",
)


@cache
def odrl_context() -> dict[str, Any]:
    """The context document (`{"@context": {...}}`)."""
    ctx: dict[str, Any] = {
        "odrl": "http://www.w3.org/ns/odrl/2/",
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "dc": "http://purl.org/dc/terms/",
        "dct": "http://purl.org/dc/terms/",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "uid": "@id",
        "type": "@type",
        "rightOperand": "odrl:rightOperand",
        "isReplacedBy": {"@id": "dc:isReplacedBy", "@type": "@id"},
    }
    names = set(_CLASSES) | set(_LEFT_OPERANDS) | set(OPERATORS) | set(CONFLICT_STRATEGIES)
    names |= set(INCLUDED_IN) | set(EQUIVALENT) | set(_OTHER_ACTIONS)
    for name in sorted(names):
        ctx[name] = f"odrl:{name}"
    for name in _LINKS:
        ctx[name] = {"@id": f"odrl:{name}", "@type": "@id"}
    for name in _SETS:
        ctx[name] = {"@id": f"odrl:{name}", "@type": "@id", "@container": "@set"}
    for name in _VOCAB:
        ctx[name] = {"@id": f"odrl:{name}", "@type": "@vocab"}
    for name in LOGICAL_OPERATORS:
        ctx[name] = {"@id": f"odrl:{name}", "@type": "@id"}
    ctx["andSequence"] = {"@id": "odrl:andSequence", "@type": "@id", "@container": "@list"}
    return {"@context": ctx}


@cache
def fallback_context() -> dict[str, Any]:
    """ODRL terms (and DSP's agreement `timestamp`) for documents whose own context
    leaves them undefined; the document's contexts are applied after it and win."""
    ctx = dict(odrl_context()["@context"])
    ctx["timestamp"] = {"@id": "https://w3id.org/dspace/2025/1/timestamp"}
    ctx["hl"] = "https://w3id.org/hinterland/policy#"
    return ctx


class PolicyLoader:
    """The kernel's offline loader, plus our stand-in for the W3C ODRL context."""

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return default_loader()(url, options)
        except RemoteContextRefused:
            if url.rstrip("/") not in ODRL_CONTEXT_URLS:
                raise
        try:  # policies often cite the http:// URL; the kernel may bundle the https:// one
            return default_loader()(ODRL_CONTEXT_URLS[1], options)
        except RemoteContextRefused:
            return {"contextUrl": None, "documentUrl": url, "document": odrl_context()}


@cache
def policy_loader() -> PolicyLoader:
    """The shared loader instance."""
    return PolicyLoader()
