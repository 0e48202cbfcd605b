"""Two (and three) connector processes on real loopback ports: a tool-maker offers an STL
bracket under a 3-print licence and PCF records for members only; a print shop (a member)
and a stranger consume. Also: SIGKILL in the middle of a negotiation and of a download.

DIDs are did:web on 127.0.0.1 ports, resolved over HTTP from the connectors themselves;
the data space authority that issues memberships is a did:key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from connector_meshes import write_stl
from connector_procs import API_KEY, CatalogProcess, ConnectorProcess

from connector.audit.verify import verify_export
from connector.credentials import membership_credential
from hinterland.did import did_key_from_public_key, did_key_verification_method_id
from hinterland.keys import PrivateKey

pytestmark = pytest.mark.slow

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
UNTIL = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
POLICIES = {
    "members": {
        "permission": [
            {
                "action": "use",
                "constraint": [
                    {"leftOperand": "hl:membership", "operator": "eq", "rightOperand": "hinterland"}
                ],
            }
        ]
    },
    "open": {"permission": [{"action": "use"}]},
    "print3": {
        "permission": [
            {
                "action": "print",
                "constraint": [
                    {"leftOperand": "count", "operator": "lteq", "rightOperand": "3"},
                    {"leftOperand": "purpose", "operator": "eq", "rightOperand": "prototyping"},
                    {"leftOperand": "spatial", "operator": "isPartOf", "rightOperand": "DE"},
                    {
                        "leftOperand": "dateTime",
                        "operator": "lteq",
                        "rightOperand": {"@value": UNTIL, "@type": "xsd:dateTime"},
                    },
                ],
            }
        ]
    },
}


class Space:
    """The authority of the data space (a did:key) and the processes started in a test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.key = PrivateKey.generate()
        self.did = did_key_from_public_key(self.key.public())
        self.procs: list[ConnectorProcess] = []

    def member_credentials(self, proc: ConnectorProcess) -> Path:
        directory = proc.directory / "credentials"
        directory.mkdir(parents=True, exist_ok=True)
        credential = membership_credential(
            self.key,
            issuer=self.did,
            holder=proc.did,
            membership="hinterland",
            extra={"spatial": "DE"},
            verification_method=did_key_verification_method_id(self.key.public()),
        )
        (directory / "membership.json").write_text(json.dumps(credential))
        return directory

    def tool_maker(self, files: dict[str, Path], **options: Any) -> ConnectorProcess:
        proc = ConnectorProcess("tool-maker", self.root / "tool-maker")
        proc.connector = {
            "trusted_issuers": [self.did],
            "declare": {
                "policies": POLICIES,
                "assets": [
                    {
                        "id": "urn:asset:bracket",
                        "title": "Mounting bracket",
                        "file": str(files["bracket"]),
                    },
                    {
                        "id": "urn:asset:pcf",
                        "title": "PCF bracket A",
                        "recordType": "pcf",
                        "records": [PCF],
                    },
                    *(
                        [{"id": "urn:asset:big", "title": "Big part", "file": str(files["big"])}]
                        if "big" in files
                        else []
                    ),
                ],
                "offers": {
                    "bracket-print": {
                        "assets": {"assets": ["urn:asset:bracket"]},
                        "accessPolicy": "open",
                        "contractPolicy": "print3",
                    },
                    "pcf-members": {
                        "assets": {"record_type": "pcf"},
                        "accessPolicy": "members",
                        "contractPolicy": "members",
                    },
                    "big-open": {
                        "assets": {"assets": ["urn:asset:big"]},
                        "accessPolicy": "open",
                        "contractPolicy": "open",
                    },
                },
            },
            **options,
        }
        self.procs.append(proc)
        return proc

    def consumer(self, name: str, *, member: bool) -> ConnectorProcess:
        proc = ConnectorProcess(name, self.root / name)
        if member:
            proc.connector = {"credentials_dir": str(self.member_credentials(proc))}
        self.procs.append(proc)
        return proc


@pytest.fixture
def space(tmp_path: Path) -> Iterator[Space]:
    built = Space(tmp_path)
    try:
        yield built
    finally:
        for proc in built.procs:
            proc.stop()


def _offer(consumer: ConnectorProcess, provider: ConnectorProcess, asset: str) -> dict[str, Any]:
    with consumer.management() as api:
        catalog = api.post(
            "/consumer/catalog", json={"provider": provider.dsp, "providerDid": provider.did}
        )
        assert catalog.status_code == 200, catalog.text
        for dataset in catalog.json().get("dataset", []):
            if dataset["@id"] == asset:
                return {**dataset["hasPolicy"][0], "target": asset}
    raise AssertionError(f"{asset} not in the catalog seen by {consumer.name}")


