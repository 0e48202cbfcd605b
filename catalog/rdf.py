"""RDF views of a signed description: canonical hash, expansion and the claims graph."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from hinterland.errors import HinterlandError, JsonLdError
from hinterland.jsonld import DocumentLoader, canonicalize

PROOF = "https://w3id.org/security#proof"


@dataclass
class RdfForms:
    """What ingest derives from a document with JSON-LD processing."""

    sha256: str
    expanded: list[Any]
    claims_graph: str  # N-Triples


def rdf_forms(document: dict[str, Any], loader: DocumentLoader) -> RdfForms:
    """Canonical SHA-256 (RDFC-1.0 of the whole signed document), the expanded form and
    the claims graph (every quad except those inside proof graphs), for SPARQL.

    Raises `JsonLdError` (or a subclass) when the document cannot be processed.
    """
    try:
        nquads = canonicalize(document, loader=loader)
        expanded = jsonld.expand(document, {"documentLoader": loader})
    except JsonLdError:
        raise
    except Exception as exc:  # pyld wraps our loader's errors several levels deep
        inner = _our_error(exc)
        if inner is not None:
            raise inner from exc
        raise JsonLdError(f"JSON-LD processing failed: {_describe(exc)}") from exc
    sha = hashlib.sha256(nquads.encode("utf-8")).hexdigest()
    return RdfForms(sha256=sha, expanded=expanded, claims_graph=claims_graph(nquads))


def _our_error(exc: BaseException | None, depth: int = 0) -> HinterlandError | None:
    while exc is not None and depth < 20:
        if isinstance(exc, HinterlandError):
            return exc
        exc = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__
        depth += 1
    return None


def _describe(exc: BaseException) -> str:
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(parts) < 5:
        message = getattr(current, "message", None) or str(current).split("\n", 1)[0]
        parts.append(str(message)[:200])
        current = getattr(current, "cause", None)
    return "; ".join(parts)


def claims_graph(nquads: str) -> str:
    """N-Triples of every quad not inside a proof graph, all merged into one graph."""
    quads = list(ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    proof_graphs = {q.object for q in quads if q.predicate.value == PROOF}
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in quads
        if not (isinstance(q.graph_name, ox.BlankNode) and q.graph_name in proof_graphs)
        and q.predicate.value != PROOF
    ]
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return data.decode("utf-8") if isinstance(data, bytes) else ""
