"""Callers' claims come from their credential service, verified: a trusted membership
opens the members-only offer, a self-made or foreign one does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import CONSUMER_DID, build_pair
from test_dsp_flow import _catalog, _provision

from connector.credentials import membership_credential, presentation_response
from hinterland.did import did_web_document
from hinterland.keys import PrivateKey

AUTHORITY = "did:web:authority.test"


async def _visible(
    migrated_url: str, tmp_path: Path, credentials: list[dict], authority: PrivateKey
) -> list[str]:
    async with build_pair(
        migrated_url,
        tmp_path,
        claims=None,
        trusted_issuers=[AUTHORITY],
        consumer_credentials=credentials,
        extra_documents={AUTHORITY: did_web_document(AUTHORITY, authority.public())},
    ) as pair:
        await _provision(pair)
        status, catalog = await _catalog(pair)
        assert status == 200
        return [d["@id"] for d in catalog.get("dataset", [])]


async def test_trusted_membership_opens_the_offer(migrated_url: str, tmp_path: Path) -> None:
    authority = PrivateKey.generate()
    member = membership_credential(
        authority,
        issuer=AUTHORITY,
        holder=CONSUMER_DID,
        membership="hinterland",
        extra={"spatial": "DE"},
    )
    assert await _visible(migrated_url, tmp_path, [member], authority) == ["urn:asset:bracket"]


async def test_untrusted_expired_or_foreign_credentials_prove_nothing(
    migrated_url: str, tmp_path: Path
) -> None:
    authority = PrivateKey.generate()
    impostor = PrivateKey.generate()
    self_made = membership_credential(
        impostor, issuer=CONSUMER_DID, holder=CONSUMER_DID, membership="hinterland"
    )
    assert await _visible(migrated_url, tmp_path / "a", [self_made], authority) == []
    expired = membership_credential(
        authority,
        issuer=AUTHORITY,
        holder=CONSUMER_DID,
        membership="hinterland",
        valid_from=datetime.now(UTC) - timedelta(days=30),
        valid_until=datetime.now(UTC) - timedelta(days=1),
    )
    assert await _visible(migrated_url, tmp_path / "b", [expired], authority) == []
    someone_else = membership_credential(
        authority, issuer=AUTHORITY, holder="did:web:other.test", membership="hinterland"
    )
    assert await _visible(migrated_url, tmp_path / "c", [someone_else], authority) == []


async def test_presentation_query_needs_a_token_and_filters_by_scope(
    migrated_url: str, tmp_path: Path
) -> None:
    authority = PrivateKey.generate()
    member = membership_credential(
        authority, issuer=AUTHORITY, holder=CONSUMER_DID, membership="hinterland"
    )
    async with build_pair(
        migrated_url,
        tmp_path,
        claims=None,
        trusted_issuers=[AUTHORITY],
        consumer_credentials=[member],
        extra_documents={AUTHORITY: did_web_document(AUTHORITY, authority.public())},
    ) as pair:
        url = pair.consumer.base + "/presentations/query"
        query = {
            "type": "PresentationQueryMessage",
            "scope": ["org.eclipse.dspace.dcp.vc.type:MembershipCredential:read"],
        }
        anonymous = await pair.client.post(url, json=query)
        assert anonymous.status_code == 401
        token = pair.provider.state.issuer.issue(CONSUMER_DID)
        answer = await pair.client.post(
            url, json=query, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200
        vp = answer.json()["presentation"][0]
        assert vp["holder"] == CONSUMER_DID and vp["proof"]["proofPurpose"] == "authentication"
        assert [c["id"] for c in vp["verifiableCredential"]] == [member["id"]]
        other = presentation_response(
            PrivateKey.generate(),
            CONSUMER_DID,
            [member],
            ["org.eclipse.dspace.dcp.vc.type:OtherCredential:read"],
        )
        assert "verifiableCredential" not in other["presentation"][0]
