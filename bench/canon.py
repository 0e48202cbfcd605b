"""Canonicalizations per second, per core, of ~50- and ~500-triple self-descriptions:
Hinterland's `canonicalize` beside stock pyld `normalize` (URDNA2015), in the same run.

Also an eddsa-rdfc-2022-shaped verification (canonicalize the credential without its
proof with dropped-term rejection, canonicalize the proof options, hash both, verify an
Ed25519 signature), ours beside the same steps with stock pyld: the work
`hinterland.verify` does per proof, without DID resolution and reporting.

Rates are in CPU time of this process (`time.process_time`), i.e. per core, so other
load on the machine does not distort them. Run: python bench/canon.py [seconds]
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _credentials import self_description
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld import jsonld

from hinterland.jsonld import DocumentLoader, canonicalize


def rate(action: Callable[[], Any], seconds: float) -> float:
    """Calls per CPU second of `action`, measured for about `seconds` after a warm-up."""
    action()
    calls = 0
    started = time.process_time()
    elapsed = 0.0
    while elapsed < seconds:
        for _ in range(5):
            action()
        calls += 5
        elapsed = time.process_time() - started
    return calls / elapsed


def split(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(credential without proof, proof options with the credential's @context)."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    options = {key: value for key, value in document["proof"].items() if key != "proofValue"}
    options["@context"] = document["@context"]
    return unsecured, options


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    loader = DocumentLoader()
    stock_options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        # stock pyld, offline: our loader only serves the bundled context documents
        "documentLoader": loader,
    }
    key = Ed25519PrivateKey.generate()
    public = key.public_key()

    def stock(document: Any) -> str:
        result = jsonld.normalize(document, stock_options)
        assert isinstance(result, str)
        return result

    print(f"{'per core, CPU time':<34}{'triples':>8}{'ours/s':>10}{'stock/s':>10}{'ratio':>8}")
    for resources in (1, 38):
        document = self_description(resources)
        ours = canonicalize(document, loader)
        assert ours == stock(document), "canonical forms differ"
        triples = ours.count("\n")
        ours_rate = rate(lambda: canonicalize(document, loader), seconds)  # noqa: B023
        stock_rate = rate(lambda: stock(document), seconds)  # noqa: B023
        print(
            f"{f'canonicalize ({resources} resources)':<34}{triples:>8}{ours_rate:>10.0f}"
            f"{stock_rate:>10.0f}{ours_rate / stock_rate:>7.1f}x"
        )

        unsecured, proof_options = split(document)
        data = (
            hashlib.sha256(stock(proof_options).encode()).digest()
            + hashlib.sha256(stock(unsecured).encode()).digest()
        )
        signature = key.sign(data)

        def verify_ours() -> None:
            document_hash = hashlib.sha256(
                canonicalize(unsecured, loader, reject_dropped_terms=True).encode()  # noqa: B023
            ).digest()
            options_hash = hashlib.sha256(canonicalize(proof_options, loader).encode()).digest()  # noqa: B023
            public.verify(signature, options_hash + document_hash)  # noqa: B023

        def verify_stock() -> None:
            document_hash = hashlib.sha256(stock(unsecured).encode()).digest()  # noqa: B023
            options_hash = hashlib.sha256(stock(proof_options).encode()).digest()  # noqa: B023
            public.verify(signature, options_hash + document_hash)  # noqa: B023

        ours_rate = rate(verify_ours, seconds)
        stock_rate = rate(verify_stock, seconds)
        print(
            f"{f'eddsa-rdfc-2022 verify ({resources})':<34}{triples:>8}{ours_rate:>10.0f}"
            f"{stock_rate:>10.0f}{ours_rate / stock_rate:>7.1f}x"
        )


if __name__ == "__main__":
    main()
