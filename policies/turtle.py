"""JSON-LD policy documents as Turtle (through our offline loader, never the network)."""

from __future__ import annotations

from typing import Any


def jsonld_to_turtle(document: Any) -> str:
    """Serialize a JSON-LD document as Turtle with the usual ODRL prefixes."""
    import rdflib
    from pyld import jsonld
    from pyld.context_resolver import ContextResolver

    from policies.odrl_context import policy_loader

    # a context cache of our own: see `policies.parse._jsonld_graph`
    nquads = jsonld.to_rdf(document, {
        "documentLoader": policy_loader(), "format": "application/n-quads",
        "contextResolver": ContextResolver({}, policy_loader()),
    })
    graph = rdflib.Graph()
    graph.parse(data=nquads, format="nquads")
    graph.bind("odrl", rdflib.Namespace("http://www.w3.org/ns/odrl/2/"))
    graph.bind("hl", rdflib.Namespace("https://w3id.org/hinterland/policy#"))
    graph.bind("dct", rdflib.Namespace("http://purl.org/dc/terms/"))
    text: str = graph.serialize(format="turtle")
    return text
