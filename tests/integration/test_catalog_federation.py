"""Acceptance 5 of the catalog (issue 4): three catalogs peering in a triangle converge
(real uvicorn servers on loopback, background federation loops), a catalog that was down
catches up, and a tampered entry served by a peer is rejected."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from catalog_support import (
    CatalogClient,
    DidHost,
    catalog_settings,
    did_host,
    free_port,
    legal_participant,
    print_service,
    revocation,
    serve,
    tamper,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from catalog.app import create_app
from hinterland.db import migrate
from hinterland.web.logging import redact

__all__ = ["did_host"]


def state(base: str) -> dict[str, str]:
    """entry id -> status, every status."""
    response = httpx.get(
        f"{base}/self-descriptions",
        params=[("status", s) for s in ("active", "deprecated", "revoked", "expired")]
        + [("limit", "200"), ("facets", "false")],
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {item["id"]: item["status"] for item in response.json()["items"]}


def eventually(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"catalogs did not converge in time: {_diagnose()}")
        time.sleep(0.3)


def test_three_catalogs_in_a_triangle_converge(tmp_path: Path, did_host: DidHost) -> None:
    names = ("a", "b", "c")
    ports = {n: free_port() for n in names}
    urls = {n: f"http://127.0.0.1:{ports[n]}" for n in names}
    apps = {}
    _URLS[:] = list(urls.values())
    for name in names:
        database = f"sqlite+aiosqlite:///{tmp_path / name / 'catalog.db'}"
        (tmp_path / name).mkdir()
        migrate.upgrade(database)
        settings = catalog_settings(
            tmp_path / name,
            database,
            base_url=urls[name],
            peer_poll_seconds=0.3,
            peers=[urls[p] for p in names if p != name],
        )
        apps[name] = create_app(settings)
    acme, bravo, carla = (did_host.party(f"{n}-fed") for n in ("acme", "bravo", "carla"))

    with serve(apps["a"], ports["a"]), serve(apps["b"], ports["b"]):
        cserver = serve(apps["c"], ports["c"])
        cserver.__enter__()
        c_running = True
        try:
            for base, party, label in (
                (urls["a"], acme, "ACME"),
                (urls["b"], bravo, "Bravo"),
                (urls["c"], carla, "Carla"),
            ):
                assert (
                    httpx.post(
                        f"{base}/self-descriptions", json=legal_participant(party, label)
                    ).status_code
                    == 201
                )
                response = httpx.post(
                    f"{base}/self-descriptions",
                    json=print_service(party, "p", name=f"{label} printing", material="PA12"),
                )
                assert response.status_code == 201, response.text
            eventually(lambda: all(len(state(urls[n])) == 6 for n in names))
            first = state(urls["a"])
            assert state(urls["b"]) == first == state(urls["c"])
            assert set(first.values()) == {"active"}

            # where each entry came from; nothing counted twice
            detail = httpx.get(f"{urls['a']}/self-descriptions", params={"q": "bravo"}).json()
            assert [i["origin"] for i in detail["items"]] == [urls["b"]] * 2
            detail = httpx.get(f"{urls['a']}/self-descriptions", params={"q": "acme"}).json()
            assert [i["origin"] for i in detail["items"]] == ["local"] * 2
            for name in names:
                feed = httpx.get(f"{urls[name]}/changes", params={"limit": 1000}).json()
                assert sum(1 for i in feed["items"] if i["kind"] == "added") == 6
            # peers keep each document byte for byte as its issuer sent it
            for entry_id in first:
                texts = {
                    httpx.get(f"{urls[n]}/self-descriptions/{entry_id}/document").text
                    for n in names
                }
                assert len(texts) == 1

            # a revocation at b (signed by its issuer) reaches every catalog
            bravo_offer = next(
                i
                for i, s in state(urls["b"]).items()
                if i in first and _name(urls["b"], i) == "Bravo printing"
            )
            response = httpx.post(
                f"{urls['b']}/self-descriptions/{bravo_offer}/revoke",
                json=revocation(bravo, bravo_offer),
            )
            assert response.status_code == 200, response.text
            eventually(lambda: all(state(urls[n]).get(bravo_offer) == "revoked" for n in names))

            # c goes down; a new version is published at a; c catches up when it is back
            cserver.__exit__(None, None, None)
            c_running = False
            response = httpx.post(
                f"{urls['a']}/self-descriptions",
                json=print_service(acme, "p", name="ACME printing v2", material="PA12"),
            )
            assert response.status_code == 201, response.text
            eventually(lambda: len(state(urls["b"])) == 7)
            time.sleep(1)  # a keeps failing to reach c meanwhile, without harm
            peers = httpx.get(f"{urls['a']}/federation/peers").json()["peers"]
            assert any(p["url"] == urls["c"] and p["lastError"] for p in peers)
            cserver = serve(apps["c"], ports["c"])
            cserver.__enter__()
            c_running = True
            eventually(lambda: state(urls["c"]) == state(urls["a"]) == state(urls["b"]))
            final = state(urls["c"])
            assert len(final) == 7
            assert sorted(final.values()) == ["active"] * 5 + ["deprecated", "revoked"]
        finally:
            if c_running:
                cserver.__exit__(None, None, None)


_URLS: list[str] = []


def _diagnose() -> list[Any]:
    return [(u, state(u), httpx.get(f"{u}/federation/peers").json()) for u in _URLS]


def _name(base: str, entry_id: str) -> str:
    return str(httpx.get(f"{base}/self-descriptions/{entry_id}").json()["entry"]["name"])


async def test_a_tampered_entry_served_by_a_peer_is_rejected(
    tmp_path: Path, migrated_url: str, did_host: DidHost
) -> None:
    acme = did_host.party("acme-tamper")
    honest = print_service(acme, "ok", name="Honest offer", material="PA12")
    forged = tamper(
        print_service(acme, "x", name="Cheap printing", material="PA12"),
        ["credentialSubject", "name"],
        "Free printing for everyone",
    )
    participant = legal_participant(acme, "ACME")
    feed: list[dict[str, Any]] = [
        {"seq": 1, "kind": "added", "entryId": "sd-1", "document": participant},
        {"seq": 2, "kind": "added", "entryId": "sd-2", "document": forged},
        {"seq": 3, "kind": "added", "entryId": "sd-3", "document": honest},
    ]

    async def changes(request: Request) -> JSONResponse:
        since = int(request.query_params.get("since", "0"))
        items = [i for i in feed if i["seq"] > since]
        return JSONResponse({"items": items, "nextCursor": 3, "more": False})

    peer_app = Starlette(routes=[Route("/changes", changes)])
    with serve(peer_app) as peer:
        catalog = CatalogClient(catalog_settings(tmp_path, migrated_url, peers=[peer]))
        try:
            reports = await catalog.service.federation.sync_once()
            assert reports[0].added == 2 and reports[0].error is None
            assert len(reports[0].rejected) == 1
            assert "proof" in reports[0].rejected[0] and "sd-2" in reports[0].rejected[0]
            stored = {e["name"]: e["origin"] for e in await catalog.all_entries()}
            assert stored == {"ACME": peer, "Honest offer": peer}
            # the cursor moved on: the forged entry is not retried, nothing is duplicated
            again = await catalog.service.federation.sync_once()
            assert again[0].added == 0 and again[0].rejected == []
            assert len(await catalog.all_entries()) == 2

            # a revocation the issuer never signed is not applied either
            honest_id = next(
                e["id"] for e in await catalog.all_entries() if e["name"] == "Honest offer"
            )
            mallory = did_host.party("mallory-tamper")
            feed.append(
                {
                    "seq": 4,
                    "kind": "revoked",
                    "entryId": honest_id,
                    "revocation": revocation(mallory, honest_id),
                }
            )
            feed.append(
                {
                    "seq": 5,
                    "kind": "revoked",
                    "entryId": honest_id,
                    "revocation": revocation(mallory, honest_id, issuer=acme.did),
                }
            )
            third = await catalog.service.federation.sync_once()
            assert third[0].revoked == 0 and len(third[0].rejected) == 2
            assert (await catalog.service.store.get(honest_id)).status == "active"
            feed.append(
                {
                    "seq": 6,
                    "kind": "revoked",
                    "entryId": honest_id,
                    "revocation": revocation(acme, honest_id),
                }
            )
            fourth = await catalog.service.federation.sync_once()
            assert fourth[0].revoked == 1 and fourth[0].rejected == []
            assert (await catalog.service.store.get(honest_id)).status == "revoked"
        finally:
            await catalog.close()


async def test_concurrent_syncs_pull_each_page_once(
    tmp_path: Path, migrated_url: str, did_host: DidHost
) -> None:
    """Pulls at once (the background loop and an operator's `POST /federation/sync`)
    must not each verify the feed."""
    acme = did_host.party("acme-once")
    documents = [legal_participant(acme, "A"), print_service(acme, "o", name="Offer")]
    feed: list[dict[str, Any]] = [
        {"seq": n, "kind": "added", "entryId": f"sd-{n}", "document": document}
        for n, document in enumerate(documents, start=1)
    ]
    asked: list[int] = []

    async def changes(request: Request) -> JSONResponse:
        since = int(request.query_params.get("since", "0"))
        asked.append(since)
        items = [i for i in feed if i["seq"] > since]
        return JSONResponse({"items": items, "nextCursor": 2, "more": False})

    with serve(Starlette(routes=[Route("/changes", changes)])) as peer:
        catalog = CatalogClient(catalog_settings(tmp_path, migrated_url, peers=[peer]))
        try:
            syncs = [catalog.service.federation.sync_once() for _ in range(3)]
            reports = [r[0] for r in await asyncio.gather(*syncs)]
            assert sorted(asked) == [0, 2, 2]  # the later pulls start where the first ended
            assert sum(r.added for r in reports) == 2 and sum(r.known for r in reports) == 0
            assert len(await catalog.all_entries()) == 2
        finally:
            await catalog.close()


async def test_pulls_over_http_need_the_admin_api_key(
    tmp_path: Path, migrated_url: str, did_host: DidHost
) -> None:
    """A pull re-verifies every new document of every peer: `POST /federation/sync` is an
    operator's endpoint, off unless `catalog.admin_api_key` is set, and the key is
    compared in full and kept out of the logs."""
    acme = did_host.party("acme-key")
    document = legal_participant(acme, "A")
    feed = [{"seq": 1, "kind": "added", "entryId": "sd-1", "document": document}]

    async def changes(_request: Request) -> JSONResponse:
        return JSONResponse({"items": feed, "nextCursor": 1, "more": False})

    key = "catalog-admin-" + secrets.token_hex(16)
    with serve(Starlette(routes=[Route("/changes", changes)])) as peer:
        closed = CatalogClient(catalog_settings(tmp_path, migrated_url, peers=[peer]))
        try:
            response = await closed.http.post("/federation/sync")
            assert response.status_code == 401
            assert "configure catalog.admin_api_key" in response.json()["message"]
        finally:
            await closed.close()
        catalog = CatalogClient(
            catalog_settings(tmp_path, migrated_url, peers=[peer], admin_api_key=key)
        )
        try:
            for headers in ({}, {"X-API-Key": key[:-1]}, {"Authorization": f"Basic {key}"}):
                response = await catalog.http.post("/federation/sync", headers=headers)
                assert response.status_code == 401, headers
            assert await catalog.all_entries() == []  # no refused call pulled anything
            response = await catalog.http.post(
                "/federation/sync", headers={"Authorization": f"Bearer {key}"}
            )
            assert response.status_code == 200, response.text
            assert response.json()["peers"][0]["added"] == 1
            response = await catalog.http.post("/federation/sync", headers={"X-API-Key": key})
            assert response.status_code == 200 and response.json()["peers"][0]["added"] == 0
            assert len(await catalog.all_entries()) == 1
            assert redact(f"peer pull by {key}") == "peer pull by [redacted]"
        finally:
            await catalog.close()
