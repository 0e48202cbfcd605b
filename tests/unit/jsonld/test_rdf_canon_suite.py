"""The W3C RDF Dataset Canonicalization (RDFC-1.0) test suite, every entry of the manifest.

Vectors copied from the W3C rdf-canon repository into tests/vectors/rdf-canon (licence
beside them).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from hinterland.errors import LimitExceeded
from hinterland.jsonld import rdfc
from hinterland.jsonld.canon import canonical_issuer_map, canonicalize_nquads
from hinterland.settings import JsonLdSettings

SUITE = Path(__file__).parents[2] / "vectors" / "rdf-canon"
MANIFEST = json.loads((SUITE / "manifest.jsonld").read_text("utf-8"))["entries"]


def entries(kind: str) -> list[Any]:
    return [
        pytest.param(entry, id=entry["id"].lstrip("#"))
        for entry in MANIFEST
        if entry["type"] == kind
    ]


def read(name: str) -> str:
    return (SUITE / name).read_text("utf-8")


def test_suite_is_complete() -> None:
    kinds = [entry["type"] for entry in MANIFEST]
    assert kinds.count("rdfc:RDFC10EvalTest") == 64
    assert kinds.count("rdfc:RDFC10MapTest") == 21
    assert kinds.count("rdfc:RDFC10NegativeEvalTest") == 1


@pytest.mark.parametrize("entry", entries("rdfc:RDFC10EvalTest"))
def test_eval(entry: dict[str, Any]) -> None:
    result = canonicalize_nquads(
        read(entry["action"]), hash_algorithm=entry.get("hashAlgorithm", "SHA256")
    )
    assert result == read(entry["result"])


@pytest.mark.parametrize("entry", entries("rdfc:RDFC10MapTest"))
def test_issued_identifiers_map(entry: dict[str, Any]) -> None:
    issued = canonical_issuer_map(
        read(entry["action"]), hash_algorithm=entry.get("hashAlgorithm", "SHA256")
    )
    assert issued == json.loads(read(entry["result"]))


@pytest.mark.parametrize("entry", entries("rdfc:RDFC10NegativeEvalTest"))
def test_poison_graph_is_rejected_quickly(entry: dict[str, Any]) -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="poison"):
        canonicalize_nquads(read(entry["action"]))
    assert time.monotonic() - started < 1.0


def test_poison_graph_is_stopped_by_the_time_budget_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With the work limit out of the way, the deadline inside the algorithm stops it.
    monkeypatch.setattr(rdfc, "WORK_PER_BLANK_NODE", 10**9)
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"within 0\.2 s"):
        canonicalize_nquads(
            read("rdfc10/test074-in.nq"), settings=JsonLdSettings(canonicalization_seconds=0.2)
        )
    assert time.monotonic() - started < 0.5


def test_blank_node_limit() -> None:
    nquads = "".join(f'_:b{i} <http://example.org/p> "{i}" .\n' for i in range(11))
    with pytest.raises(LimitExceeded, match="11 blank nodes"):
        canonicalize_nquads(nquads, settings=JsonLdSettings(max_blank_nodes=10))
