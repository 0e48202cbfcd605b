"""Results whose shape has no sh:message get a plain sentence naming property, value and
expectation; shapes with their own sh:message keep it."""

from __future__ import annotations

import rdflib

from hinterland.shacl.shapes import CompiledShapes
from hinterland.shacl.validate import validate_compiled

SHAPES = """
@prefix hl: <https://w3id.org/hinterland/v1#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
hl:TestShape a sh:NodeShape ; sh:targetClass hl:Thing ;
  sh:property [ sh:path hl:format ; sh:in ( "STL" "3MF" ) ] ,
              [ sh:path hl:region ; sh:pattern "^[A-Z]{2}$" ] ,
              [ sh:path hl:quantity ; sh:datatype xsd:integer ; sh:minInclusive 1 ] ,
              [ sh:path hl:name ; sh:minCount 1 ] ,
              [ sh:path hl:seeks ; sh:nodeKind sh:IRI ] ,
              [ sh:path hl:material ; sh:maxLength 4 ; sh:message "material: at most 4 letters" ] .
"""

DATA = """
@prefix hl: <https://w3id.org/hinterland/v1#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<urn:t> a hl:Thing ; hl:format "DOCX" ; hl:region "Saxony" ; hl:quantity "0"^^xsd:integer ;
  hl:seeks "printing" ; hl:material "aluminium" .
"""


def test_plain_messages() -> None:
    compiled = CompiledShapes("messages-test", rdflib.Graph().parse(data=SHAPES, format="turtle"))
    result = validate_compiled(compiled, rdflib.Graph().parse(data=DATA, format="turtle"))
    assert sorted(v.message for v in result.violations) == sorted(
        [
            'hinterland:format: "DOCX" is not allowed; expected one of STL, 3MF',
            'hinterland:region: "Saxony" does not have the expected form ^[A-Z]{2}$',
            'hinterland:quantity: "0" is below the minimum 1',
            "hinterland:name is required: at least 1 value(s) expected, fewer found",
            'hinterland:seeks: "printing" must be an IRI (a link)',
            "material: at most 4 letters",
        ]
    )
    assert all(v.focus == "urn:t" for v in result.violations)


def test_blank_node_focus_is_located() -> None:
    from hinterland.shacl import validate_shapes

    document = {
        "@context": ["https://w3id.org/hinterland/v1"],
        "id": "urn:file",
        "type": "PrintFile",
        "name": "Bracket",
        "format": "STL",
        "carbonFootprint": {"type": "CarbonFootprint", "co2e": -1, "declaredUnit": "kg"},
    }
    result = validate_shapes(document, "hinterland")
    messages = {v.message for v in result.violations if v.focus.startswith("_:")}
    assert messages == {
        "co2e: one number of kilograms CO2-equivalent per declared unit, at least 0"
        " (in the hinterland:carbonFootprint of urn:file)"
    }
