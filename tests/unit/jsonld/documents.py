"""Documents the JSON-LD tests share: a corpus of real and tricky credentials, the
Gaia-X fixtures, and Hypothesis strategies for random documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

EDDSA = Path(__file__).parents[2] / "vectors" / "vc-di-eddsa"
V1 = "https://www.w3.org/2018/credentials/v1"
V2 = "https://www.w3.org/ns/credentials/v2"
GX = "https://w3id.org/gaia-x/development#"

LOCAL = {
    "ex": "https://example.org/v#",
    "name2": "https://schema.org/name",
    "ref": {"@id": "https://example.org/v#ref", "@type": "@id"},
    "kind": {"@id": "https://example.org/v#kind", "@type": "@vocab"},
    "when": {
        "@id": "https://example.org/v#when",
        "@type": "http://www.w3.org/2001/XMLSchema#dateTime",
    },
    "ratio": {
        "@id": "https://example.org/v#ratio",
        "@type": "http://www.w3.org/2001/XMLSchema#double",
    },
    "tags": {"@id": "https://example.org/v#tags", "@container": "@set"},
    "Product": {
        "@id": "https://example.org/v#Product",
        "@context": {"weight": "https://example.org/v#weight", "name2": None},
    },
    "wrapper": {
        "@id": "https://example.org/v#wrapper",
        "@context": {"inner": "https://example.org/v#inner"},
    },
    "nullified": None,
}


def load(name: str) -> Any:
    return json.loads((EDDSA / name).read_text("utf-8"))


CORPUS: list[Any] = [
    load("unsigned.json"),
    load("signedDataInt.json"),
    load("proofConfigDataInt.json"),
    {
        "@context": [V2, LOCAL],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "Product"],
        "issuer": {"id": "did:example:i", "name": "Issuer"},
        "credentialSubject": {
            "id": "did:example:s",
            "type": "Product",
            "weight": 2,
            "name2": "gone",
            "ref": "https://example.org/target",
            "kind": "Product",
            "when": "2026-01-01T00:00:00Z",
            "ratio": 3,
            "tags": ["a", ["b", None], "c"],
            "wrapper": {"inner": True, "outer": 1},
            "nullified": "x",
            "ex:free": {"@id": "_:shared"},
            "ex:again": {"@id": "_:shared", "ex:p": 1.5},
            "ex:relative": {"@id": "relative/path", "ex:q": "dropped subject"},
            "ex:empty": {},
        },
    },
    {
        "@context": [V1, {"@vocab": "https://example.org/vocab#"}],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:i",
        "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"anything": {"goes": [1, 2, {"deep": "x\u0007y"}]}, "n": 10**22},
    },
    {
        "@context": [V2, GX],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"type": "gx:LegalPerson", "gx:legalName": "ACME"},
        "proof": [
            {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"},
            {"type": "DataIntegrityProof", "created": "2026-01-01T00:00:00Z"},
        ],
    },
]


CORPUS += [
    {
        "@context": [V2],
        "type": "VerifiablePresentation",
        "holder": "did:example:holder",
        "verifiableCredential": [CORPUS[1], CORPUS[5]],
        "proof": {"type": "DataIntegrityProof", "challenge": "abc", "domain": "x"},
    },
    {
        "@context": "https://w3id.org/dspace/2025/1/context.jsonld",
        "@type": "ContractRequestMessage",
        "consumerPid": "urn:uuid:c",
        "providerPid": "urn:uuid:p",
        "callbackAddress": "https://consumer.example/callback",
        "offer": {
            "@id": "urn:uuid:offer",
            "@type": "Offer",
            "target": "urn:uuid:asset",
            "assigner": "did:web:provider.example",
            "permission": [{"action": "use", "constraint": [{"leftOperand": "count"}]}],
        },
    },
    {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": "did:web:acme.example",
        "verificationMethod": [
            {
                "id": "did:web:acme.example#key-1",
                "type": "Multikey",
                "controller": "did:web:acme.example",
                "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            }
        ],
        "assertionMethod": ["did:web:acme.example#key-1"],
        "service": [
            {"id": "#dsp", "type": "DataService", "serviceEndpoint": "https://acme.example/dsp"}
        ],
    },
]


KEYS = st.sampled_from(
    [
        "id",
        "type",
        "name",
        "name2",
        "ref",
        "kind",
        "when",
        "ratio",
        "tags",
        "weight",
        "wrapper",
        "inner",
        "nullified",
        "unknown",
        "ex:p",
        "ex:q",
        "https://example.org/abs",
        "@id",
        "@type",
        "description",
        "issuer",
        "credentialSubject",
        "validFrom",
        "proof",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**22), max_value=10**22),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "Product",
            "VerifiableCredential",
            "https://example.org/x",
            "_:b1",
            "_:b2",
            "rel/x",
            "did:example:1",
            "2026-01-01T00:00:00Z",
            "ex:T",
            "tab\tline\nbell\u0007",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(KEYS, children, max_size=4),
    ),
    max_leaves=12,
)
CONTEXTS = st.sampled_from(
    [[V2, LOCAL], [V1, LOCAL], [V2, GX], [V2, {"@vocab": "https://example.org/v#"}], [V2]]
)


def mostly_valid(value: Any) -> Any:
    """Make `@id`/`@type` values strings, so more documents are valid JSON-LD."""
    if isinstance(value, list):
        return [mostly_valid(item) for item in value]
    if not isinstance(value, dict):
        return value
    fixed = {}
    for key, item in value.items():
        if key in ("id", "@id") and not isinstance(item, str):
            item = "https://example.org/n"
        elif key in ("type", "@type") and not isinstance(item, str):
            item = "Product"
        fixed[key] = mostly_valid(item)
    return fixed


GAIA_X = sorted(
    (Path(__file__).parents[2] / "vectors" / "gaia-x" / "compliance-22.10-fixtures").glob("*.json")
)
