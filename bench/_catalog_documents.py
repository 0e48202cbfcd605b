"""Signed print-service descriptions and the vocabulary of the catalog benchmarks."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hinterland.did import did_key_from_public_key, did_key_verification_method_id
from hinterland.keys import PrivateKey
from hinterland.proofs import sign_document

MATERIALS = ["PA12", "PA11", "PLA", "PETG", "TPU", "AlSi10Mg", "Ti6Al4V", "316L"]
PROCESSES = ["SLS", "MJF", "FDM", "SLA", "SLM", "DMLS"]
FORMATS = ["STL", "3MF", "JSON", "CSV", "STEP"]
REGIONS = ["DE-SN", "DE-BY", "DE-BW", "DE-NW", "DE-BE", "AT-9", "FR-IDF", "PL-DS", "CZ-10"]
WORDS = [
    "bracket",
    "housing",
    "gear",
    "lattice",
    "prototype",
    "series",
    "nylon",
    "aluminium",
    "titanium",
    "fixture",
    "jig",
    "drone",
    "automotive",
    "medical",
    "tooling",
    "spare",
    "part",
    "carbon",
    "footprint",
    "dataset",
]


def signed_documents(count: int) -> list[dict[str, Any]]:
    parties = []
    for _ in range(8):
        key = PrivateKey.generate("ed25519")
        public = key.public()
        parties.append(
            (key, did_key_from_public_key(public), did_key_verification_method_id(public))
        )
    documents = []
    now = datetime.now(UTC) - timedelta(minutes=5)
    rng = random.Random(7)
    for index in range(count):
        key, did, vm = parties[index % len(parties)]
        subject = {
            "id": f"https://bench.example/services/{uuid.uuid4()}",
            "type": "PrintService",
            "name": f"{rng.choice(PROCESSES)} printing {index}",
            "description": " ".join(rng.sample(WORDS, 6)),
            "material": rng.choice(MATERIALS),
            "process": rng.choice(PROCESSES),
            "format": rng.choice(FORMATS[:2]),
            "region": rng.choice(REGIONS[:5]),
            "keyword": rng.sample(WORDS, 2),
        }
        document = {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/hinterland/v1"],
            "type": ["VerifiableCredential"],
            "issuer": did,
            "validFrom": now.isoformat().replace("+00:00", "Z"),
            "credentialSubject": subject,
        }
        documents.append(sign_document(document, key, verification_method=vm))
    return documents
