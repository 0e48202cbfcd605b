"""Match needs to offers: which offers fit a `hinterland:Need`, and which needs an offer
could serve, each with a score in [0, 1] and the reasons behind it.

A need's fields (what it seeks, material, process, format, region, keywords) are compared
with an offer's claims; each field the need states has a weight, and the score is the
share of that weight the offer earns, plus a little for shared words in the text. Region
compares ISO 3166 codes: the same subdivision (DE-SN) earns the full weight, only the same
country (DE) half of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from catalog.models import EntryRow, EntryValueRow
from catalog.records import Entry
from catalog.store import CatalogStore, effective_status, row_to_entry
from catalog.text import tokens

NEED_TYPE = "Need"
NOT_OFFERS = frozenset({NEED_TYPE, "LegalParticipant", "LegalPerson", "Participant"})
WEIGHTS = {
    "sought": 3.0,
    "material": 3.0,
    "process": 2.0,
    "format": 1.5,
    "region": 2.0,
    "keyword": 1.0,
}
TEXT_WEIGHT = 1.5
# Being of the sought type alone is no match: something the need asks for must fit too.
SUBSTANTIVE = frozenset({"material", "process", "format", "region", "country", "keyword"})
CANDIDATE_LIMIT = 500
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "for",
        "in",
        "of",
        "on",
        "the",
        "to",
        "with",
        "at",
        "by",
        "from",
        "or",
        "der",
        "die",
        "das",
        "und",
        "in",
        "im",
        "fur",
        "für",
        "mit",
        "von",
        "zu",
        "aus",
        "bei",
        "oder",
        "ein",
        "eine",
    ]
)


@dataclass
class Match:
    """One ranked counterpart with its score and reasons."""

    entry: Entry
    score: float
    reasons: list[dict[str, Any]] = field(default_factory=list)


def is_need(entry: Entry) -> bool:
    """True for a `hinterland:Need`."""
    return NEED_TYPE in entry.types


def _values(claims: dict[str, Any], name: str) -> set[str]:
    if name == "type":
        return {str(v).lower() for v in claims.get("types", [])}
    return {str(v).lower() for v in claims.get(name, []) if v}


def _display(claims: dict[str, Any], name: str, norms: set[str]) -> list[str]:
    source = claims.get("types" if name == "sought" else name, [])
    return sorted({str(v) for v in source if str(v).lower() in norms})


def score(need: Entry, offer: Entry) -> Match:
    """How well `offer` serves `need`, with one reason per compared field."""
    wanted, offered = need.claims, offer.claims
    earned = 0.0
    possible = 0.0
    reasons: list[dict[str, Any]] = []
    for name, weight in WEIGHTS.items():
        want = _values(wanted, name)
        if not want:
            continue
        possible += weight
        have = _values(offered, "type") if name == "sought" else _values(offered, name)
        common = want & have
        if name == "region" and not common:
            countries = {w.split("-", 1)[0] for w in want}
            same_country = countries & _values(offered, "country")
            if same_country:
                gained = weight / 2
                earned += gained
                reasons.append(
                    {
                        "field": "country",
                        "matched": sorted(c.upper() for c in same_country),
                        "score": gained,
                        "text": f"same country {', '.join(sorted(c.upper() for c in same_country))}"
                        f" but not region {', '.join(sorted(w.upper() for w in want))}",
                    }
                )
                continue
        if common:
            gained = weight * len(common) / len(want)
            earned += gained
            shown = _display(offered, name, common) or sorted(common)
            reasons.append(
                {
                    "field": name,
                    "matched": shown,
                    "score": round(gained, 3),
                    "text": f"{name} {', '.join(shown)} matches",
                }
            )
        else:
            shown_want = _display(wanted, name, want) or sorted(want)
            reasons.append(
                {
                    "field": name,
                    "matched": [],
                    "score": 0.0,
                    "text": f"{name} {', '.join(shown_want)} not offered",
                }
            )
    words = {
        w
        for w in tokens(" ".join([need.name, need.description]))
        if w not in _STOPWORDS and len(w) > 1
    }
    if words:
        possible += TEXT_WEIGHT
        offer_words = set(
            tokens(" ".join([offer.name, offer.description, *offered.get("keyword", [])]))
        )
        shared = sorted(words & offer_words)
        if shared:
            gained = TEXT_WEIGHT * len(shared) / len(words)
            earned += gained
            reasons.append(
                {
                    "field": "text",
                    "matched": shared,
                    "score": round(gained, 3),
                    "text": f"text relevance: shares the words {', '.join(shared)}",
                }
            )
    substantive = any(r["score"] > 0 for r in reasons if r["field"] in SUBSTANTIVE)
    value = earned / possible if possible and substantive else 0.0
    return Match(entry=offer, score=round(value, 4), reasons=reasons)


async def _candidates(store: CatalogStore, entry: Entry, want_needs: bool) -> list[Entry]:
    claims = entry.claims
    pairs: list[tuple[str, str]] = []
    for name in ("material", "process", "format", "region", "country", "keyword"):
        pairs.extend((name, v) for v in _values(claims, name))
    if want_needs:
        pairs.extend(("sought", t) for t in _values(claims, "type"))
    else:
        pairs.extend(("type", v) for v in _values(claims, "sought"))
    if not pairs:
        return []
    now = store.clock()
    v = EntryValueRow
    e = EntryRow
    shares = sa.or_(*[sa.and_(v.field == f, v.norm == n) for f, n in pairs])
    need_type = sa.exists().where(
        sa.and_(v.entry_row == e.row_id, v.field == "type", v.norm == NEED_TYPE.lower())
    )
    query = (
        sa.select(e)
        .where(
            e.row_id.in_(sa.select(v.entry_row).where(shares)),
            effective_status(now) == "active",
            e.id != entry.id,
            need_type if want_needs else ~need_type,
        )
        .order_by(e.row_id.desc())
        .limit(CANDIDATE_LIMIT)
    )
    async with store.read() as session:
        rows = (await session.scalars(query)).all()
    found = [row_to_entry(r, now) for r in rows]
    return [c for c in found if want_needs or not NOT_OFFERS.intersection(c.types)]


async def matches(store: CatalogStore, entry_id: str, limit: int = 20) -> tuple[str, list[Match]]:
    """Ranked offers for a need, or needs for an offer: `("need"|"offer", matches)`.

    Raises `NotFound` for an unknown entry.
    """
    entry = await store.get(entry_id)
    if is_need(entry):
        ranked = [score(entry, offer) for offer in await _candidates(store, entry, False)]
        role = "need"
    else:
        ranked = []
        for need in await _candidates(store, entry, True):
            found = score(need, entry)
            ranked.append(Match(entry=need, score=found.score, reasons=found.reasons))
        role = "offer"
    ranked = [m for m in ranked if m.score > 0]
    ranked.sort(key=lambda m: (-m.score, m.entry.name))
    return role, ranked[:limit]
