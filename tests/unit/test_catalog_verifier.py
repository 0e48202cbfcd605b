"""KernelVerifier: the catalog's options reach the trust core, and even an exception from
the trust core becomes a failed check named after its cause, never a crash."""

from __future__ import annotations

from typing import Any

import pytest
from pyld import jsonld

import catalog.verifier as verifier_module
from catalog.verifier import KernelVerifier
from hinterland.did import DidResolver
from hinterland.errors import RemoteContextRefused


async def test_an_escaping_error_becomes_a_failed_check(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        try:
            raise RemoteContextRefused("remote JSON-LD context 'https://x' is not bundled")
        except RemoteContextRefused as inner:
            raise jsonld.JsonLdError(
                "loading remote context failed", "jsonld.InvalidUrl", cause=inner
            ) from inner

    monkeypatch.setattr(verifier_module, "verify_document", broken)
    result = await KernelVerifier(DidResolver(network=False)).verify(
        {"issuer": "did:web:x", "type": ["VerifiableCredential"]}
    )
    assert result.valid is False and result.issuer == "did:web:x"
    assert [(c["name"], c["status"]) for c in result.report["checks"]] == [("contexts", "failed")]
    assert "not bundled" in result.report["checks"][0]["reason"]


async def test_revocations_skip_shapes_and_trust_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    async def record(document: Any, *, resolver: Any, options: Any, loader: Any) -> Any:
        seen.append(options)
        from hinterland.verify import VerificationReport

        return VerificationReport(issuer="did:web:x")

    monkeypatch.setattr(verifier_module, "verify_document", record)
    checker = KernelVerifier(
        DidResolver(network=False),
        shapes="gaia-x-22.10",
        trusted_issuers=frozenset({"did:web:x"}),
        hinterland_shapes=False,
    )
    await checker.verify({}, purpose="description")
    await checker.verify({}, purpose="revocation")
    assert (seen[0].shapes, seen[0].trusted_issuers) == ("gaia-x-22.10", frozenset({"did:web:x"}))
    assert (seen[1].shapes, seen[1].trusted_issuers) == ("none", None)
