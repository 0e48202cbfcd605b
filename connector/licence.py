"""The print licence: a credential signed by the provider that travels with each print.

It names the agreement, the consumer, which print of how many this is, and the SHA-256 of
the file, so a print shop can show an auditor (or its customer) that the part was printed
under licence. Signed with Data Integrity `eddsa-rdfc-2022` like every self-description.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connector.store.tables import AgreementRow, AssetRow, TransferRow
from hinterland.keys import PrivateKey
from hinterland.proofs import sign_document

VC2 = "https://www.w3.org/ns/credentials/v2"
HL = "https://w3id.org/hinterland/licence#"
XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"
LICENCE_CONTEXT = {
    "UsageLicence": f"{HL}UsageLicence",
    "agreement": {"@id": f"{HL}agreement", "@type": "@id"},
    "asset": {"@id": f"{HL}asset", "@type": "@id"},
    "transfer": {"@id": f"{HL}transfer", "@type": "@id"},
    "title": f"{HL}title",
    "fileName": f"{HL}fileName",
    "fileSha256": f"{HL}fileSha256",
    "deliveredSha256": f"{HL}deliveredSha256",
    "action": f"{HL}action",
    "purpose": f"{HL}purpose",
    "useNumber": {"@id": f"{HL}useNumber", "@type": XSD_INT},
    "usesAllowed": {"@id": f"{HL}usesAllowed", "@type": XSD_INT},
}


def licence_id(transfer: TransferRow) -> str:
    """The licence's id, derived from the transfer (one licence per print)."""
    return f"urn:hinterland:licence:{transfer.pid.rsplit(':', 1)[-1]}"


def licence_document(
    *, issuer: str, transfer: TransferRow, agreement: AgreementRow, asset: AssetRow,
) -> dict[str, Any]:
    """The unsigned licence credential."""
    issued = datetime.fromtimestamp(transfer.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    subject: dict[str, Any] = {
        "id": transfer.counterparty,
        "agreement": agreement.id,
        "asset": asset.id,
        "title": asset.title,
        "fileName": asset.file_name or asset.id,
        "fileSha256": asset.sha256,
        "action": transfer.params.get("action", "use"),
        "transfer": transfer.pid,
    }
    if transfer.params.get("use") is not None:
        subject["useNumber"] = transfer.params["use"]
    if transfer.params.get("of") is not None:
        subject["usesAllowed"] = transfer.params["of"]
    variant = transfer.params.get("variant")
    if isinstance(variant, dict):
        subject["deliveredSha256"] = variant["sha256"]  # the copy stamped with this licence
    if transfer.params.get("purpose"):
        subject["purpose"] = transfer.params["purpose"]
    return {
        "@context": [VC2, LICENCE_CONTEXT],
        "id": licence_id(transfer),
        "type": ["VerifiableCredential", "UsageLicence"],
        "issuer": issuer,
        "validFrom": issued,
        "credentialSubject": subject,
    }


def signed_licence(
    key: PrivateKey, *, issuer: str, transfer: TransferRow, agreement: AgreementRow,
    asset: AssetRow,
) -> dict[str, Any]:
    """The licence signed with our key (proof created at the transfer's creation time)."""
    document = licence_document(
        issuer=issuer, transfer=transfer, agreement=agreement, asset=asset
    )
    return sign_document(
        document,
        key,
        verification_method=f"{issuer}#key-1",
        created=datetime.fromtimestamp(transfer.created_at, UTC).replace(microsecond=0),
    )
