"""Publishing to the federated catalog (the real catalog app, in process): the
LegalParticipant and one ServiceOffering per offered asset with print metadata are signed
and accepted; a change re-publishes and revokes the old entry; the catalog's membership
credential is shown to partners afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from conftest import CONSUMER_DID, PROVIDER_DID, Pair, StaticClaims, build_pair
from connector_meshes import write_stl

from catalog.app import create_app as create_catalog
from catalog.settings import CatalogOptions, CatalogSettings
from hinterland.db import migrate
from hinterland.did import DidResolver, did_web_document
from hinterland.keys import PrivateKey
from hinterland.settings import DatabaseSettings

CATALOG = "http://catalog.test"
KEY = {"X-Api-Key": "test-management-key-123"}


async def _entries(pair: Pair) -> list[dict[str, Any]]:
    reply = await pair.client.get(f"{CATALOG}/self-descriptions", params={"limit": 50})
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json().get("items") or reply.json().get("entries") or []
    return items


async def test_publish_republish_and_revoke(migrated_url: str, tmp_path: Path) -> None:
    catalog_url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"
    await asyncio.to_thread(migrate.upgrade, catalog_url)
    keys = {PROVIDER_DID: PrivateKey.generate(), CONSUMER_DID: PrivateKey.generate()}
    catalog_app = create_catalog(
        CatalogSettings(
            data_dir=tmp_path / "catalog",
            database=DatabaseSettings(url=catalog_url),
            catalog=CatalogOptions(base_url=CATALOG),
        ),
        resolver=DidResolver(
            documents={PROVIDER_DID: did_web_document(PROVIDER_DID, keys[PROVIDER_DID].public())}
        ),
    )
    async with build_pair(
        migrated_url,
        tmp_path,
        claims=StaticClaims({}),
        keys=keys,
        provider_options={
            "catalogs": [CATALOG],
            "legal_name": "Werkzeugbau Beispiel GmbH",
            "region": "DE-SN",
        },
        extra_apps={"catalog.test": catalog_app},
    ) as pair:
        api = {"headers": KEY}
        mgmt = pair.provider.base + "/management/v1"
        stl = write_stl(tmp_path / "bracket.stl").read_bytes()
        await pair.client.post(
            f"{mgmt}/assets/files",
            params={
                "title": "Mounting bracket",
                "fileName": "bracket.stl",
                "id": "urn:asset:bracket",
            },
            content=stl,
            **api,
        )
        await pair.client.put(
            f"{mgmt}/policies/open", json={"permission": [{"action": "use"}]}, **api
        )
        await pair.client.put(
            f"{mgmt}/offers/all", json={"accessPolicy": "open", "contractPolicy": "open"}, **api
        )
        outcomes = (await pair.client.post(f"{mgmt}/publish", **api)).json()
        by_subject = {o["subject"]: o for o in outcomes}
        assert by_subject["participant"]["action"] in ("published", "unchanged"), outcomes
        assert by_subject["urn:asset:bracket"]["action"] in ("published", "unchanged"), outcomes
        first_entry = by_subject["urn:asset:bracket"]["detail"]
        entry = (await pair.client.get(f"{CATALOG}/self-descriptions/{first_entry}")).json()
        subject = entry["document"]["credentialSubject"]
        assert (
            subject["hl:triangleCount"] == 12 and subject["hl:boundingBoxMm"] == "20.0 x 10.0 x 5.0"
        )
        assert subject["gx:providedBy"]["id"] == PROVIDER_DID
        assert entry["complianceCredential"]["proof"]

        # nothing changed: nothing is published again
        again = (await pair.client.post(f"{mgmt}/publish", **api)).json()
        assert {o["action"] for o in again} == {"unchanged"}

        # the offer changes: a new description is published and the old one revoked
        await pair.client.put(
            f"{mgmt}/policies/open",
            json={
                "permission": [
                    {
                        "action": "use",
                        "constraint": [
                            {
                                "leftOperand": "purpose",
                                "operator": "eq",
                                "rightOperand": "prototyping",
                            }
                        ],
                    }
                ]
            },
            **api,
        )
        # (the change also wakes the background publisher: whichever pass comes first
        # publishes, the other finds it done)
        changed = {
            o["subject"]: o for o in (await pair.client.post(f"{mgmt}/publish", **api)).json()
        }
        assert changed["urn:asset:bracket"]["action"] in ("published", "unchanged"), changed
        second_entry = changed["urn:asset:bracket"]["detail"]
        assert second_entry != first_entry
        old = (await pair.client.get(f"{CATALOG}/self-descriptions/{first_entry}")).json()
        assert old["entry"]["status"] == "revoked"
        versions = [e for e in await _entries(pair) if e["id"] in (first_entry, second_entry)]
        assert [e["id"] for e in versions] == [second_entry]  # one new version, active

        # withdrawn: the asset's description is revoked
        await pair.client.delete(f"{mgmt}/offers/all", **api)
        withdrawn = {
            o["subject"]: o for o in (await pair.client.post(f"{mgmt}/publish", **api)).json()
        }
        assert all(o["action"] != "failed" for o in withdrawn.values()), withdrawn
        if "urn:asset:bracket" in withdrawn:  # else the background pass revoked it already
            assert withdrawn["urn:asset:bracket"]["action"] == "revoked"
        gone = (await pair.client.get(f"{CATALOG}/self-descriptions/{second_entry}")).json()
        assert gone["entry"]["status"] == "revoked"

        # the catalog's membership is now among our credentials
        credentials = pair.provider.state.own_credentials
        assert any("MembershipCredential" in c.get("type", []) for c in credentials)
