"""The SERVICE keyword is found wherever SPARQL reads it as a keyword, and only there."""

from __future__ import annotations

import pytest

from catalog.sparql_service import names_a_service

FEDERATED = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:8899/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE{SERVICE<http://x/>{?s ?p ?o}}",
    "SELECT * WHERE { ?a ?b ?c . SERVICE ?endpoint { ?s ?p ?o } }",
    "PREFIX ex: <http://x/> SELECT * WHERE { SERVICE ex:endpoint { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",  # a codepoint escape
    "SELECT * WHERE { \\U00000053ervice <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { FILTER(?a<?b)SERVICE<http://x>{?s ?p ?o} }",  # `<` as less-than
    "SELECT * WHERE { # a comment\nSERVICE <http://x> { ?s ?p ?o } }",
    'SELECT * WHERE { ?s ?p "a" . SeRvIcE <http://x> {} }',
    "SELECT * WHERE { ?s ?p ?o.SERVICE <http://x> {} }",  # `.` ends the triple
]
LOCAL = [
    "SELECT * WHERE { ?s a <https://x.example/SERVICE> }",
    "PREFIX ex: <http://x/> SELECT * WHERE { ?s ex:service ?o }",
    "SELECT ?service WHERE { ?service a gx:ServiceOffering }",
    "SELECT * WHERE { ?s ?p $service }",
    'SELECT * WHERE { ?s ?p "SERVICE <http://x> {}" }',
    "SELECT * WHERE { ?s ?p '''multi\nSERVICE <x> {}''' }",
    'SELECT * WHERE { ?s ?p """a "quoted" SERVICE <x> {}""" }',
    'SELECT * WHERE { ?s ?p "escaped \\" SERVICE <x> {}" }',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x> {}",
    "PREFIX service: <http://x/> SELECT * WHERE { ?s service:p ?o }",
    "SELECT * WHERE { _:service ?p ?o }",
    "SELECT * WHERE { ?s ex:my-service ?o . ?s ex:service.v2 ?x }",
]


@pytest.mark.parametrize("query", FEDERATED)
def test_a_service_clause_is_found(query: str) -> None:
    assert names_a_service(query)


@pytest.mark.parametrize("query", LOCAL)
def test_the_word_elsewhere_is_not_a_service_clause(query: str) -> None:
    assert not names_a_service(query)
