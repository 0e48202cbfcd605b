"""Ingest reads claims from the quads of its canonicalization, nested as JSON-LD expansion
nests them (`hinterland.jsonld.nodes`), instead of expanding the document a second time.
The claims must be exactly those of pyld's expansion: checked on every Gaia-X fixture,
the W3C Data Integrity vectors and the catalog's own kinds of descriptions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from catalog_support import did_key_party, legal_participant, need, offer, print_service

from catalog.claims import extract_claims
from catalog.rdf import rdf_forms
from hinterland.jsonld import canonicalize, default_loader, expand
from hinterland.jsonld.fastrdf import direct_quads
from hinterland.jsonld.nodes import nested_nodes

VECTORS = Path(__file__).parents[1] / "vectors"
FILES = sorted(
    [
        *(VECTORS / "gaia-x" / "compliance-22.10-fixtures").glob("*.json"),
        *(VECTORS / "vc-di-eddsa").glob("signed*.json"),
    ]
)


def _catalog_documents() -> list[tuple[str, dict[str, Any]]]:
    acme = did_key_party("acme")
    return [
        ("legal participant", legal_participant(acme, "ACME GmbH", region="DE-BY")),
        ("offer", offer(acme, "bracket", name="Bracket", material=["PA12", "PA11"],
                        process="SLS", keywords=["drone", "bracket"])),
        ("print service", print_service(acme, "sls", name="SLS printing", material="PA12",
                                        process="SLS", region="DE-SN", keyword=["a", "b"])),
        ("need", need(acme, "n1", name="Need PA12", material="PA12", region="DE-SN",
                      quantity=50, deadline="2027-01-01")),
    ]


def _check(document: dict[str, Any]) -> bool:
    """Compare both ways; False when the direct walk does not take this document."""
    loader = default_loader()
    walked = direct_quads(document, loader)
    nested = nested_nodes(walked[0]) if walked is not None else None
    if nested is None:
        return False
    assert extract_claims(nested) == extract_claims(expand(document, loader))
    return True


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_vector_documents_give_the_same_claims(path: Path) -> None:
    document = json.loads(path.read_text("utf-8"))
    payload = document.get("selfDescriptionCredential", document)
    _check(payload)


def test_vectors_that_are_trees_take_the_quads() -> None:
    taken = {p.name: _check(json.loads(p.read_text("utf-8"))) for p in FILES}
    assert sum(taken.values()) >= 3, taken  # else the comparison above proves little


@pytest.mark.parametrize("kind", ["offer", "print service", "need"])
def test_catalog_descriptions_give_the_same_claims(kind: str) -> None:
    document = dict(_catalog_documents())[kind]
    assert _check(document)


def test_a_participant_describing_its_issuer_is_expanded_instead() -> None:
    # the issuer DID is also the subject: one RDF node referred to twice, not a tree
    document = dict(_catalog_documents())["legal participant"]
    walked = direct_quads(document, default_loader())
    assert walked is not None and nested_nodes(walked[0]) is None
    forms = rdf_forms(document, default_loader())
    assert extract_claims(forms.expanded) == extract_claims(expand(document, default_loader()))


def test_rdf_forms_hash_is_the_canonical_form_of_the_whole_document() -> None:
    document = dict(_catalog_documents())["print service"]
    forms = rdf_forms(document, default_loader())
    import hashlib

    expected = hashlib.sha256(canonicalize(document).encode("utf-8")).hexdigest()
    assert forms.sha256 == expected
    assert "PrintService" in json.dumps(forms.expanded)


def _presentation() -> dict[str, Any]:
    """A VP: proof graphs inside the credential's graph and beside the presentation."""
    return json.loads((VECTORS / "vc-di-eddsa" / "signedDataInt.json").read_text("utf-8")) | {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "VerifiablePresentation",
        "verifiableCredential": [_catalog_documents()[2][1]],
        "proof": {"type": "DataIntegrityProof", "proofValue": "z1", "cryptosuite": "x"},
    }


def _without_proof_graphs(nquads: str) -> set[ox.Triple]:
    """The reference: every quad outside proof graphs (pyoxigraph), as triples."""
    quads = list(ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    proof = "https://w3id.org/security#proof"
    proof_graphs = {q.object for q in quads if q.predicate.value == proof}
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in quads
        if q.predicate.value != proof and q.graph_name not in proof_graphs
    }


@pytest.mark.parametrize(
    "document",
    [
        *(json.loads(p.read_text("utf-8")) for p in FILES),
        *(d for _, d in _catalog_documents()),
        _presentation(),
    ],
)
def test_claims_graph_is_the_document_without_its_proofs(document: dict[str, Any]) -> None:
    forms = rdf_forms(document, default_loader())
    parsed = ox.parse(forms.claims_graph.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    claims = {ox.Triple(q.subject, q.predicate, q.object) for q in parsed}
    assert claims == _without_proof_graphs(canonicalize(document))
    assert len(claims) == forms.claims_graph.count("\n")  # each triple once
