"""Acceptance 3 of the catalog (issue 4): search, facets, pagination and SPARQL return
exactly the expected entries, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
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

