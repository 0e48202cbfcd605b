"""Quads nested back into node objects, or None where RDF cannot say how they nested."""

from __future__ import annotations

from hinterland.jsonld.nodes import nested_nodes

T = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"


def test_a_tree_nests_in_document_order_with_native_values() -> None:
    quads = [
        ("<https://x/vc>", T, "<https://w3/VC>", ""),
        ("<https://x/vc>", "<https://p/subject>", "_:s", ""),
        ("_:s", "<https://p/qty>", f'"50"^^<{XSD}integer>', ""),
        ("_:s", "<https://p/ok>", f'"true"^^<{XSD}boolean>', ""),
        ("_:s", "<https://p/ratio>", f'"1.5E0"^^<{XSD}double>', ""),
        ("_:s", "<https://p/name>", '"Br\\"acket"@de', ""),
        ("_:s", "<https://p/when>", f'"2027-01-01"^^<{XSD}date>', ""),
        ("_:s", "<https://p/ref>", "<https://x/elsewhere>", ""),
        ("<https://x/vc>", "<https://p/proof>", "_:g", ""),
        ("_:p", "<https://p/value>", '"z"', "_:g"),
    ]
    assert nested_nodes(quads) == [
        {
            "@id": "https://x/vc",
            "@type": ["https://w3/VC"],
            "https://p/subject": [
                {
                    "https://p/qty": [{"@value": 50}],
                    "https://p/ok": [{"@value": True}],
                    "https://p/ratio": [{"@value": 1.5}],
                    "https://p/name": [{"@value": 'Br"acket', "@language": "de"}],
                    "https://p/when": [{"@value": "2027-01-01", "@type": f"{XSD}date"}],
                    "https://p/ref": [{"@id": "https://x/elsewhere"}],
                }
            ],
            "https://p/proof": [{"@graph": [{"https://p/value": [{"@value": "z"}]}]}],
        }
    ]


def test_what_is_not_a_tree_gives_none() -> None:
    self_reference = [("<https://x/a>", "<https://p/same>", "<https://x/a>", "")]
    shared = [
        ("<https://x/a>", "<https://p/one>", "_:n", ""),
        ("<https://x/a>", "<https://p/two>", "_:n", ""),
        ("_:n", "<https://p/v>", '"v"', ""),
    ]
    cycle = [  # no node outside the cycle refers into it, so no root reaches it
        ("<https://x/r>", "<https://p/v>", '"v"', ""),
        ("_:a", "<https://p/to>", "_:b", ""),
        ("_:b", "<https://p/to>", "_:a", ""),
    ]
    assert nested_nodes(self_reference) is None
    assert nested_nodes(shared) is None
    assert nested_nodes(cycle) is None
