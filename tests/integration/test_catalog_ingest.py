"""Acceptance 1 and 2 of the catalog (issue 4): ingest, rejection with reasons and nothing
stored, membership, lifecycle. Real keys, real did:web resolution over loopback, the real
trust core, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from catalog_support import (
    CatalogClient,
    DidHost,
    catalog_settings,
    did_host,
    gaiax_participant,
    legal_participant,
    offer,
    print_service,
    revocation,
    tamper,
)

from hinterland.did import DidResolver
from hinterland.settings import DidSettings
from hinterland.verify import verify_document

__all__ = ["did_host"]


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def catalog(
    tmp_path: Path, migrated_url: str, did_host: DidHost, clock: Clock
) -> AsyncIterator[CatalogClient]:
    admin = did_host.party("catalog-admin")
    settings = catalog_settings(tmp_path, migrated_url, admin_dids=[admin.did])
    client = CatalogClient(settings, clock=clock)
    client.admin = admin  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        await client.close()


def resolver() -> DidResolver:
    return DidResolver(DidSettings(allow_private_addresses=True, allow_http=True))


def failed_checks(response_json: dict) -> set[str]:  # type: ignore[type-arg]
    return {c["name"] for c in response_json["report"]["checks"] if c["status"] == "failed"}


async def count_rows(catalog: CatalogClient) -> dict[str, int]:
    counts = {}
    async with catalog.service.engine.connect() as conn:
        for table in (
            "catalog_entries",
            "catalog_entry_values",
            "catalog_changes",
            "catalog_participants",
        ):
            counts[table] = (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar()
    return counts


async def test_valid_descriptions_are_stored_with_a_signed_compliance_credential(
    catalog: CatalogClient, did_host: DidHost
) -> None:
    acme = did_host.party("acme")
    participant = legal_participant(acme, "ACME Additive GmbH")
    response = await catalog.publish(participant)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "active" and body["id"].startswith("sd-")
    compliance = body["complianceCredential"]
    subject = compliance["credentialSubject"]
    assert subject["entryId"] == body["id"]
    assert subject["canonicalSha256"] == body["entry"]["sha256"]
    assert subject["shapesVersion"] == "none" and compliance["validUntil"]
    assert compliance["issuer"] == catalog.service.signer.did
    report = await verify_document(compliance, resolver=resolver())
    assert report.valid, report.to_dict()

    membership = await catalog.http.get(f"/participants/{acme.did}/membership")
    assert membership.status_code == 200, membership.text
    member = membership.json()
    assert member["credentialSubject"]["id"] == acme.did
    assert member["credentialSubject"]["name"] == "ACME Additive GmbH"
    assert (await verify_document(member, resolver=resolver())).valid
    assert (
        await catalog.http.get("/participants/did:web:nobody.example/membership")
    ).status_code == 404

    raw = json.dumps(offer(acme, "sls", name="SLS printing", material=["PA12"]), indent=3)
    created = await catalog.publish(raw.encode())
    assert created.status_code == 201, created.text
    entry_id = created.json()["id"]
    detail = (await catalog.http.get(f"/self-descriptions/{entry_id}")).json()
    assert detail["document"] == json.loads(raw)
    assert detail["report"]["valid"] is True
    assert {c["name"] for c in detail["report"]["checks"]} >= {
        "proof",
        "key-binding",
        "validity",
        "participant",
    }
    assert detail["entry"]["claims"]["material"] == ["PA12"]
    exact = await catalog.http.get(f"/self-descriptions/{entry_id}/document")
    assert exact.text == raw  # untouched, byte for byte

    again = await catalog.publish(raw.encode())
    assert again.status_code == 200 and again.json()["id"] == entry_id
    assert again.json()["created"] is False
    # the stored credential, not a new one; and this verification's report
    assert again.json()["complianceCredential"] == created.json()["complianceCredential"]
    assert again.json()["report"]["valid"] is True
    assert detail["report"] == created.json()["report"]
    assert len(await catalog.all_entries()) == 2


async def test_a_signed_presentation_is_accepted(catalog: CatalogClient, did_host: DidHost) -> None:
    acme = did_host.party("acme-vp")
    await catalog.publish(legal_participant(acme, "ACME"))
    vc = offer(acme, "fdm", name="FDM printing", material=["PLA"])
    vp = acme.sign(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": acme.did,
            "verifiableCredential": [vc],
        },
        purpose="authentication",
    )
    response = await catalog.publish(vp)
    assert response.status_code == 201, response.text
    assert response.json()["entry"]["name"] == "FDM printing"
    assert response.json()["entry"]["issuer"] == acme.did


async def test_each_bad_description_is_rejected_with_reasons_and_nothing_is_stored(
    catalog: CatalogClient, did_host: DidHost
) -> None:
    acme = did_host.party("acme-bad")
    assert (await catalog.publish(legal_participant(acme, "ACME"))).status_code == 201
    before = await count_rows(catalog)
    good = offer(acme, "x", name="Good offer")
    ghost = did_host.party("ghost", publish=False)  # its did.json answers 404
    stranger = did_host.party("stranger")  # resolvable, never onboarded
    undefined = dict(good)
    undefined["credentialSubject"] = {**good["credentialSubject"], "colour": "red"}
    remote = dict(good)
    remote["@context"] = [*good["@context"], "https://evil.example/context.jsonld"]

    cases = {
        "bad signature": (tamper(good, ["credentialSubject", "gx:name"], "Forged"), "proof"),
        "unknown issuer": (offer(ghost, "g", name="Ghost offer"), "proof"),
        "not onboarded": (offer(stranger, "s", name="Stranger offer"), "participant"),
        "undefined term": (undefined, "dropped-terms"),
        "expired": (
            offer(
                acme,
                "old",
                name="Old",
                issued=datetime.now(UTC) - timedelta(10),
                valid_until=datetime.now(UTC) - timedelta(1),
            ),
            "validity",
        ),
        "remote context": (remote, "contexts"),
        "SHACL violation (hinterland shapes)": (
            print_service(acme, "bad-region", name="Printing", region="Saxony"),
            "shacl",
        ),
    }
    for case, (document, check) in cases.items():
        response = await catalog.publish(document)
        assert response.status_code == 422, (case, response.text)
        body = response.json()
        assert body["error"] == "description_rejected"
        assert check in failed_checks(body), (case, body["report"])
        assert body["report"]["valid"] is False
        failure = next(
            c for c in body["report"]["checks"] if c["name"] == check and c["status"] == "failed"
        )
        assert failure["reason"], case
        assert check in body["message"]
    ghost_reason = " ".join(
        c["reason"]
        for c in (await catalog.publish(offer(ghost, "g2", name="Ghost"))).json()["report"][
            "checks"
        ]
    )
    assert "could not be resolved" in ghost_reason

    for bad_body, status in (
        (b"not json", 400),
        (b"[1, 2]", 400),
        (b"", 400),
        (b"{" + b" " * 3_000_000 + b"}", 413),
    ):
        response = await catalog.publish(bad_body)
        assert response.status_code == status, (bad_body[:20], response.text)
        assert response.json()["message"]
    assert await count_rows(catalog) == before


async def test_lifecycle_versions_revocation_and_expiry(
    catalog: CatalogClient, did_host: DidHost, clock: Clock
) -> None:
    acme = did_host.party("acme-life")
    mallory = did_host.party("mallory")
    admin = catalog.admin  # type: ignore[attr-defined]
    await catalog.publish(legal_participant(acme, "ACME"))
    await catalog.publish(legal_participant(mallory, "Mallory Ltd"))
    now = datetime.now(UTC)
    v1 = (
        await catalog.publish(offer(acme, "p", name="Printing v1", issued=now - timedelta(2)))
    ).json()["id"]
    v2 = (
        await catalog.publish(offer(acme, "p", name="Printing v2", issued=now - timedelta(1)))
    ).json()["id"]
    # versioning: the newer version deprecates the older one
    assert (await catalog.http.get(f"/self-descriptions/{v1}")).json()["entry"]["status"] == (
        "deprecated"
    )
    active = (await catalog.http.get("/self-descriptions", params={"q": "printing"})).json()
    assert [i["id"] for i in active["items"]] == [v2]
    old = (
        await catalog.http.get(
            "/self-descriptions", params={"q": "printing", "status": "deprecated"}
        )
    ).json()
    assert [i["id"] for i in old["items"]] == [v1]
    assert old["items"][0]["supersededBy"] == v2

    # revocation: unsigned, signed by someone else, or by someone claiming to be the issuer
    unsigned = revocation(acme, v2)
    del unsigned["proof"]
    response = await catalog.http.post(f"/self-descriptions/{v2}/revoke", json=unsigned)
    assert response.status_code == 422 and "not signed" in response.json()["message"]
    response = await catalog.http.post(
        f"/self-descriptions/{v2}/revoke", json=revocation(mallory, v2)
    )
    assert response.status_code == 403, response.text
    assert "only the issuer" in response.json()["message"]
    impostor = revocation(mallory, v2, issuer=acme.did)  # mallory's key, acme's name
    response = await catalog.http.post(f"/self-descriptions/{v2}/revoke", json=impostor)
    assert response.status_code == 422 and "key-binding" in response.json()["message"]
    forged = tamper(revocation(acme, v1), ["credentialSubject", "revokes"], v2)
    response = await catalog.http.post(f"/self-descriptions/{v2}/revoke", json=forged)
    assert response.status_code == 422 and "proof" in response.json()["message"]
    response = await catalog.http.post(f"/self-descriptions/{v2}/revoke", json=revocation(acme, v1))
    assert response.status_code == 400 and "not entry" in response.json()["message"]
    assert (await catalog.http.get(f"/self-descriptions/{v2}")).json()["entry"]["status"] == (
        "active"
    )

    response = await catalog.http.post(f"/self-descriptions/{v2}/revoke", json=revocation(acme, v2))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "revoked"
    detail = (await catalog.http.get(f"/self-descriptions/{v2}")).json()
    assert detail["entry"]["status"] == "revoked"
    assert detail["revocation"]["credentialSubject"]["revokes"] == v2
    assert detail["entry"]["compliant"] is False

    # an admin of the catalog may revoke anything
    mallory_offer = (await catalog.publish(offer(mallory, "spam", name="Spam"))).json()["id"]
    response = await catalog.http.post(
        f"/self-descriptions/{mallory_offer}/revoke", json=revocation(admin, mallory_offer)
    )
    assert response.status_code == 200, response.text

    # expiry: an entry past its validUntil is expired, everywhere
    short = (
        await catalog.publish(
            offer(acme, "short", name="Short lived", valid_until=now + timedelta(days=1))
        )
    ).json()
    until = datetime.fromisoformat(
        short["complianceCredential"]["validUntil"].replace("Z", "+00:00")
    )
    assert until <= now + timedelta(days=1)  # the compliance credential never outlives it
    clock.now = now + timedelta(days=2)
    assert (await catalog.http.get(f"/self-descriptions/{short['id']}")).json()["entry"][
        "status"
    ] == "expired"
    listed = (await catalog.http.get("/self-descriptions")).json()
    assert short["id"] not in {i["id"] for i in listed["items"]}
    assert {f["value"]: f["count"] for f in listed["facets"]["status"]} == {
        "active": 2,
        "deprecated": 1,
        "revoked": 2,
        "expired": 1,
    }
    await catalog.service.store.expire_due()
    feed = (await catalog.http.get("/changes")).json()["items"]
    assert [(i["kind"], i["entryId"]) for i in feed if i["kind"] != "added"] == [
        ("deprecated", v1),
        ("revoked", v2),
        ("revoked", mallory_offer),
        ("expired", short["id"]),
    ]
    assert next(i for i in feed if i["kind"] == "revoked")["revocation"]["issuer"] == acme.did


async def test_gaia_x_shapes_are_enforced_when_configured(
    tmp_path: Path, migrated_url: str, did_host: DidHost
) -> None:
    settings = catalog_settings(tmp_path, migrated_url, shapes="gaia-x-22.10")
    catalog = CatalogClient(settings)
    try:
        acme = did_host.party("acme-gx")
        bad = await catalog.publish(gaiax_participant(acme, "ACME", vat_id=None))
        assert bad.status_code == 422, bad.text
        reasons = [
            c["reason"]
            for c in bad.json()["report"]["checks"]
            if c["name"] == "shacl" and c["status"] == "failed"
        ]
        assert any("vatID" in reason for reason in reasons), reasons
        assert await catalog.all_entries() == []
        good = await catalog.publish(gaiax_participant(acme, "ACME"))
        assert good.status_code == 201, good.text
        assert good.json()["complianceCredential"]["credentialSubject"]["shapesVersion"] == (
            "gaia-x-22.10"
        )
        shacl = [c for c in good.json()["report"]["checks"] if c["name"] == "shacl"]
        assert [c["status"] for c in shacl] == ["passed"]
    finally:
        await catalog.close()


async def test_trust_list_policy_accepts_only_listed_issuers(
    tmp_path: Path, migrated_url: str, did_host: DidHost
) -> None:
    listed, other = did_host.party("listed"), did_host.party("unlisted")
    settings = catalog_settings(
        tmp_path, migrated_url, participant_policy="trust_list", trusted_issuers=[listed.did]
    )
    catalog = CatalogClient(settings)
    try:
        accepted = await catalog.publish(print_service(listed, "a", name="Listed printing"))
        assert accepted.status_code == 201, accepted.text
        refused = await catalog.publish(print_service(other, "b", name="Unlisted printing"))
        assert refused.status_code == 422
        assert "issuer-trust" in failed_checks(refused.json())
        # a LegalParticipant does not get around the trust list either
        refused = await catalog.publish(legal_participant(other, "Other GmbH"))
        assert refused.status_code == 422
        assert [e["name"] for e in await catalog.all_entries()] == ["Listed printing"]
    finally:
        await catalog.close()


async def test_a_did_web_catalog_serves_its_did_document(
    tmp_path: Path, migrated_url: str, did_host: DidHost
) -> None:
    did = "did:web:catalog.example%3A8443"
    catalog = CatalogClient(
        catalog_settings(tmp_path, migrated_url, did=did, participant_policy="open")
    )
    try:
        document = (await catalog.http.get("/.well-known/did.json")).json()
        assert document["id"] == did
        assert (await catalog.http.get("/other/did.json")).status_code == 404
        published = await catalog.publish(print_service(did_host.party("dw"), "x", name="X"))
        compliance = published.json()["complianceCredential"]
        assert compliance["proof"]["verificationMethod"] == f"{did}#key-1"
        offline = DidResolver(documents={did: document}, network=False)
        assert (await verify_document(compliance, resolver=offline)).valid
    finally:
        await catalog.close()


async def test_the_publish_route_keeps_its_docs_metrics_and_error_mapping(
    catalog: CatalogClient, did_host: DidHost
) -> None:
    """POST /self-descriptions is served by a plain Starlette route (`dispatch_publish_first`);
    it must still be documented, counted under its template and mapped to clear errors."""
    spec = (await catalog.http.get("/openapi.json")).json()
    assert "post" in spec["paths"]["/self-descriptions"]
    acme = did_host.party("acme-route")
    assert (await catalog.publish(legal_participant(acme, "ACME"))).status_code == 201
    empty = await catalog.http.post("/self-descriptions", content=b" ")
    assert empty.status_code == 400 and "empty" in empty.text
    wrong = await catalog.http.put("/self-descriptions", content=b"{}")
    assert wrong.status_code == 405
    listed = await catalog.http.get("/self-descriptions")  # the GET route is still reached
    assert listed.status_code == 200 and listed.json()["items"]
    metrics = (await catalog.http.get("/metrics")).text
    assert 'method="POST",route="/self-descriptions",status="201"' in metrics
    assert 'method="POST",route="/self-descriptions",status="400"' in metrics
