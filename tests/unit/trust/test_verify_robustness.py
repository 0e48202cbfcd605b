"""verify_document never raises, whatever it is given: every problem is a failed check."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hinterland.did import DidResolver
from hinterland.verify import VerifyOptions, verify_document
from tests.unit.trust.cli_helpers import EDDSA

SIGNED = json.loads((EDDSA / "signedDataInt.json").read_text("utf-8"))
KEYS = ["@context", "proof", "issuer", "type", "validFrom", "validUntil", "credentialSubject",
        "verificationMethod", "proofValue", "cryptosuite", "previousProof", "jws",
        "verifiableCredential", "holder", "id", "@type", "issuanceDate"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=30), st.sampled_from(["VerifiablePresentation",
                    "DataIntegrityProof", "JsonWebSignature2020", "did:key:z6Mk", "z1",
                    "https://www.w3.org/ns/credentials/v2", "2026-13-45T99:00:00Z"]))
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children,
                        max_size=4),
    ),
    max_leaves=12,
)


def _run(document: Any) -> None:
    report = asyncio.run(
        verify_document(document, resolver=DidResolver(network=False),
                        options=VerifyOptions(shapes="gaia-x-22.10")))
    assert report.checks
    report.to_dict()  # JSON-ready
    json.dumps(report.to_dict())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_random_json_never_raises(document: Any) -> None:
    _run(document)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KEYS), values, st.sampled_from([None, "proof", "credentialSubject"]))
def test_mangled_signed_vector_never_raises(key: str, value: Any, inside: str | None) -> None:
    document = copy.deepcopy(SIGNED)
    target = document if inside is None else document[inside]
    target[key] = value
    _run(document)
