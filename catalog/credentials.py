"""The credentials the catalog issues: compliance (per entry) and membership (per company),
signed with the catalog's own key."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from catalog import vocab
from hinterland.did import (
    did_key_from_public_key,
    did_key_verification_method_id,
    did_web_document,
    did_web_url,
)
from hinterland.errors import ConfigurationError
from hinterland.keys import PrivateKey, load_private_key
from hinterland.proofs import sign_document


class Signer(Protocol):
    """Signs documents as the catalog."""

    did: str

    def sign(self, document: dict[str, Any]) -> dict[str, Any]:
        """Return a signed copy of `document`."""
        ...


class KernelSigner:
    """Signs with a trust-core key (eddsa-rdfc-2022) under the catalog's DID."""

    def __init__(self, key: PrivateKey, did: str, verification_method: str) -> None:
        self.key = key
        self.did = did
        self.verification_method = verification_method

    @classmethod
    def from_settings(cls, key_file: Path | None, did: str | None, data_dir: Path) -> KernelSigner:
        """Load the catalog key (creating one under the data directory on first start) and
        derive its DID: `did` when configured (its `#key-1`), else did:key from the key."""
        path = key_file or data_dir / "catalog-key.json"
        if path.exists():
            key = load_private_key(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            key = PrivateKey.generate("ed25519")
            key.save(path)
        public = key.public()
        own_did_key = did_key_from_public_key(public)
        if did and did.startswith("did:key:"):
            # a did:key names its key: only the key's own did:key can sign for it
            if did != own_did_key:
                raise ConfigurationError(
                    f"catalog.did {did} is not the did:key of the catalog key ({own_did_key})"
                )
            return cls(key, did, did_key_verification_method_id(public))
        if did:
            return cls(key, did, f"{did}#key-1")
        return cls(key, own_did_key, did_key_verification_method_id(public))

    def did_document(self) -> dict[str, Any] | None:
        """The DID document to serve when the catalog's DID is a did:web (else None)."""
        if not self.did.startswith("did:web:"):
            return None
        return did_web_document(self.did, self.key.public())

    def sign(self, document: dict[str, Any]) -> dict[str, Any]:
        """Sign with eddsa-rdfc-2022 for assertions."""
        return sign_document(document, self.key, verification_method=self.verification_method)


def did_document_path(did: str) -> str | None:
    """The URL path at which a did:web's document is served (None for other methods)."""
    if not did.startswith("did:web:"):
        return None
    url = did_web_url(did)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sha256_sri(sha256_hex: str) -> str:
    """`sha256-<base64>`: the Subresource Integrity form of a SHA-256 digest."""
    return "sha256-" + base64.b64encode(bytes.fromhex(sha256_hex)).decode()


def compliance_credential(
    *,
    catalog_did: str,
    entry_id: str,
    entry_url: str,
    sha256_hex: str,
    shapes: str,
    issued: datetime,
    valid_days: int,
    entry_valid_until: datetime | None,
) -> dict[str, Any]:
    """The unsigned compliance credential for one stored entry; it never outlives the entry."""
    until = issued + timedelta(days=valid_days)
    if entry_valid_until is not None and entry_valid_until < until:
        until = entry_valid_until
    return {
        "@context": vocab.context(),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "CatalogComplianceCredential"],
        "issuer": catalog_did,
        "validFrom": _iso(issued),
        "validUntil": _iso(until),
        "credentialSubject": {
            "id": vocab.entry_iri(entry_id),
            "type": "CatalogEntry",
            "entryId": entry_id,
            "describedBy": entry_url,
            "canonicalSha256": sha256_hex,
            "digestSRI": sha256_sri(sha256_hex),
            "shapesVersion": shapes,
        },
    }


def membership_credential(
    *,
    catalog_did: str,
    member_did: str,
    name: str,
    entry_url: str,
    issued: datetime,
    valid_days: int,
    catalog_url: str,
    spatial: str | None = None,
) -> dict[str, Any]:
    """The unsigned MembershipCredential of an onboarded company.

    `spatial` is the ISO 3166 code of the headquarters its verified LegalParticipant
    declares, so connectors can enforce location constraints on a claim the data space
    attests rather than on what a caller says about itself.
    """
    return {
        "@context": vocab.context(),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "MembershipCredential"],
        "issuer": catalog_did,
        "validFrom": _iso(issued),
        "validUntil": _iso(issued + timedelta(days=valid_days)),
        "credentialSubject": {
            "id": member_did,
            "type": "CatalogMember",
            "name": name,
            "memberOf": catalog_url,
            "onboardedBy": entry_url,
            **({"spatial": spatial} if spatial else {}),
        },
    }
