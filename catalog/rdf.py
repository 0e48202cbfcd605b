"""RDF views of a signed description: canonical hash, expansion and the claims graph."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from hinterland.jsonld import DocumentLoader, expand
from hinterland.jsonld.canon import canonicalize_walked
from hinterland.jsonld.nodes import nested_nodes
from hinterland.jsonld.processing import pyld_errors
from hinterland.jsonld.rdfc import Quad

PROOF = "<https://w3id.org/security#proof>"


@dataclass
class RdfForms:
    """What ingest derives from a document with JSON-LD processing."""

    sha256: str
    expanded: list[Any]
    claims_graph: str  # N-Triples


def rdf_forms(document: dict[str, Any], loader: DocumentLoader) -> RdfForms:
    """Canonical SHA-256 (RDFC-1.0 of the whole signed document), the expanded form and
    the claims graph (every quad except those inside proof graphs), for SPARQL.

    The expanded form comes from the quads of the canonicalization when the direct JSON-LD
    walk made them and they form a tree (nested as expansion nests them), else from pyld's
    expansion.

    Raises `JsonLdError` (or a subclass) when the document cannot be processed.
    """
    with pyld_errors("canonicalize"):
        dataset, quads = canonicalize_walked(document, loader)
    nested = nested_nodes(quads) if quads is not None else None
    expanded = nested if nested is not None else expand(document, loader)
    sha = hashlib.sha256(dataset.nquads.encode("utf-8")).hexdigest()
    return RdfForms(sha256=sha, expanded=expanded, claims_graph=claims_graph(dataset.quads))


def claims_graph(quads: list[Quad]) -> str:
    """N-Triples (sorted, canonical blank node labels) of every quad not inside a proof
    graph, all merged into one graph."""
    proof_graphs = {o for _, p, o, _ in quads if p == PROOF}
    lines = {
        f"{s} {p} {o} .\n": None
        for s, p, o, g in quads
        if p != PROOF and (not g or g not in proof_graphs)
    }
    return "".join(sorted(lines))
