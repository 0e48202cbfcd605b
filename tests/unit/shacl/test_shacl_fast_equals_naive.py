"""The fast path (target-selected shapes on a pre-built ShapesGraph) gives exactly what
plain pyshacl gives over the whole shapes set: same conformance, same results.

pyshacl.validate() below builds its own ShapesGraph from a separately parsed copy of the
shapes, so the two sides share nothing but the data graph.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rdflib

from hinterland.shacl import data_graph, naive_validate_graph, validate_graph
from hinterland.shacl.shapes import CompiledShapes, load_shapes_graph
from hinterland.shacl.validate import validate_compiled

FIXTURES = Path(__file__).parents[2] / "vectors" / "gaia-x" / "compliance-22.10-fixtures"
NAMES = sorted(p.name for p in FIXTURES.glob("*.json"))


@pytest.fixture(scope="module")
def shapes_22_10() -> rdflib.Graph:
    return load_shapes_graph("gaia-x-22.10")


@pytest.mark.parametrize("name", NAMES)
def test_fast_equals_naive_on_every_fixture(name: str, shapes_22_10: rdflib.Graph) -> None:
    graph = data_graph(json.loads((FIXTURES / name).read_text("utf-8")))
    fast = validate_graph(graph, "gaia-x-22.10")
    naive = naive_validate_graph(graph, "gaia-x-22.10", shapes_22_10)
    assert fast.conforms is naive.conforms
    assert fast.violations == naive.violations


def test_fast_equals_naive_on_25_11_and_hinterland() -> None:
    legal_person: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/gaia-x/development#"],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:acme.example",
        "credentialSubject": {
            "id": "did:web:acme.example",
            "type": "LegalPerson",
            "name": "ACME Additive GmbH",
            "registrationNumber": {
                "id": "did:web:acme.example#vat",
                "type": ["RegistrationNumber", "VatID"],
                "vatID": "DE123456789",
                "countryCode": "DE",
            },
            "headquartersAddress": {"type": "Address", "countryCode": "DE"},
            "legalAddress": {"type": "Address", "countryCode": "XX"},
        },
    }
    need: dict[str, Any] = {
        "@context": ["https://w3id.org/hinterland/v1"],
        "id": "urn:need:1",
        "type": "Need",
        "name": "",
        "deadline": "soon",
    }
    for document, shapes in ((legal_person, "gaia-x-25.11"), (need, "hinterland")):
        graph = data_graph(document)
        fast = validate_graph(graph, shapes)  # type: ignore[arg-type]
        naive = naive_validate_graph(graph, shapes)  # type: ignore[arg-type]
        assert not fast.conforms and not naive.conforms
        assert fast.violations == naive.violations
        assert len(fast.violations) >= 1


SELECTION_SHAPES = """
@prefix ex: <urn:ex:> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
ex:ByClass a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ] .
ex:BySubjectsOf a sh:NodeShape ; sh:targetSubjectsOf ex:owner ;
    sh:property [ sh:path ex:owner ; sh:nodeKind sh:IRI ] .
ex:ByObjectsOf a sh:NodeShape ; sh:targetObjectsOf ex:owner ; sh:nodeKind sh:IRI ;
    sh:property [ sh:path ex:label ; sh:minCount 1 ] .
ex:ByNode a sh:NodeShape ; sh:targetNode ex:absent ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ] .
ex:Implicit a sh:NodeShape, rdfs:Class ;
    sh:property [ sh:path ex:size ; sh:datatype <http://www.w3.org/2001/XMLSchema#integer> ] .
ex:Unused a sh:NodeShape ; sh:targetClass ex:Nothing ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ] .
ex:Referenced a sh:NodeShape ; sh:property [ sh:path ex:label ; sh:minCount 1 ] .
ex:ViaNode a sh:NodeShape ; sh:targetClass ex:Parent ;
    sh:property [ sh:path ex:child ; sh:node ex:Referenced ] .
"""

SELECTION_DATA = """
@prefix ex: <urn:ex:> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Sub rdfs:subClassOf ex:Mid . ex:Mid rdfs:subClassOf ex:Thing .
ex:a a ex:Sub .
ex:b ex:owner "not an IRI" .
ex:c ex:owner ex:d .
ex:e a ex:Implicit ; ex:size "big" .
ex:f a ex:Parent ; ex:child ex:g .
"""


def test_selection_semantics_match_pyshacl() -> None:
    shapes = rdflib.Graph().parse(data=SELECTION_SHAPES, format="turtle")
    data = rdflib.Graph().parse(data=SELECTION_DATA, format="turtle")
    compiled = CompiledShapes("selection-test", shapes)
    fast = validate_compiled(compiled, data)
    reference = naive_validate_graph(
        data, "hinterland", rdflib.Graph().parse(data=SELECTION_SHAPES, format="turtle")
    )
    assert fast.conforms is reference.conforms is False
    assert fast.violations == reference.violations
    # Instances of a sub-subclass, targetSubjectsOf/ObjectsOf (a literal object too), an
    # explicit target node absent from the data, an implicit class target and an sh:node
    # reference (reported at the parent) all report.
    assert {v.focus for v in fast.violations} == {
        "urn:ex:a", "urn:ex:b", "not an IRI", "urn:ex:d", "urn:ex:absent", "urn:ex:e", "urn:ex:f"
    }
    assert "urn:ex:Unused" not in fast.applied_shapes
    assert "urn:ex:Referenced" not in fast.applied_shapes


def test_threads_share_the_compiled_shapes_safely() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from hinterland.shacl import validate_shapes

    documents = [json.loads((FIXTURES / name).read_text("utf-8")) for name in NAMES] * 3
    sequential = [validate_shapes(d, "gaia-x-22.10").to_dict() for d in documents]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda d: validate_shapes(d, "gaia-x-22.10").to_dict(), documents))
    assert parallel == sequential
    assert any(not r["conforms"] for r in parallel)
