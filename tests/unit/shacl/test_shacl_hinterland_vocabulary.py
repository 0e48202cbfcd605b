"""The Hinterland vocabulary: its published context is bundled and its shapes explain
what is wrong with a Need or an offer in words a person can act on."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pyld import jsonld

from hinterland.jsonld import BUNDLED_CONTEXTS, DocumentLoader
from hinterland.shacl import validate_shapes

HL = "https://w3id.org/hinterland/v1#"
CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/hinterland/v1"]


def need_vc() -> dict[str, Any]:
    return {
        "@context": list(CONTEXTS),
        "type": ["VerifiableCredential"],
        "issuer": "did:web:fahrzeugbau.example",
        "validFrom": "2026-11-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://fahrzeugbau.example/needs/brackets-2026",
            "type": "Need",
            "name": "Brackets in PA12",
            "description": "SLS printing of 200 mounting brackets",
            "seeks": "PrintService",
            "material": "PA12",
            "process": "SLS",
            "format": "STL",
            "region": "DE-SN",
            "quantity": 200,
            "deadline": "2026-12-01T12:00:00Z",
            "keyword": ["bracket", "SLS", "automotive"],
        },
    }


def print_file_vc() -> dict[str, Any]:
    return {
        "@context": list(CONTEXTS),
        "type": ["VerifiableCredential"],
        "issuer": "did:web:druckerei.example",
        "credentialSubject": {
            "id": "https://druckerei.example/assets/bracket-v3",
            "type": "PrintFile",
            "name": "Mounting bracket v3",
            "format": "STL",
            "material": "PA12",
            "region": "DE-SN",
            "boundingBox": {"x": 120, "y": 40.5, "z": 18},
            "volume": 10234.5,
            "triangleCount": 5120,
            "watertight": True,
            "keyword": ["bracket"],
            "carbonFootprint": {
                "type": "CarbonFootprint",
                "co2e": 0.42,
                "declaredUnit": "piece",
                "methodology": "ISO 14067",
            },
        },
    }


def data_resource_vc() -> dict[str, Any]:
    return {
        "@context": list(CONTEXTS),
        "type": ["VerifiableCredential"],
        "issuer": "did:web:alu.example",
        "credentialSubject": {
            "id": "https://alu.example/data/pcf-2026",
            "type": "DataResource",
            "name": "Product carbon footprints of aluminium parts",
            "format": "JSON",
            "material": "aluminium",
            "region": "DE",
            "carbonFootprint": {"type": "CarbonFootprint", "co2e": 8.1, "declaredUnit": "kg"},
        },
    }


def test_context_is_bundled_and_expands_under_our_namespace() -> None:
    assert BUNDLED_CONTEXTS["https://w3id.org/hinterland/v1"] == "hinterland-v1.jsonld"
    expanded = jsonld.expand(need_vc(), {"documentLoader": DocumentLoader()})
    subject = expanded[0]["https://www.w3.org/2018/credentials#credentialSubject"][0]
    assert subject["@type"] == [HL + "Need"]
    assert subject[HL + "seeks"] == [{"@id": HL + "PrintService"}]
    assert subject[HL + "deadline"][0]["@type"] == "http://www.w3.org/2001/XMLSchema#dateTime"
    assert subject[HL + "quantity"][0]["@type"] == "http://www.w3.org/2001/XMLSchema#integer"
    # name/description reuse the VC 2.0 (protected) definitions instead of clashing.
    assert "https://schema.org/name" in subject


@pytest.mark.parametrize("make", [need_vc, print_file_vc, data_resource_vc])
def test_valid_descriptions_conform(make: Any) -> None:
    result = validate_shapes(make(), "hinterland")
    assert result.conforms, result.messages()
    assert result.violations == []
    assert result.applied_shapes  # something was really checked


def _by_path(result: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for v in result.violations:
        found.setdefault((v.path or "").removeprefix(HL), []).append(v.message)
    return found


def test_need_without_seeks_names_the_missing_field() -> None:
    document = need_vc()
    del document["credentialSubject"]["seeks"]
    result = validate_shapes(document, "hinterland")
    assert not result.conforms
    (violation,) = result.violations
    assert violation.path == HL + "seeks"
    assert violation.focus == "https://fahrzeugbau.example/needs/brackets-2026"
    assert violation.constraint == "MinCountConstraintComponent"
    assert "must name what it seeks" in violation.message


@pytest.mark.parametrize(
    "deadline", ["next tuesday", "2026-12-01", "2026-13-01T12:00:00Z", "2026-12-01 12:00"]
)
def test_need_with_bad_deadline_is_explained(deadline: str) -> None:
    document = need_vc()
    document["credentialSubject"]["deadline"] = deadline
    result = validate_shapes(document, "hinterland")
    assert not result.conforms
    assert set(_by_path(result)) == {"deadline"}
    assert all("ISO 8601" in m for m in _by_path(result)["deadline"])


def test_need_field_errors_each_get_a_message() -> None:
    document = need_vc()
    subject = document["credentialSubject"]
    subject.update({"region": "Saxony", "format": "stl", "quantity": 0, "name": ""})
    result = validate_shapes(document, "hinterland")
    messages = _by_path(result)
    assert set(messages) == {"region", "format", "quantity", "https://schema.org/name"}
    assert "ISO 3166" in messages["region"][0]
    assert "capitals" in messages["format"][0]
    assert "at least 1" in messages["quantity"][0]


def test_print_file_metadata_is_checked() -> None:
    document = print_file_vc()
    subject = document["credentialSubject"]
    subject["format"] = "DOCX"
    subject["boundingBox"] = {"x": 120, "y": 40.5}
    subject["triangleCount"] = -1
    subject["watertight"] = "yes"
    subject["carbonFootprint"] = {"type": "CarbonFootprint", "co2e": -3}
    with pytest.warns(UserWarning, match="weird boolean"):  # rdflib on "yes"^^xsd:boolean
        result = validate_shapes(document, "hinterland")
    paths = set(_by_path(result))
    assert {"format", "boundingBox", "triangleCount", "watertight", "carbonFootprint"} <= paths
    assert any("STL, 3MF" in m for m in _by_path(result)["format"])


def test_a_need_is_validated_as_a_plain_document_too() -> None:
    subject = copy.deepcopy(need_vc()["credentialSubject"])
    subject["@context"] = "https://w3id.org/hinterland/v1"
    assert validate_shapes(subject, "hinterland").conforms
    del subject["seeks"]
    assert not validate_shapes(subject, "hinterland").conforms


def test_vocabulary_constants_match_the_context_and_shapes() -> None:
    from rdflib import RDF, URIRef

    from hinterland import vocabulary as hv
    from hinterland.shacl import data_graph
    from hinterland.shacl.shapes import load_shapes_graph

    graph = data_graph(print_file_vc())
    subject = URIRef("https://druckerei.example/assets/bracket-v3")
    assert (subject, RDF.type, URIRef(hv.PRINT_FILE)) in graph
    used = {str(p) for p in graph.predicates()}
    for constant in (hv.NAME, hv.FORMAT, hv.MATERIAL, hv.REGION, hv.BOUNDING_BOX_PROPERTY,
                     hv.X, hv.VOLUME, hv.TRIANGLE_COUNT, hv.WATERTIGHT, hv.KEYWORD,
                     hv.CARBON_FOOTPRINT_PROPERTY, hv.CO2E, hv.DECLARED_UNIT, hv.METHODOLOGY):
        assert constant in used, constant
    need = data_graph(need_vc())
    assert {hv.SEEKS, hv.QUANTITY, hv.DEADLINE, hv.PROCESS} <= {str(p) for p in need.predicates()}
    shapes = {str(o) for o in load_shapes_graph("hinterland").objects()}
    classes = {hv.NEED, hv.PRINT_FILE, hv.PRINT_SERVICE, hv.DATA_RESOURCE, hv.CARBON_FOOTPRINT}
    assert classes <= shapes


def test_with_gaia_x_25_11_the_hinterland_context_comes_last() -> None:
    # Both define keyword, format and region (gx: gx:keyword, dcterms:format, vcard:region).
    # Our context is protected: listed last it wins, listed first the redefinition is refused
    # loudly instead of silently changing what the claims mean.
    from hinterland.errors import JsonLdError

    gx = "https://w3id.org/gaia-x/development#"
    document = need_vc()
    document["@context"] = [CONTEXTS[0], gx, CONTEXTS[1]]
    assert validate_shapes(document, "hinterland").conforms
    document["@context"] = [CONTEXTS[0], CONTEXTS[1], gx]
    with pytest.raises(JsonLdError, match="protected term"):
        validate_shapes(document, "hinterland")
