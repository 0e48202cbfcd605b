"""Self-description credentials of a chosen size, shared by the benchmarks."""

from __future__ import annotations

from typing import Any


def _resource(index: int) -> dict[str, Any]:
    return {
        "type": "gx:DataResource",
        "gx:name": f"Print file {index}",
        "gx:description": f"Bracket, revision {index}, for the assembly line",
        "gx:license": "https://spdx.org/licenses/CC-BY-4.0",
        "gx:containsPII": False,
        "gx:producedBy": {"id": "did:web:acme.example"},
        "gx:exposedThrough": {"id": f"https://acme.example/dsp/assets/{index}"},
        "gx:policy": f"odrl:Offer-{index}",
        "gx:copyrightOwnedBy": {"type": "gx:LegalPerson", "gx:legalName": "ACME GmbH"},
    }


def self_description(resources: int) -> dict[str, Any]:
    """A signed-looking Gaia-X style credential: ~50 triples, plus ~10 per resource."""
    subject: dict[str, Any] = {
        "id": "did:web:acme.example",
        "type": "gx:LegalPerson",
        "gx:legalName": "ACME Maschinenbau GmbH",
        "gx:registrationNumber": {
            "type": "gx:VatID",
            "gx:vatID": "DE123456789",
            "gx:countryCode": "DE",
        },
        "gx:headquartersAddress": {
            "type": "gx:Address",
            "gx:countryCode": "DE",
            "gx:countryName": "Germany",
            "gx:locality": "Stuttgart",
            "gx:postalCode": "70173",
            "gx:streetAddress": "Hauptstrasse 1",
        },
        "gx:legalAddress": {
            "type": "gx:Address",
            "gx:countryCode": "DE",
            "gx:countryName": "Germany",
            "gx:locality": "Stuttgart",
            "gx:postalCode": "70173",
            "gx:streetAddress": "Hauptstrasse 1",
        },
        "gx:description": "Contract manufacturer for additive manufacturing",
        "gx:email": "contact@acme.example",
        "gx:url": "https://acme.example",
    }
    if resources:
        subject["gx:resources"] = [_resource(i) for i in range(resources)]
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://w3id.org/gaia-x/development#",
        ],
        "id": "https://acme.example/credentials/legal-person",
        "type": ["VerifiableCredential", "gx:LegalPerson"],
        "issuer": "did:web:acme.example",
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2027-01-01T00:00:00Z",
        "name": "ACME legal person",
        "description": "Self-description of ACME Maschinenbau GmbH",
        "credentialSubject": subject,
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-01-01T00:00:00Z",
            "verificationMethod": "did:web:acme.example#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": (
                "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKods5D2"
                "UAUL5n2Brbx"
            ),
        },
    }