def _negotiate(
    consumer: ConnectorProcess, provider: ConnectorProcess, offer: dict[str, Any], wait: float = 30
) -> dict[str, Any]:
    with consumer.management() as api:
        reply = api.post(
            "/consumer/negotiations",
            json={
                "provider": provider.dsp,
                "providerDid": provider.did,
                "offer": offer,
                "wait": wait,
            },
        )
        assert reply.status_code == 201, reply.text
        return dict(reply.json())


def _transfer(consumer: ConnectorProcess, agreement: str, **body: Any) -> dict[str, Any]:
    with consumer.management() as api:
        reply = api.post("/consumer/transfers", json={"agreementId": agreement, "wait": 30, **body})
        assert reply.status_code == 201, reply.text
        return dict(reply.json())


def _search(catalog: CatalogProcess, text: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        reply = httpx.get(catalog.base + "/self-descriptions", params={"q": text})
        items = reply.json().get("items", []) if reply.status_code == 200 else []
        if items:
            return list(items)
        time.sleep(0.3)
    raise AssertionError(f"nothing found for {text!r} in the catalog")


def test_print_licence_and_member_records_across_processes(space: Space, tmp_path: Path) -> None:
    bracket = write_stl(tmp_path / "bracket.stl")
    catalog = CatalogProcess(tmp_path / "catalog")
    catalog.start()
    try:
        _scenario(space, bracket, catalog)
    finally:
        catalog.stop()


def _scenario(space: Space, bracket: Path, catalog: CatalogProcess) -> None:
    provider = space.tool_maker(
        {"bracket": bracket},
        catalogs=[catalog.base],
        legal_name="Werkzeugbau Beispiel GmbH",
        region="DE-SN",
    )
    shop = space.consumer("print-shop", member=True)
    stranger = space.consumer("stranger", member=False)
    for proc in (provider, shop, stranger):
        proc.start()

    # the print shop finds the bracket in the federated catalog, with its print metadata
    described: dict[str, Any] = {}
    for item in _search(catalog, "mounting bracket"):
        entry = httpx.get(f"{catalog.base}/self-descriptions/{item['id']}").json()
        if entry["document"]["credentialSubject"].get("gx:name") == "Mounting bracket":
            described = entry["document"]["credentialSubject"]
    assert described["gx:providedBy"]["id"] == provider.did
    assert described["hl:triangleCount"] == 12
    assert described["hl:dspEndpoint"] == provider.dsp

    negotiation = _negotiate(shop, provider, _offer(shop, provider, "urn:asset:bracket"))
    assert negotiation["state"] == "FINALIZED", negotiation
    digest = hashlib.sha256(bracket.read_bytes()).hexdigest()
    for n in (1, 2, 3):
        started = _transfer(shop, negotiation["agreementId"], action="print", purpose="prototyping")
        assert started["state"] == "STARTED", started
        with shop.management() as api:
            data = api.get(f"/consumer/transfers/{started['pid']}/data")
            assert hashlib.sha256(data.content).hexdigest() == digest
            licence = api.get(f"/consumer/transfers/{started['pid']}/licence").json()
        assert licence["credentialSubject"]["useNumber"] == n
        assert licence["credentialSubject"]["usesAllowed"] == 3
    fourth = _transfer(shop, negotiation["agreementId"], action="print", purpose="prototyping")
    assert fourth["state"] == "TERMINATED"
    assert "print count 3 of 3" in fourth["reason"], fourth

    # PCF records: the member gets them, the stranger does not even see the offer
    pcf = _negotiate(shop, provider, _offer(shop, provider, "urn:asset:pcf"))
    records = _transfer(shop, pcf["agreementId"])
    with shop.management() as api:
        assert api.get(f"/consumer/transfers/{records['pid']}/data").json() == [PCF]
    with pytest.raises(AssertionError, match="not in the catalog"):
        _offer(stranger, provider, "urn:asset:pcf")
    forced = {
        "@id": "urn:hinterland:offer:pcf-members:urn:asset:pcf",
        "@type": "Offer",
        "target": "urn:asset:pcf",
        **POLICIES["members"],
    }
    refused = _negotiate(stranger, provider, forced)
    assert refused["state"] == "TERMINATED" and "unknown offer" in refused["reason"]

    # the refusal of the fourth print is in the provider's audit log, which verifies
    with provider.management() as api:
        audit = api.get("/audit").text
        did_document = httpx.get(provider.base + "/.well-known/did.json").json()
    denials = [
        json.loads(line)
        for line in audit.splitlines()
        if '"policy.usage"' in line and '"allowed":false' in line
    ]
    assert any("print count 3 of 3" in d["data"]["reason"] for d in denials)
    report = verify_export(audit, did_document)
    assert report.valid, report.findings


def test_sigkill_in_the_middle_of_a_negotiation(space: Space, tmp_path: Path) -> None:
    provider = space.tool_maker({"bracket": write_stl(tmp_path / "bracket.stl")})
    shop = space.consumer("print-shop", member=True)
    provider.start()
    shop.start()
    offer = _offer(shop, provider, "urn:asset:bracket")
    provider.kill()  # the provider is gone: the request waits in the shop's outbox
    started = _negotiate(shop, provider, offer, wait=0)
    time.sleep(1.0)
    shop.kill()  # and now the shop dies too, with the request still unsent
    provider.start()
    shop.start()
    with shop.management() as api:
        deadline = time.monotonic() + 60
        state = None
        while time.monotonic() < deadline:
            state = api.get(f"/negotiations/{started['pid']}").json()
            if state["state"] in ("FINALIZED", "TERMINATED"):
                break
            time.sleep(0.2)
    assert state is not None and state["state"] == "FINALIZED", state
    with provider.management() as api:
        provider_side = api.get("/negotiations").json()
    assert [n["state"] for n in provider_side] == ["FINALIZED"]  # exactly one, no duplicate


def test_sigkill_in_the_middle_of_a_download(space: Space, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(64 * 1024 * 1024))
    provider = space.tool_maker({"bracket": write_stl(tmp_path / "bracket.stl"), "big": big})
    shop = space.consumer("print-shop", member=True)
    provider.start()
    shop.start()
    negotiation = _negotiate(shop, provider, _offer(shop, provider, "urn:asset:big"))
    transfer = _transfer(shop, negotiation["agreementId"])
    assert transfer["state"] == "STARTED"
    target = tmp_path / "download.bin"
    received = 0
    with (
        shop.management() as api,
        api.stream("GET", f"/consumer/transfers/{transfer['pid']}/data") as response,
        target.open("wb") as out,
    ):
        for chunk in response.iter_bytes(1024 * 1024):
            out.write(chunk)
            received += len(chunk)
            if received >= 8 * 1024 * 1024:
                provider.kill()
                break
    assert 0 < received < big.stat().st_size
    provider.start()
    # resume from where the file ends, through the shop
    with shop.management() as api:
        rest = api.get(
            f"/consumer/transfers/{transfer['pid']}/data",
            headers={"Range": f"bytes={target.stat().st_size}-"},
        )
        assert rest.status_code == 206, rest.text
        with target.open("ab") as out:
            out.write(rest.content)
        state = api.get(f"/transfers/{transfer['pid']}").json()
    assert state["state"] == "STARTED"
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(big.read_bytes()).digest()


def test_cli_for_partner_firms(space: Space, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hinterland.cli.main import app

    provider = space.tool_maker({"bracket": write_stl(tmp_path / "bracket.stl")})
    shop = space.consumer("print-shop", member=True)
    provider.start()
    shop.start()
    env = {"HINTERLAND_CONNECTOR_URL": shop.base, "HINTERLAND_CONNECTOR_API_KEY": API_KEY}
    runner = CliRunner()
    negotiated = runner.invoke(
        app,
        [
            "connector",
            "negotiate",
            provider.dsp,
            "urn:asset:bracket",
            "--provider-did",
            provider.did,
        ],
        env=env,
    )
    assert negotiated.exit_code == 0, negotiated.output
    # (other tests may have left logging handlers that print noise into captured output)
    found = re.search(r"^agreement (\S+)$", negotiated.output, re.MULTILINE)
    assert found is not None, negotiated.output
    agreement = found.group(1)
    listed = runner.invoke(app, ["connector", "agreements"], env=env)
    assert agreement in listed.output
    for n in (1, 2, 3):
        out = tmp_path / f"print-{n}.stl"
        fetched = runner.invoke(
            app,
            [
                "connector",
                "fetch",
                agreement,
                "--out",
                str(out),
                "--action",
                "print",
                "--purpose",
                "prototyping",
            ],
            env=env,
        )
        assert fetched.exit_code == 0, fetched.output
        assert f"print {n} of 3" in fetched.output
        assert out.read_bytes() == (tmp_path / "bracket.stl").read_bytes()
        assert json.loads(out.with_name(out.name + ".licence.json").read_text())["proof"]
    refused = runner.invoke(
        app,
        [
            "connector",
            "fetch",
            agreement,
            "--out",
            str(tmp_path / "print-4.stl"),
            "--action",
            "print",
            "--purpose",
            "prototyping",
        ],
        env=env,
    )
    assert refused.exit_code == 1
    assert "print count 3 of 3" in refused.output
    wrong_key = runner.invoke(
        app, ["connector", "agreements"], env={**env, "HINTERLAND_CONNECTOR_API_KEY": "nope"}
    )
    assert wrong_key.exit_code == 2 and "401" in wrong_key.output
