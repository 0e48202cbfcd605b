"""The demo's story: a tool-maker in Bielefeld, a print shop in Dresden, one catalog.

Every step talks to the servers through their public APIs only. A step that does not
come out as the story says raises `StoryFailed`, so `hinterland demo` exits non-zero.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from hinterland.demo.parts import carbon_footprint, write_bracket
from hinterland.demo.servers import Server
from hinterland.did import did_key_from_public_key
from hinterland.errors import HinterlandError
from hinterland.keys import PrivateKey
from hinterland.proofs import sign_document
from hinterland.vocabulary import CONTEXT as HINTERLAND_CONTEXT
from hinterland.vocabulary import CREDENTIALS_V2

DSP_PATH = "/dsp/2025-1"
BRACKET = "urn:asset:bracket-60x40"
PCF = "urn:asset:pcf-bracket"


class StoryFailed(HinterlandError):
    """A step of the demo did not turn out as the story says."""

    code = "demo_failed"


@dataclass
class Outcome:
    """One line of the summary table."""

    step: str
    result: str


Report = Callable[[str, str], None]


@dataclass
class Party:
    """A company running a connector in the demo."""

    name: str
    city: str
    region: str
    server: Server
    api_key: str
    key: PrivateKey = field(default_factory=PrivateKey.generate)

    @property
    def did(self) -> str:
        return f"did:web:127.0.0.1%3A{self.server.port}"

    @property
    def dsp(self) -> str:
        return self.server.base + DSP_PATH

    @contextmanager
    def management(self) -> Iterator[httpx.Client]:
        with httpx.Client(
            base_url=self.server.base + "/management/v1",
            headers={"X-Api-Key": self.api_key},
            timeout=60,
        ) as client:
            yield client


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise StoryFailed(message)


def _json(response: httpx.Response, what: str, *statuses: int) -> Any:
    _expect(
        response.status_code in (statuses or (200,)),
        f"{what}: HTTP {response.status_code}: {response.text[:500]}",
    )
    return response.json()


def _until(what: str, probe: Callable[[], Any], timeout: float = 30) -> Any:
    """Poll `probe` until it returns something truthy (servers publish in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise StoryFailed(f"{what} did not happen within {timeout:.0f} s")


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Story:
    """Builds the data space in `root`, plays the story, and stops every server."""

    def __init__(self, root: Path, report: Report) -> None:
        self.root = root
        self.report = report
        self.outcomes: list[Outcome] = []
        self.catalog_key = PrivateKey.generate()
        self.catalog_did = did_key_from_public_key(self.catalog_key.public())
        self.catalog = Server("catalog", "Data space catalog", root / "catalog", {})
        self.toolmaker = Party(
            "Werkzeugbau Bielefeld GmbH", "Bielefeld", "DE-NW",
            Server("connector", "tool-maker", root / "toolmaker", {}), "demo-key-toolmaker-0001",
        )
        self.printshop = Party(
            "Druckerei Dresden GmbH", "Dresden", "DE-SN",
            Server("connector", "print shop", root / "printshop", {}), "demo-key-printshop-0001",
        )
        self.until = _iso(datetime.now(UTC) + timedelta(days=130))

    # ------------------------------------------------------------------ set-up

    def _done(self, step: str, result: str) -> None:
        self.outcomes.append(Outcome(step, result))
        self.report(step, result)

    def _common(self, directory: Path) -> dict[str, Any]:
        return {
            "data_dir": str(directory / "data"),
            "database": {"url": "", "migrate_on_start": True},
            # Loopback-only demo: DIDs are did:web on 127.0.0.1 served over plain HTTP.
            "did": {"allow_private_addresses": True, "allow_http": True, "cache_seconds": 30},
            "log_level": "INFO",
            "log_json": True,
        }

    def _connector_settings(self, party: Party, *, join: bool, declare: dict[str, Any] | None
                            ) -> dict[str, Any]:
        key_file = party.server.directory / "keys" / "signing-key.json"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            party.key.save(key_file)
        connector: dict[str, Any] = {
            "did": party.did,
            "public_url": party.server.base,
            "key_file": str(key_file),
            "management_api_key": party.api_key,
            "legal_name": party.name,
            "region": party.region,
            "trusted_issuers": [self.catalog_did],
            "catalogs": [self.catalog.base] if join else [],
            "poll_seconds": 0.2,
        }
        if declare is not None:
            connector["declare"] = declare
        return {**self._common(party.server.directory), "connector": connector}

    def _toolmaker_declarations(self, bracket: Path) -> dict[str, Any]:
        members = {"permission": [{"action": "use", "constraint": [
            {"leftOperand": "hl:membership", "operator": "eq",
             "rightOperand": self.catalog.base}]}]}
        print_licence = {"permission": [{"action": "print", "constraint": [
            {"leftOperand": "count", "operator": "lteq", "rightOperand": "3"},
            {"leftOperand": "purpose", "operator": "eq", "rightOperand": "prototyping"},
            {"leftOperand": "spatial", "operator": "isPartOf", "rightOperand": "DE"},
            {"leftOperand": "dateTime", "operator": "lteq",
             "rightOperand": {"@value": self.until, "@type": "xsd:dateTime"}},
        ]}]}
        return {
            "policies": {"members": members, "print-licence": print_licence,
                         "open": {"permission": [{"action": "use"}]}},
            "assets": [
                {"id": BRACKET, "title": "Mounting bracket 60x40 (PA12, SLS)",
                 "description": "Printable mounting bracket for PA12 selective laser sintering",
                 "file": str(bracket),
                 "properties": {"material": "PA12", "process": "SLS", "keyword": ["bracket"]}},
                {"id": PCF, "title": "Carbon footprint of the mounting bracket",
                 "recordType": "pcf", "records": [carbon_footprint()]},
            ],
            "offers": {
                "bracket-print": {"assets": {"assets": [BRACKET]}, "accessPolicy": "open",
                                  "contractPolicy": "print-licence"},
                "pcf-members": {"assets": {"record_type": "pcf"}, "accessPolicy": "members",
                                "contractPolicy": "members"},
            },
        }

    def start(self) -> None:
        """Keys and DIDs, then the catalog and the two connectors."""
        self.root.mkdir(parents=True, exist_ok=True)
        catalog_key_file = self.catalog.directory / "keys" / "signing-key.json"
        catalog_key_file.parent.mkdir(parents=True, exist_ok=True)
        self.catalog_key.save(catalog_key_file)
        self.catalog.settings = {
            **self._common(self.catalog.directory),
            "catalog": {"base_url": self.catalog.base, "key_file": str(catalog_key_file),
                        "participant_policy": "onboarded"},
        }
        bracket = write_bracket(self.root / "bracket-60x40.stl")
        self.toolmaker.server.settings = self._connector_settings(
            self.toolmaker, join=True, declare=self._toolmaker_declarations(bracket))
        self.printshop.server.settings = self._connector_settings(
            self.printshop, join=False, declare=None)
        self.bracket = bracket
        self._done("keys and DIDs", f"catalog {self.catalog_did[:32]}..., "
                   f"{self.toolmaker.did}, {self.printshop.did}")
        for server in (self.catalog, self.toolmaker.server, self.printshop.server):
            server.start()
        self._done("servers", f"catalog {self.catalog.base}, tool-maker "
                   f"{self.toolmaker.server.base}, print shop {self.printshop.server.base}")

    def stop(self) -> None:
        """Stop every server that was started."""
        for server in (self.printshop.server, self.toolmaker.server, self.catalog):
            server.stop()

    # ------------------------------------------------------------------ helpers

    def _membership(self, party: Party) -> bool:
        url = f"{self.catalog.base}/participants/{party.did}/membership"
        return httpx.get(url, timeout=10).status_code == 200

    def _offers(self, consumer: Party, provider: Party) -> dict[str, dict[str, Any]]:
        with consumer.management() as api:
            catalog = _json(api.post("/consumer/catalog", json={
                "provider": provider.dsp, "providerDid": provider.did}), "DSP catalog request")
        return {
            dataset["@id"]: {**dataset["hasPolicy"][0], "target": dataset["@id"]}
            for dataset in catalog.get("dataset", [])
        }

    def _negotiate(self, consumer: Party, provider: Party, offer: dict[str, Any]
                   ) -> dict[str, Any]:
        with consumer.management() as api:
            result: dict[str, Any] = _json(api.post("/consumer/negotiations", json={
                "provider": provider.dsp, "providerDid": provider.did,
                "offer": offer, "wait": 30}), "negotiation", 201)
        return result

    def _transfer(self, consumer: Party, agreement: str, **params: Any) -> dict[str, Any]:
        with consumer.management() as api:
            result: dict[str, Any] = _json(api.post("/consumer/transfers", json={
                "agreementId": agreement, "wait": 30, **params}), "transfer", 201)
        return result

    # ------------------------------------------------------------------ the story

    def onboard_toolmaker(self) -> None:
        """The tool-maker published its LegalParticipant and offerings at start."""
        _until("the tool-maker's onboarding", lambda: self._membership(self.toolmaker))
        found = _until("the bracket's description in the catalog", lambda: [
            item for item in httpx.get(f"{self.catalog.base}/self-descriptions",
                                       params={"q": "bracket"}, timeout=10).json()["items"]
            if item.get("issuer") == self.toolmaker.did
            and str(item.get("subjectId", "")).endswith(BRACKET)])
        self.bracket_entry = found[0]["id"]
        self._done("onboarding", f"{self.toolmaker.name} is a member; its signed descriptions "
                   "are verified and listed")

    def search(self) -> None:
        """A partner firm searches the catalog."""
        result = _json(httpx.get(f"{self.catalog.base}/self-descriptions",
                                 params={"q": "PA12 bracket"}, timeout=10), "search")
        names = [item.get("name") or item["id"] for item in result["items"]]
        _expect(any("bracket" in str(name).lower() for name in names),
                f"search for 'PA12 bracket' found {names}")
        self._done("search", f"'PA12 bracket' finds {names[0]!r} "
                   f"({result.get('total', len(names))} hit(s))")

    def refuse_non_member(self) -> None:
        """The print shop has not joined yet: the members-only PCF offer stays closed."""
        offers = self._offers(self.printshop, self.toolmaker)
        _expect(BRACKET in offers, "the open bracket offer should be visible to anyone")
        _expect(PCF not in offers, "a non-member must not see the members-only PCF offer")
        forced = {"@id": "urn:hinterland:offer:pcf-members:" + PCF, "@type": "Offer",
                  "target": PCF, "permission": [{"action": "use"}]}
        refused = self._negotiate(self.printshop, self.toolmaker, forced)
        _expect(refused["state"] == "TERMINATED", f"non-member negotiation: {refused}")
        self._done("PCF records, non-member", f"refused: offer hidden; negotiation terminated "
                   f"({refused.get('reason', 'no reason given')})")

    def join_printshop(self) -> None:
        """The print shop joins: it publishes its LegalParticipant and gets membership."""
        self.printshop.server.stop()
        self.printshop.server.settings = self._connector_settings(
            self.printshop, join=True, declare=None)
        self.printshop.server.start()
        _until("the print shop's onboarding", lambda: self._membership(self.printshop))
        _until("the print shop's membership to be accepted by the tool-maker",
               lambda: PCF in self._offers(self.printshop, self.toolmaker), timeout=60)
        self._done("onboarding", f"{self.printshop.name} joined; the catalog issued its "
                   "MembershipCredential")

    def match_need(self) -> None:
        """The print shop publishes a signed Need; the catalog matches it to offers."""
        need = {
            "@context": [CREDENTIALS_V2, HINTERLAND_CONTEXT],
            "type": ["VerifiableCredential"],
            "issuer": self.printshop.did,
            "validFrom": _iso(datetime.now(UTC) - timedelta(minutes=1)),
            "credentialSubject": {
                "id": f"{self.printshop.server.base}/needs/bracket",
                "type": "Need", "name": "PA12 bracket to print by SLS",
                "seeks": "ServiceOffering", "material": "PA12", "format": "STL",
                "region": "DE", "quantity": 3, "deadline": self.until,
            },
        }
        signed = sign_document(need, self.printshop.key,
                               verification_method=f"{self.printshop.did}#key-1")
        created = _json(httpx.post(f"{self.catalog.base}/self-descriptions", json=signed,
                                   timeout=30), "publishing the need", 201)
        matches = _json(httpx.get(f"{self.catalog.base}/self-descriptions/{created['id']}"
                                  "/matches", timeout=30), "matches")
        _expect(bool(matches["matches"]), "the need matched no offer")
        best = matches["matches"][0]
        _expect(best["entry"]["id"] == self.bracket_entry,
                f"the bracket should match first, got {best['entry']}")
        why = ", ".join(r["text"] for r in best["reasons"] if r.get("matched")) or "text"
        self._done("need matched", f"best offer: the bracket (score {best['score']:.2f}: {why})")

    def license_prints(self) -> None:
        """Negotiate the print licence, print three times, be refused the fourth."""
        offer = self._offers(self.printshop, self.toolmaker)[BRACKET]
        negotiation = self._negotiate(self.printshop, self.toolmaker, offer)
        _expect(negotiation["state"] == "FINALIZED", f"negotiation: {negotiation}")
        agreement = negotiation["agreementId"]
        self._done("negotiation", f"agreement {agreement} (DSP, FINALIZED)")
        digest = hashlib.sha256(self.bracket.read_bytes()).hexdigest()
        for n in (1, 2, 3):
            started = self._transfer(self.printshop, agreement, action="print",
                                     purpose="prototyping")
            _expect(started["state"] == "STARTED", f"print {n}: {started}")
            with self.printshop.management() as api:
                data = api.get(f"/consumer/transfers/{started['pid']}/data")
                licence = _json(api.get(f"/consumer/transfers/{started['pid']}/licence"),
                                "licence")
            _expect(hashlib.sha256(data.content).hexdigest() == digest,
                    f"print {n}: the file arrived altered")
            subject = licence["credentialSubject"]
            _expect(subject["useNumber"] == n and subject["usesAllowed"] == 3,
                    f"print {n}: licence says {subject}")
            self._done(f"print {n}", f"print {n} of 3 licensed; file SHA-256 {digest[:16]}... "
                       "with a signed licence")
        fourth = self._transfer(self.printshop, agreement, action="print", purpose="prototyping")
        _expect(fourth["state"] == "TERMINATED", f"the fourth print was not refused: {fourth}")
        self.fourth_reason = str(fourth.get("reason", ""))
        _expect("3 of 3" in self.fourth_reason, f"unclear refusal: {self.fourth_reason}")
        self._done("print 4", f"refused: {self.fourth_reason}")

    def deliver_records(self) -> None:
        """The member receives the carbon-footprint records."""
        offer = self._offers(self.printshop, self.toolmaker)[PCF]
        negotiation = self._negotiate(self.printshop, self.toolmaker, offer)
        _expect(negotiation["state"] == "FINALIZED", f"PCF negotiation: {negotiation}")
        transfer = self._transfer(self.printshop, negotiation["agreementId"])
        with self.printshop.management() as api:
            records = _json(api.get(f"/consumer/transfers/{transfer['pid']}/data"), "records")
        _expect(records == [carbon_footprint()], f"unexpected PCF records {records}")
        self._done("PCF records, member", f"delivered: {records[0]['productName']}, "
                   f"{records[0]['pcfExcludingBiogenic']} kg CO2e per piece")

    def audit(self) -> None:
        """An auditor verifies a published description and the tool-maker's audit log."""
        import asyncio

        from connector.audit.verify import verify_export
        from hinterland.did import DidResolver
        from hinterland.settings import DidSettings
        from hinterland.verify import VerifyOptions, verify_document

        entry = _json(httpx.get(f"{self.catalog.base}/self-descriptions/{self.bracket_entry}",
                                timeout=10), "the bracket's entry")
        resolver = DidResolver(DidSettings(allow_private_addresses=True, allow_http=True))
        report = asyncio.run(verify_document(entry["document"], resolver=resolver,
                                             options=VerifyOptions()))
        _expect(report.valid, "the description did not verify: " + "; ".join(
            f"{c.name}: {c.reason}" for c in report.failures()))
        self._done("auditor checks a description", f"VALID ({len(report.checks)} checks: "
                   "signature, key binding, contexts, terms, validity)")
        with self.toolmaker.management() as api:
            exported = api.get("/audit").text
        did_document = _json(httpx.get(self.toolmaker.server.base + "/.well-known/did.json",
                                       timeout=10), "the tool-maker's DID document")
        audit_file = self.root / "toolmaker-audit.jsonl"
        audit_file.write_text(exported, encoding="utf-8")
        (self.root / "toolmaker-did.json").write_text(json.dumps(did_document), "utf-8")
        result = verify_export(exported, did_document)
        _expect(result.valid, f"the audit log did not verify: {result.findings}")
        denial = [line for line in exported.splitlines()
                  if '"allowed":false' in line and "3 of 3" in line]
        _expect(bool(denial), "the refused fourth print is missing from the audit log")
        self._done("auditor checks the audit log", f"intact: {result.entries} entries, "
                   f"{result.checkpoints} signed checkpoint(s); the refusal is recorded")

    def play(self) -> list[Outcome]:
        """Every step in order."""
        self.start()
        self.onboard_toolmaker()
        self.search()
        self.refuse_non_member()
        self.join_printshop()
        self.match_need()
        self.license_prints()
        self.deliver_records()
        self.audit()
        return self.outcomes
