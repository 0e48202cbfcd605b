"""The matching score on its own: weights, region by subdivision then country, reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from catalog.matching import score
from catalog.records import Entry

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def entry(name: str, types: list[str], **claims: Any) -> Entry:
    return Entry(
        id=name,
        issuer="did:web:x",
        subject_id=None,
        types=types,
        status="active",
        document="{}",
        sha256="0" * 64,
        name=name,
        description="",
        claims={"types": types, **claims},
        issued=None,
        valid_until=None,
        origin="local",
        created=NOW,
        updated=NOW,
        report={},
        compliance=None,
        revocation=None,
        superseded_by=None,
    )


NEED = entry(
    "PA12 SLS printing in DE-SN",
    ["Need"],
    sought=["PrintService"],
    material=["PA12"],
    process=["SLS"],
    region=["DE-SN"],
    country=["DE"],
)


def test_a_perfect_offer_scores_one_and_says_why() -> None:
    offer = entry(
        "PA12 SLS printing, DE-SN",
        ["PrintService"],
        material=["PA12", "PA11"],
        process=["SLS"],
        region=["DE-SN"],
        country=["DE"],
    )
    match = score(NEED, offer)
    assert match.score == 1.0
    texts = [r["text"] for r in match.reasons]
    assert texts[:4] == [
        "sought PrintService matches",
        "material PA12 matches",
        "process SLS matches",
        "region DE-SN matches",
    ]


def test_same_country_earns_half_the_region_weight() -> None:
    here = entry(
        "SLS printing",
        ["PrintService"],
        material=["PA12"],
        process=["SLS"],
        region=["DE-SN"],
        country=["DE"],
    )
    bavaria = entry(
        "SLS printing",
        ["PrintService"],
        material=["PA12"],
        process=["SLS"],
        region=["DE-BY"],
        country=["DE"],
    )
    france = entry(
        "SLS printing",
        ["PrintService"],
        material=["PA12"],
        process=["SLS"],
        region=["FR-IDF"],
        country=["FR"],
    )
    scores = [score(NEED, o).score for o in (here, bavaria, france)]
    assert scores[0] > scores[1] > scores[2]
    reasons = {r["field"]: r for r in score(NEED, bavaria).reasons}
    assert reasons["country"]["text"] == "same country DE but not region DE-SN"


def test_the_sought_type_alone_is_no_match() -> None:
    unrelated = entry(
        "Casting", ["PrintService"], material=["AlSi10Mg"], region=["FR"], country=["FR"]
    )
    assert score(NEED, unrelated).score == 0.0
