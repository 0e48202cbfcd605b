"""The SHACL data graph of a JSON-LD document: the claims of its credential subjects.

Gaia-X compliance validates what credentials *say*, not their envelopes, so:

- a Verifiable Presentation contributes the ``credentialSubject`` nodes of every embedded
  credential; a Verifiable Credential those of its own ``credentialSubject``;
- the subjects of all credentials go into ONE graph, so that references between them
  resolve (a LegalParticipant's ``gx:legalRegistrationNumber`` points at the subject of
  another credential of the same presentation);
- each subject is interpreted under the contexts in force where it stands (the
  presentation's, then the credential's, then its own), which is what JSON-LD expansion of
  the whole document gives it (type-scoped contexts of VerifiableCredential/-Presentation
  do not propagate into subjects);
- proofs, issuer, dates and other envelope statements are not part of the data graph;
- a Gaia-X compliance envelope ``{"selfDescriptionCredential": VP, "complianceCredential": VC}``
  is validated through its self-description; the compliance credential is the compliance
  service's answer, not a claim of the participant;
- a document that is neither (a plain JSON-LD description) is validated whole.

Credentials that are not embedded JSON-LD objects (JWT strings, enveloped credentials)
cannot be read here; they are listed in the notes instead of being passed silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import rdflib
from pyld import jsonld
from rdflib import BNode, Literal, URIRef

from hinterland.errors import InputError
from hinterland.jsonld.limits import check_limits
from hinterland.jsonld.loader import DocumentLoader, default_loader
from hinterland.jsonld.processing import pyld_errors


class _IllTypedLiteralFilter(logging.Filter):
    """rdflib logs a traceback for every ill-typed literal ("next week"^^xsd:dateTime).
    Such input is expected here: SHACL reports it as a violation, so the log stays quiet."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_IllTypedLiteralFilter())

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _with_context(node: dict[str, Any], outer: list[Any]) -> dict[str, Any]:
    if "@context" in node:
        own = node["@context"]
        context = outer + (own if isinstance(own, list) else [own])
    else:
        context = outer
    result = {key: value for key, value in node.items() if key != "@context"}
    result["@context"] = context
    return result


def _credential_subjects(
    credential: Any, outer: list[Any], label: str, notes: list[str]
) -> list[dict[str, Any]]:
    if not isinstance(credential, dict):
        notes.append(f"{label} is not an embedded JSON-LD credential (e.g. a JWT); not validated")
        return []
    context = outer + _as_list(credential.get("@context"))
    subjects = _as_list(credential.get("credentialSubject"))
    if not subjects:
        notes.append(f"{label} has no credentialSubject object; nothing to validate")
    nodes = []
    for subject in subjects:
        if isinstance(subject, dict):
            nodes.append(_with_context(subject, context))
        else:
            notes.append(f"{label} names its subject {subject!r} without claims")
    return nodes


def claims_document(document: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """A JSON-LD document holding just the claims to validate (see the module docstring)."""
    if "@context" not in document and isinstance(document.get("selfDescriptionCredential"), dict):
        notes.append("Gaia-X compliance envelope: validated its selfDescriptionCredential")
        return claims_document(document["selfDescriptionCredential"], notes)
    outer = _as_list(document.get("@context"))
    if "verifiableCredential" in document:
        nodes: list[dict[str, Any]] = []
        for index, credential in enumerate(_as_list(document["verifiableCredential"])):
            nodes += _credential_subjects(credential, outer, f"credential #{index + 1}", notes)
        return {"@graph": nodes}
    if "credentialSubject" in document:
        return {"@graph": _credential_subjects(document, [], "the credential", notes)}
    return document


def _term(term: dict[str, Any]) -> Any:
    kind = term["type"]
    if kind == "IRI":
        return URIRef(term["value"])
    if kind == "blank node":
        return BNode(term["value"][2:])
    datatype = term.get("datatype")
    if term.get("language"):
        return Literal(term["value"], lang=term["language"])
    if datatype in (None, _XSD_STRING):
        # RDF 1.1: "x"^^xsd:string is the simple literal "x"; rdflib keeps them apart.
        return Literal(term["value"])
    if datatype == _RDF_LANGSTRING:
        return Literal(term["value"])
    # Keep the lexical form as written: SHACL's sh:pattern and length checks read it, and
    # rdflib's normalisation would turn "2026-12-01"^^xsd:dateTime into a valid dateTime.
    return Literal(term["value"], datatype=URIRef(datatype), normalize=False)


def to_rdflib(document: Any, loader: DocumentLoader | None = None) -> rdflib.Graph:
    """RDF of a JSON-LD document (all graphs merged) as an rdflib graph, loading offline."""
    loader = loader or default_loader()
    options = {**loader.options(), "produceGeneralizedRdf": False}
    # pyld_errors re-raises our own errors from the loader (RemoteContextRefused naming the
    # URL) and turns pyld's into JsonLdError.
    with pyld_errors("read"):
        dataset = jsonld.to_rdf(document, options)
    graph = rdflib.Graph()
    for triples in dataset.values():
        for triple in triples:
            subject, predicate = _term(triple["subject"]), _term(triple["predicate"])
            graph.add((subject, predicate, _term(triple["object"])))
    return graph


def data_graph(
    document: Any, loader: DocumentLoader | None = None, notes: list[str] | None = None
) -> rdflib.Graph:
    """The SHACL data graph of a VP, VC or plain JSON-LD document (its claims only).

    The document must be within the loader's size and depth limits (`LimitExceeded`).
    """
    if not isinstance(document, dict):
        raise InputError("a JSON-LD document must be a JSON object")
    loader = loader or default_loader()
    check_limits(document, loader.settings)
    return to_rdflib(claims_document(document, notes if notes is not None else []), loader)


@dataclass(frozen=True)
class ShaclData:
    """A document's data graph and the notes made building it, built once and validated
    against several shapes sets (nothing validation does changes the graph)."""

    graph: rdflib.Graph
    notes: tuple[str, ...]


def shacl_data(document: Any, loader: DocumentLoader | None = None) -> ShaclData:
    """`data_graph` with its notes, for `validate_shapes(..., data=...)`."""
    notes: list[str] = []
    graph = data_graph(document, loader, notes)
    return ShaclData(graph, tuple(notes))
