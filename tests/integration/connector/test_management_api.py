"""The management API drives both sides: provider assets, policies and offers; consumer
catalog, negotiation, transfer and download; the audit export verifies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
from conftest import CONSUMER_DID, PROVIDER_DID, Pair
from connector_meshes import write_stl
from test_dsp_flow import MEMBERS_ONLY, PRINT_LICENCE

from connector.audit.verify import verify_export

KEY = {"X-Api-Key": "test-management-key-123"}
PCF = {
    "id": "pcf-1",
    "productId": "bracket-A",
    "productName": "Mounting bracket A",
    "companyName": "Werkzeugbau Beispiel GmbH",
    "declaredUnit": "piece",
    "unitaryProductAmount": 1,
    "pcfExcludingBiogenic": 2.41,
    "referencePeriodStart": "2025-01-01T00:00:00Z",
    "referencePeriodEnd": "2025-12-31T23:59:59Z",
    "geography": "DE",
}


def mgmt(pair: Pair, side: str) -> httpx.AsyncClient:
    node = pair.provider if side == "provider" else pair.consumer
    return httpx.AsyncClient(
        transport=pair.client._transport, base_url=node.base + "/management/v1", headers=KEY
    )


async def _provider_setup(pair: Pair, tmp_path: Path) -> dict[str, Any]:
    api = mgmt(pair, "provider")
    stl = write_stl(tmp_path / "bracket.stl").read_bytes()
    up = await api.post(
        "/assets/files",
        params={"title": "Bracket", "fileName": "bracket.stl", "id": "urn:asset:bracket"},
        content=stl,
    )
    assert up.status_code == 201, up.text
    asset = up.json()
    assert asset["sha256"] == hashlib.sha256(stl).hexdigest() and asset["size"] == len(stl)
    assert asset["properties"]["print"]["boundingBoxMm"] == {"x": 20.0, "y": 10.0, "z": 5.0}
    records = await api.post(
        "/assets/records",
        json={
            "id": "urn:asset:pcf",
            "title": "PCF of bracket A",
            "recordType": "pcf",
            "records": [PCF],
        },
    )
    assert records.status_code == 201, records.text
    for name, policy in (
        ("members", MEMBERS_ONLY),
        ("print3", PRINT_LICENCE),
        ("use-members", MEMBERS_ONLY),
    ):
        assert (await api.put(f"/policies/{name}", json=policy)).status_code == 200
    assert (
        await api.put(
            "/offers/bracket-print",
            json={
                "assets": {"assets": ["urn:asset:bracket"]},
                "accessPolicy": "members",
                "contractPolicy": "print3",
            },
        )
    ).status_code == 200
    assert (
        await api.put(
            "/offers/pcf-members",
            json={
                "assets": {"record_type": "pcf"},
                "accessPolicy": "members",
                "contractPolicy": "use-members",
            },
        )
    ).status_code == 200
    return asset


async def test_full_flow_through_the_management_api(pair: Pair, tmp_path: Path) -> None:
    asset = await _provider_setup(pair, tmp_path)
    consumer = mgmt(pair, "consumer")
    catalog = await consumer.post(
        "/consumer/catalog", json={"provider": pair.provider.dsp, "providerDid": PROVIDER_DID}
    )
    assert catalog.status_code == 200, catalog.text
    datasets = {d["@id"]: d for d in catalog.json()["dataset"]}
    assert set(datasets) == {"urn:asset:bracket", "urn:asset:pcf"}
    bracket = datasets["urn:asset:bracket"]
    assert bracket["https://w3id.org/hinterland/print#metadata"]["triangles"] == 12
    offer = {**bracket["hasPolicy"][0], "target": bracket["@id"]}
    negotiation = await consumer.post(
        "/consumer/negotiations",
        json={
            "provider": pair.provider.dsp,
            "providerDid": PROVIDER_DID,
            "offer": offer,
            "wait": 10,
        },
    )
    assert negotiation.status_code == 201 and negotiation.json()["state"] == "FINALIZED", (
        negotiation.text
    )
    agreement_id = negotiation.json()["agreementId"]
    agreements = (await consumer.get("/agreements", params={"role": "consumer"})).json()
    assert [a["id"] for a in agreements] == [agreement_id]

    transfer = await consumer.post(
        "/consumer/transfers",
        json={"agreementId": agreement_id, "action": "print", "purpose": "prototyping", "wait": 10},
    )
    assert transfer.json()["state"] == "STARTED", transfer.text
    assert (transfer.json()["use"], transfer.json()["of"]) == (None, None)  # provider-side only
    pid = transfer.json()["pid"]
    data = await consumer.get(f"/consumer/transfers/{pid}/data")
    assert data.status_code == 200
    assert hashlib.sha256(data.content).hexdigest() == asset["sha256"]
    assert data.headers["repr-digest"].startswith("sha-256=:")
    licence = await consumer.get(f"/consumer/transfers/{pid}/licence")
    assert licence.json()["credentialSubject"]["useNumber"] == 1

    provider = mgmt(pair, "provider")
    provider_transfers = (await provider.get("/transfers", params={"role": "provider"})).json()
    assert provider_transfers[0]["use"] == 1 and provider_transfers[0]["of"] == 3
    audit = await provider.get("/audit")
    assert audit.status_code == 200
    report = verify_export(audit.text, pair.provider.app.state.did_document)
    assert report.valid, report.findings
    kinds = {json.loads(line).get("kind") for line in audit.text.splitlines()}
    assert {
        "policy.access",
        "policy.contract",
        "policy.usage",
        "negotiation.transition",
        "transfer.transition",
        "dataplane.access",
    } <= kinds


async def test_pcf_records_reach_members_only(pair: Pair, tmp_path: Path, claims: dict) -> None:
    await _provider_setup(pair, tmp_path)
    consumer = mgmt(pair, "consumer")
    catalog = (
        await consumer.post(
            "/consumer/catalog", json={"provider": pair.provider.dsp, "providerDid": PROVIDER_DID}
        )
    ).json()
    pcf = next(d for d in catalog["dataset"] if d["@id"] == "urn:asset:pcf")
    offer = {**pcf["hasPolicy"][0], "target": pcf["@id"]}
    negotiation = (
        await consumer.post(
            "/consumer/negotiations",
            json={
                "provider": pair.provider.dsp,
                "providerDid": PROVIDER_DID,
                "offer": offer,
                "wait": 10,
            },
        )
    ).json()
    transfer = (
        await consumer.post(
            "/consumer/transfers", json={"agreementId": negotiation["agreementId"], "wait": 10}
        )
    ).json()
    assert transfer["state"] == "STARTED", transfer
    records = (await consumer.get(f"/consumer/transfers/{transfer['pid']}/data")).json()
    assert records == [PCF]
    # membership lapses: the next transfer of the same agreement is refused
    claims[CONSUMER_DID] = {}
    pair.provider.state._claims_cache.clear()
    refused = (
        await consumer.post(
            "/consumer/transfers", json={"agreementId": negotiation["agreementId"], "wait": 10}
        )
    ).json()
    assert refused["state"] == "TERMINATED"
    assert "membership" in refused["reason"]


async def test_management_api_refuses_bad_keys_and_bad_input(pair: Pair) -> None:
    api = mgmt(pair, "provider")
    bare = httpx.AsyncClient(transport=pair.client._transport, base_url=api.base_url)
    assert (await bare.get("/assets")).status_code == 401
    assert (await bare.get("/assets", headers={"X-Api-Key": "wrong"})).status_code == 401
    assert (
        await bare.get("/assets", headers={"Authorization": "Bearer test-management-key-123"})
    ).status_code == 200
    bad_pcf = await api.post(
        "/assets/records",
        json={"title": "x", "recordType": "pcf", "records": [{**PCF, "geography": "Germany"}]},
    )
    assert bad_pcf.status_code == 400 and "record 1 (pcf-1)" in bad_pcf.json()["message"]
    csv_body = (
        "id,productId,productName,companyName,declaredUnit,unitaryProductAmount,pcfExcludingBiogenic,referencePeriodStart,referencePeriodEnd,geography\n"
        "p1,A,Bracket,ACME,piece,1,2.5,2025-01-01T00:00:00Z,2025-12-31T00:00:00Z,DE\n"
    )
    ok_csv = await api.post(
        "/assets/records/csv", params={"title": "csv", "recordType": "pcf"}, content=csv_body
    )
    assert ok_csv.status_code == 201, ok_csv.text
    broken = {
        "permission": [
            {
                "action": "print",
                "constraint": [
                    {"leftOperand": "count", "operator": "lteq", "rightOperand": "three"}
                ],
            }
        ]
    }
    bad_policy = await api.put("/policies/broken", json=broken)
    assert (
        bad_policy.status_code == 400 and "'three' is not a number" in bad_policy.json()["message"]
    )
    missing = await api.put("/offers/o1", json={"accessPolicy": "nope", "contractPolicy": "nope"})
    assert missing.status_code == 404
    for body in (b"", b"{not json"):  # found by schemathesis: these were 500s
        unparsable = await api.put("/policies/p0", content=body)
        assert unparsable.status_code == 400, unparsable.text
        assert "the body is not JSON" in unparsable.json()["message"]
    provider = {"provider": "https://provider.example/dsp", "providerDid": "did:web:p.example"}
    no_offer = await api.post("/consumer/negotiations", json={**provider, "offer": {}})
    assert no_offer.status_code == 400, no_offer.text
    assert no_offer.json()["message"].startswith("`offer` is not an ODRL offer: @id: ")
    for address in ("", "ftp://provider.example/dsp", "/dsp", "http://pro\x06vider.example"):
        for path, extra in (("/consumer/catalog", {}), ("/consumer/negotiations", {"offer": {}})):
            body = {**provider, **extra, "provider": address}
            refused = await api.post(path, json=body)
            assert refused.status_code == 400, (path, address, refused.text)
            assert "body.provider: Value error" in refused.json()["message"], refused.text
    bad_name = await api.post(
        "/assets/files", params={"title": "x", "fileName": "../etc/passwd"}, content=b"x"
    )
    assert bad_name.status_code == 400
    assert (await api.get("/assets/urn:asset:none")).status_code == 404


async def test_a_record_filter_narrows_what_each_party_gets(pair: Pair) -> None:
    api = mgmt(pair, "provider")
    mine = {**PCF, "id": "pcf-mine", "customerDid": CONSUMER_DID}
    theirs = {**PCF, "id": "pcf-theirs", "customerDid": "did:web:other.example"}
    await api.post(
        "/assets/records",
        json={
            "id": "urn:asset:orders",
            "title": "Order PCFs",
            "recordType": "pcf",
            "records": [mine, theirs],
        },
    )
    await api.put("/policies/members", json=MEMBERS_ONLY)
    await api.put(
        "/offers/own-orders",
        json={
            "assets": {"assets": ["urn:asset:orders"]},
            "accessPolicy": "members",
            "contractPolicy": "members",
            "recordFilter": {"customerDid": "$caller"},
        },
    )
    consumer = mgmt(pair, "consumer")
    catalog = (
        await consumer.post(
            "/consumer/catalog", json={"provider": pair.provider.dsp, "providerDid": PROVIDER_DID}
        )
    ).json()
    dataset = catalog["dataset"][0]
    negotiation = (
        await consumer.post(
            "/consumer/negotiations",
            json={
                "provider": pair.provider.dsp,
                "providerDid": PROVIDER_DID,
                "offer": {**dataset["hasPolicy"][0], "target": dataset["@id"]},
                "wait": 10,
            },
        )
    ).json()
    transfer = (
        await consumer.post(
            "/consumer/transfers", json={"agreementId": negotiation["agreementId"], "wait": 10}
        )
    ).json()
    data = await consumer.get(f"/consumer/transfers/{transfer['pid']}/data")
    assert data.json() == [mine]
    assert data.headers["repr-digest"].startswith("sha-256=:")
