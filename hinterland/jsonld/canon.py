"""Canonical N-Quads (RDFC-1.0, SHA-256) of JSON-LD documents and N-Quads datasets.

JSON-LD becomes RDF through the direct walk of `fastrdf` (pyld's context semantics,
one pass), or pyld's expansion, node map and toRdf where the walk defers; either way
with our loader and context caches. The canonicalization itself is ours
(`hinterland.jsonld.rdfc`): canonical escaping, bounded blank nodes, work and time.
See docs/adr/jsonld-0001-canonicalization.md.
"""

from __future__ import annotations

from typing import Any

from pyld import jsonld
from pyld.identifier_issuer import IdentifierIssuer

from hinterland.errors import DroppedTermError
from hinterland.jsonld.fastrdf import direct_quads
from hinterland.jsonld.loader import DocumentLoader, default_loader
from hinterland.jsonld.processing import (
    CachingProcessor,
    Document,
    TrackingProcessor,
    pyld_errors,
)
from hinterland.jsonld.rdfc import (
    CanonicalDataset,
    Quad,
    canonicalize_quads,
    parse_nquads,
    quads_from_pyld,
)
from hinterland.settings import JsonLdSettings


def _dropped_error(terms: list[str]) -> DroppedTermError:
    return DroppedTermError(
        "terms not defined by the document's contexts would be dropped (and so not "
        f"signed): {', '.join(terms)}",
        terms,
    )


def to_quads(
    document: Document,
    loader: DocumentLoader | None = None,
    *,
    reject_dropped_terms: bool = False,
    direct: bool = True,
) -> list[Quad]:
    """The RDF dataset of a JSON-LD document, as canonical-term quads (blank node labels
    arbitrary). With `reject_dropped_terms` raises `DroppedTermError` if expansion drops
    any key. `direct=False` forces the full pyld path (expand, node map, toRdf)."""
    loader = loader or default_loader()
    if direct:
        result = direct_quads(document, loader)
        if result is not None:
            quads, dropped = result
            if reject_dropped_terms and dropped:
                raise _dropped_error(dropped)
            return quads
    return pyld_quads(document, loader, reject_dropped_terms=reject_dropped_terms)


def pyld_quads(
    document: Document,
    loader: DocumentLoader | None = None,
    *,
    reject_dropped_terms: bool = False,
) -> list[Quad]:
    """`to_quads` through pyld's expansion, node map and toRdf."""
    loader = loader or default_loader()
    processor: CachingProcessor = (
        TrackingProcessor(loader) if reject_dropped_terms else CachingProcessor(loader)
    )
    options: dict[str, Any] = {
        **loader.options(),
        "produceGeneralizedRdf": False,
        "processingMode": "json-ld-1.1",
    }
    with pyld_errors("convert to RDF"):
        expanded = processor.expand(document, options)
        if isinstance(processor, TrackingProcessor) and processor.dropped:
            raise _dropped_error(sorted(processor.dropped))
        issuer = IdentifierIssuer("_:b")
        node_map: dict[str, Any] = {"@default": {}}
        processor._create_node_map(expanded, node_map, "@default", issuer)
        dataset: dict[str, Any] = {}
        for graph_name, graph in sorted(node_map.items()):
            if graph_name == "@default" or jsonld._is_absolute_iri(graph_name):
                dataset[graph_name] = processor._graph_to_rdf(graph, issuer, options)
    return quads_from_pyld(dataset)


def _settings(loader: DocumentLoader | None, settings: JsonLdSettings | None) -> JsonLdSettings:
    if settings is not None:
        return settings
    return (loader or default_loader()).settings


def canonicalize(
    document: Document,
    loader: DocumentLoader | None = None,
    *,
    settings: JsonLdSettings | None = None,
    reject_dropped_terms: bool = False,
    direct: bool = True,
) -> str:
    """Return the canonical N-Quads of a JSON-LD document (RDFC-1.0 with SHA-256).

    Limits (blank nodes, time budget) come from `settings`, else the loader's settings;
    `LimitExceeded` when they are passed. With `reject_dropped_terms`, a document whose
    expansion drops keys raises `DroppedTermError` (one pass does both). `direct=False`
    forces the full pyld path (for comparison; the result is the same).
    """
    quads = to_quads(document, loader, reject_dropped_terms=reject_dropped_terms, direct=direct)
    limits = _settings(loader, settings)
    return canonicalize_quads(
        quads,
        max_blank_nodes=limits.max_blank_nodes,
        seconds=limits.canonicalization_seconds,
    ).nquads


def canonicalize_walked(
    document: Document, loader: DocumentLoader | None = None
) -> tuple[CanonicalDataset, list[Quad] | None]:
    """`canonicalize`, as the whole dataset (canonical N-Quads, labels, relabelled quads),
    plus the quads in document order when the direct walk made them (None when the
    document took pyld's path), for callers that read the RDF further."""
    loader = loader or default_loader()
    direct = direct_quads(document, loader)
    quads = direct[0] if direct is not None else pyld_quads(document, loader)
    limits = loader.settings
    dataset = canonicalize_quads(
        quads,
        max_blank_nodes=limits.max_blank_nodes,
        seconds=limits.canonicalization_seconds,
    )
    return dataset, quads if direct is not None else None


def canonicalize_dataset(
    nquads: str,
    *,
    hash_algorithm: str = "SHA256",
    settings: JsonLdSettings | None = None,
) -> CanonicalDataset:
    """Canonicalize an N-Quads dataset: the canonical N-Quads and the issued labels."""
    limits = settings or JsonLdSettings()
    return canonicalize_quads(
        parse_nquads(nquads),
        hash_algorithm=hash_algorithm,
        max_blank_nodes=limits.max_blank_nodes,
        seconds=limits.canonicalization_seconds,
    )


def canonicalize_nquads(
    nquads: str,
    *,
    hash_algorithm: str = "SHA256",
    settings: JsonLdSettings | None = None,
) -> str:
    """The canonical N-Quads (RDFC-1.0) of an N-Quads dataset."""
    return canonicalize_dataset(nquads, hash_algorithm=hash_algorithm, settings=settings).nquads


def canonical_issuer_map(
    nquads: str,
    *,
    hash_algorithm: str = "SHA256",
    settings: JsonLdSettings | None = None,
) -> dict[str, str]:
    """The issued identifiers map of RDFC-1.0: input blank node label -> canonical label
    (both without `_:`), e.g. `{"e0": "c14n0"}`."""
    return canonicalize_dataset(nquads, hash_algorithm=hash_algorithm, settings=settings).issued
