"""Acceptance 3 of the catalog (issue 4): search, facets, pagination and SPARQL return
exactly the expected entries, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from catalog_support import (
    CatalogClient,
    DidHost,
    Party,
    catalog_settings,
    did_host,
    hinterland_credential,
    print_service,
    revocation,
)

__all__ = ["did_host"]


@dataclass
class World:
    catalog: CatalogClient
    ids: dict[str, str]
    parties: dict[str, Party]


@pytest.fixture
async def world(tmp_path: Path, migrated_url: str, did_host: DidHost) -> AsyncIterator[World]:
    settings = catalog_settings(
        tmp_path, migrated_url, participant_policy="open", sparql_max_results=50
    )
    catalog = CatalogClient(settings)
    acme, bravo, carbon = (did_host.party(n) for n in ("acme-s", "bravo-s", "carbon-s"))
    now = datetime.now(UTC)
    documents = {
        "sls-old": print_service(
            acme,
            "sls",
            name="SLS printing (old)",
            material="PA12",
            process="SLS",
            format="STL",
            region="DE-SN",
            issued=now - timedelta(days=30),
        ),
        "sls": print_service(
            acme,
            "sls",
            name="SLS printing in Dresden",
            material="PA12",
            process="SLS",
            format=["STL", "3MF"],
            region="DE-SN",
            keyword=["sls", "nylon"],
            description="Nylon parts, fast",
        ),
        "mjf": print_service(
            acme,
            "mjf",
            name="MJF printing",
            material=["PA12", "PA11"],
            process="MJF",
            format="STL",
            region="DE-SN",
            keyword=["mjf"],
        ),
        "fdm": print_service(
            bravo,
            "fdm",
            name="FDM printing Munich",
            material="PLA",
            process="FDM",
            format="STL",
            region="DE-BY",
        ),
        "bracket": hinterland_credential(
            bravo,
            {
                "id": "https://bravo-s.example/files/bracket",
                "type": "PrintFile",
                "name": "Bracket print file",
                "format": "3MF",
                "material": "PA12",
                "region": "DE-BY",
                "keyword": ["bracket"],
            },
        ),
        "footprint": hinterland_credential(
            carbon,
            {
                "id": "https://carbon-s.example/data/alu",
                "type": "DataResource",
                "name": "Aluminium footprint data",
                "format": "JSON",
                "region": "AT",
                "keyword": ["carbon"],
            },
        ),
        "revoked": print_service(
            bravo,
            "gone",
            name="Revoked printing offer",
            material="PA12",
            format="STL",
            region="DE-BY",
        ),
    }
    ids: dict[str, str] = {}
    for key, document in documents.items():
        response = await catalog.publish(document)
        assert response.status_code == 201, (key, response.text)
        ids[key] = response.json()["id"]
    response = await catalog.http.post(
        f"/self-descriptions/{ids['revoked']}/revoke", json=revocation(bravo, ids["revoked"])
    )
    assert response.status_code == 200, response.text
    try:
        yield World(catalog, ids, {"acme": acme, "bravo": bravo, "carbon": carbon})
    finally:
        await catalog.close()


async def found(world: World, *params: tuple[str, str]) -> set[str]:
    response = await world.catalog.http.get("/self-descriptions", params=list(params))
    assert response.status_code == 200, response.text
    names = {v: k for k, v in world.ids.items()}
    body = response.json()
    assert body["total"] == len(body["items"])
    return {names[item["id"]] for item in body["items"]}


async def test_full_text_and_filters(world: World) -> None:
    acme = world.parties["acme"].did
    assert await found(world) == {"sls", "mjf", "fdm", "bracket", "footprint"}
    assert await found(world, ("q", "printing")) == {"sls", "mjf", "fdm"}
    assert await found(world, ("q", "PRINT dresd")) == {"sls"}  # prefixes, case folded
    assert await found(world, ("q", "nylon")) == {"sls"}  # keyword and description
    assert await found(world, ("q", "pa12")) == {"sls", "mjf", "bracket"}
    assert await found(world, ("q", "printing"), ("status", "deprecated")) == {"sls-old"}
    assert await found(world, ("q", "printing"), ("status", "revoked")) == {"revoked"}
    assert await found(world, ("type", "PrintService")) == {"sls", "mjf", "fdm"}
    assert await found(world, ("issuer", acme)) == {"sls", "mjf"}
    assert await found(world, ("region", "DE-SN")) == {"sls", "mjf"}
    assert await found(world, ("country", "de")) == {"sls", "mjf", "fdm", "bracket"}
    assert await found(world, ("country", "AT")) == {"footprint"}
    assert await found(world, ("format", "3MF")) == {"sls", "bracket"}
    assert await found(world, ("format", "3MF"), ("format", "JSON")) == {
        "sls",
        "bracket",
        "footprint",
    }
    assert await found(world, ("material", "pa11")) == {"mjf"}
    assert await found(world, ("material", "PA12"), ("region", "DE-BY")) == {"bracket"}
    assert await found(world, ("keyword", "carbon")) == {"footprint"}
    assert await found(world, ("process", "SLS")) == {"sls"}
    assert await found(world, ("q", "titanium")) == set()


async def test_facet_counts(world: World) -> None:
    body = (await world.catalog.http.get("/self-descriptions", params={"q": "pa12"})).json()
    facets = {
        name: {f["value"]: f["count"] for f in values} for name, values in body["facets"].items()
    }
    assert facets["type"] == {"PrintService": 2, "PrintFile": 1}
    assert facets["material"] == {"PA12": 3, "PA11": 1}
    assert facets["format"] == {"STL": 2, "3MF": 2}
    assert facets["region"] == {"DE-SN": 2, "DE-BY": 1}
    assert facets["country"] == {"DE": 3}
    assert facets["status"] == {"active": 3, "deprecated": 1, "revoked": 1}
    assert facets["issuer"] == {world.parties["acme"].did: 2, world.parties["bravo"].did: 1}


async def test_cursor_pagination_walks_every_entry_once(world: World) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "facets": "false"}
        if cursor:
            params["cursor"] = cursor
        body = (await world.catalog.http.get("/self-descriptions", params=params)).json()
        assert body["total"] == 5
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
    order = ["footprint", "bracket", "fdm", "mjf", "sls"]  # newest first
    assert seen == [world.ids[k] for k in order] and pages == 3
    bad = await world.catalog.http.get("/self-descriptions", params={"cursor": "nonsense"})
    assert bad.status_code == 400 and "cursor" in bad.json()["message"]
    for params in ({"limit": "0"}, {"limit": "x"}, {"status": "sleeping"}):
        response = await world.catalog.http.get("/self-descriptions", params=params)
        assert response.status_code == 400, params
        assert response.json()["message"]


PREFIXES = "PREFIX hl: <https://w3id.org/hinterland/v1#>\nPREFIX schema: <https://schema.org/>\n"


async def sparql(world: World, query: str, *, method: str = "GET") -> Any:
    http = world.catalog.http
    if method == "GET":
        response = await http.get("/sparql", params={"query": query})
    elif method == "FORM":
        response = await http.post("/sparql", data={"query": query})
    else:
        response = await http.post(
            "/sparql", content=query, headers={"content-type": "application/sparql-query"}
        )
    return response


async def test_sparql_select_ask_construct_over_active_entries(world: World) -> None:
    query = (
        PREFIXES
        + """SELECT ?name WHERE {
        ?s a hl:PrintService ; schema:name ?name ; hl:material "PA12" } ORDER BY ?name"""
    )
    for method in ("GET", "FORM", "BODY"):
        response = await sparql(world, query, method=method)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/sparql-results+json")
        names = [b["name"]["value"] for b in response.json()["results"]["bindings"]]
        # neither the deprecated nor the revoked PA12 offer is there
        assert names == ["MJF printing", "SLS printing in Dresden"], method
    ask = await sparql(world, PREFIXES + 'ASK { ?s schema:name "Revoked printing offer" }')
    assert ask.json()["boolean"] is False
    ask = await sparql(world, PREFIXES + 'ASK { ?s schema:name "FDM printing Munich" }')
    assert ask.json()["boolean"] is True
    construct = await sparql(
        world,
        PREFIXES
        + """CONSTRUCT { ?s hl:region ?r }
        WHERE { ?s a hl:DataResource ; hl:region ?r }""",
    )
    assert construct.status_code == 200
    assert construct.text.strip() == (
        '<https://carbon-s.example/data/alu> <https://w3id.org/hinterland/v1#region> "AT" .'
    )

    # a revocation reaches the SPARQL view too
    fdm = world.ids["fdm"]
    bravo = world.parties["bravo"]
    response = await world.catalog.http.post(
        f"/self-descriptions/{fdm}/revoke", json=revocation(bravo, fdm)
    )
    assert response.status_code == 200
    ask = await sparql(world, PREFIXES + 'ASK { ?s schema:name "FDM printing Munich" }')
    assert ask.json()["boolean"] is False


async def test_sparql_refuses_updates_bad_queries_and_large_results(world: World) -> None:
    for query in (
        'INSERT DATA { <urn:a> <urn:b> "c" }',
        "PREFIX x: <urn:x>\nDELETE WHERE { ?s ?p ?o }",
        "DROP ALL",
    ):
        response = await sparql(world, query)
        assert response.status_code == 400, query
        assert "read-only" in response.json()["message"]
    response = await world.catalog.http.post(
        "/sparql", content="DROP ALL", headers={"content-type": "application/sparql-update"}
    )
    assert response.status_code == 400
    response = await world.catalog.http.post("/sparql", data={"update": "DROP ALL"})
    assert response.status_code == 400 and "read-only" in response.json()["message"]
    response = await sparql(world, "SELECT ?s WHERE { ?s ?p ")
    assert response.status_code == 400 and "invalid SPARQL" in response.json()["message"]
    response = await sparql(world, "SELECT * WHERE { ?s ?p ?o }")  # > 50 rows
    assert response.status_code == 413 and "LIMIT" in response.json()["message"]
    response = await sparql(world, "SELECT * WHERE { ?s ?p ?o } LIMIT 5")
    assert len(response.json()["results"]["bindings"]) == 5
    response = await world.catalog.http.get("/sparql")
    assert response.status_code == 400
    json.dumps(response.json())


async def test_sparql_refuses_federated_queries_and_calls_nobody(world: World) -> None:
    """pyoxigraph would POST a SERVICE pattern to any address, internal ones included, and
    quote the answer back: the catalog refuses the query before evaluating it."""
    calls: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            calls.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_GET = do_POST

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        for query in (
            f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{endpoint}> {{ ?s ?p ?o }} }} LIMIT 1",
            f"SELECT * WHERE {{ \\u0053ERVICE <{endpoint}> {{ ?s ?p ?o }} }}",
        ):
            for method in ("GET", "POST"):
                response = await sparql(world, query, method=method)
                assert response.status_code == 400, (query, response.text)
                assert "SERVICE (federated query) is not allowed" in response.json()["message"]
        assert calls == []
        # the word elsewhere is no SERVICE clause
        response = await sparql(
            world, "SELECT ?service WHERE { ?service a <https://x.example/SERVICE> } LIMIT 1"
        )
        assert response.status_code == 200, response.text
    finally:
        server.shutdown()
        server.server_close()


async def test_a_query_past_its_deadline_is_stopped_not_abandoned(world: World) -> None:
    """pyoxigraph cannot interrupt a query: one still counting at its deadline used to run
    on in a thread, a core gone per request. Its evaluator process is killed instead, and
    the next query gets a fresh one with every entry loaded again."""
    index = world.catalog.service.sparql
    index.timeout = 1.0
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = (await sparql(world, count)).json()["results"]["bindings"][0]["n"]["value"]
    assert int(before) > 10
    assert index._evaluator is not None
    evaluator = index._evaluator.process

    cross = " . ".join(f"?s{n} ?p{n} ?o{n}" for n in range(5))  # (triples)^5 rows to count
    runaway = f"SELECT (COUNT(*) AS ?n) WHERE {{ {cross} }}"
    response = await sparql(world, runaway)
    assert response.status_code == 413, response.text
    assert response.json()["message"] == "SPARQL query took longer than 1 seconds"
    assert evaluator.poll() is not None  # killed and reaped, not left running
    with pytest.raises(ProcessLookupError):
        os.kill(evaluator.pid, 0)

    after = (await sparql(world, count)).json()["results"]["bindings"][0]["n"]["value"]
    assert after == before
    assert index._evaluator is not None and index._evaluator.process.pid != evaluator.pid


async def test_a_cancelled_query_leaves_no_answer_for_the_next(world: World) -> None:
    """A request cancelled while its query runs must not leave the evaluator's late
    answer on the channel, where the next query would read it as its own."""
    index = world.catalog.service.sparql
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    expected = (await index.query(count)).body
    slow = " . ".join(f"?s{n} ?p{n} ?o{n}" for n in range(5))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(index.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {slow} }}"), 0.5)
    assert (await index.query(count)).body == expected


async def test_a_query_that_needs_too_much_memory_is_refused(world: World) -> None:
    """The evaluator's heap is capped (`catalog.sparql_max_memory_mb`): a query sorting a
    cross product ends it long before its deadline, with a 413 that says why."""
    index = world.catalog.service.sparql
    index.max_memory_mb = 200
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    expected = (await sparql(world, count)).json()
    cross = " . ".join(f"?s{n} ?p{n} ?o{n}" for n in range(4))  # (triples)^4 rows to sort
    response = await sparql(world, f"SELECT * WHERE {{ {cross} }} ORDER BY ?o0 ?o3 LIMIT 1")
    assert response.status_code == 413, response.text
    assert "more than 200 MB" in response.json()["message"]
    assert (await sparql(world, count)).json() == expected  # a fresh evaluator, all loaded


async def test_a_query_queued_past_its_time_limit_is_told_to_come_back(world: World) -> None:
    """One evaluation at a time per process: a query that cannot get the evaluator
    within its own time limit gets a 503 instead of waiting behind any number of others."""
    index = world.catalog.service.sparql
    index.timeout = 0.5
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    async with index._lock:  # another query holds the evaluator
        response = await asyncio.wait_for(sparql(world, count), 10)  # not forever
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "busy"
    assert "busy with other queries for more than 0.5 seconds" in response.json()["message"]
    assert (await sparql(world, count)).status_code == 200  # the lock was not kept
