"""Extract the claims search, facets, matching and SPARQL need from a signed description.

Works on *expanded* JSON-LD, so it does not care which context (Gaia-X 22.10, 25.11, our
own Hinterland vocabulary, schema.org) named a property: a property counts by the local
name of its IRI (`https://w3id.org/gaia-x/development#countryCode` -> `countryCode`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CRED = "https://www.w3.org/2018/credentials#"
VC_TYPE = CRED + "VerifiableCredential"
VP_TYPE = CRED + "VerifiablePresentation"
_MAX_DEPTH = 8

# claim field -> local names of properties that carry it
_FIELDS: dict[str, frozenset[str]] = {
    "name": frozenset({"name", "legalname", "title"}),
    "description": frozenset({"description", "abstract"}),
    "keyword": frozenset({"keyword", "keywords", "tag"}),
    "country": frozenset({"countrycode", "country", "addresscountry", "countryname"}),
    "region": frozenset({"countrysubdivisioncode", "region", "addressregion", "subdivisioncode"}),
    "format": frozenset({"format", "encodingformat", "mediatype", "fileformat"}),
    "material": frozenset({"material", "materials"}),
    "process": frozenset(
        {"process", "printingprocess", "manufacturingprocess", "technology", "printtechnology"}
    ),
    "sought": frozenset({"seeks", "sought", "servicetype", "datatype", "offeringtype"}),
    "quantity": frozenset({"quantity"}),
    "deadline": frozenset({"deadline"}),
}
_LOOKUP = {name: claim for claim, names in _FIELDS.items() for name in names}

# Media types and file extensions -> the short format names partner firms search for.
_FORMATS = {
    "model/stl": "STL",
    "application/sla": "STL",
    "application/vnd.ms-pki.stl": "STL",
    "model/3mf": "3MF",
    "application/vnd.ms-package.3dmanufacturing-3dmodel+xml": "3MF",
    "application/json": "JSON",
    "application/ld+json": "JSON-LD",
    "text/csv": "CSV",
    "application/pdf": "PDF",
    "application/xml": "XML",
    "text/xml": "XML",
    "model/step": "STEP",
    "application/step": "STEP",
}
_ISO_REGION = re.compile(r"^([A-Za-z]{2})-[A-Za-z0-9]{1,3}$")
_ISO_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
MULTI_FIELDS = ("type", "keyword", "country", "region", "format", "material", "process", "sought")


@dataclass
class Claims:
    """What the catalog knows about a description beyond its raw signed form."""

    issuer: str | None = None
    subject_id: str | None = None
    types: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)
    issued: datetime | None = None
    valid_until: datetime | None = None

    @property
    def name(self) -> str:
        """The first name, or an empty string."""
        return self.names[0] if self.names else ""

    @property
    def description(self) -> str:
        """The first description, or an empty string."""
        return self.descriptions[0] if self.descriptions else ""

    def add(self, claim: str, value: str) -> None:
        """Add one value of a multi-valued claim, once."""
        bucket = self.values.setdefault(claim, [])
        if value and value not in bucket:
            bucket.append(value)

    def get(self, claim: str) -> list[str]:
        """The values of one claim (types included as `type`)."""
        if claim == "type":
            return list(self.types)
        return list(self.values.get(claim, []))

    def search_text(self) -> str:
        """Everything a full-text query should find, as one text."""
        parts = [*self.names, *self.descriptions, *self.types]
        for claim in ("keyword", "material", "process", "format", "region", "country", "sought"):
            parts.extend(self.values.get(claim, []))
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (API responses, web UI)."""
        return {
            "issuer": self.issuer,
            "subjectId": self.subject_id,
            "types": self.types,
            "name": self.name,
            "names": self.names,
            "description": self.description,
            **{
                claim: self.values.get(claim, [])
                for claim in _FIELDS
                if claim not in ("name", "description")
            },
            "issued": self.issued.isoformat() if self.issued else None,
            "validUntil": self.valid_until.isoformat() if self.valid_until else None,
        }


def local_name(iri: str) -> str:
    """The part of an IRI after its last `#`, `/` or `:`."""
    for sep in ("#", "/", ":"):
        if sep in iri:
            iri = iri.rsplit(sep, 1)[1] or iri
    return iri


def normalize_format(value: str) -> str:
    """`model/stl` -> `STL`, `.3mf` -> `3MF`, `csv` -> `CSV`."""
    text = value.strip()
    mapped = _FORMATS.get(text.lower())
    if mapped:
        return mapped
    if "/" in text:
        text = text.rsplit("/", 1)[1]
        text = text.removeprefix("vnd.").removeprefix("x-")
    return text.lstrip(".").upper()


def parse_datetime(value: str) -> datetime | None:
    """An xsd:dateTime (or date) as an aware UTC datetime, None when unreadable."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _literals(values: Any) -> Iterator[str]:
    for value in values if isinstance(values, list) else [values]:
        if isinstance(value, dict) and "@value" in value:
            yield str(value["@value"])
        elif isinstance(value, dict) and "@list" in value:
            yield from _literals(value["@list"])
        elif isinstance(value, dict) and set(value) == {"@id"}:
            yield local_name(str(value["@id"]))


def _nodes(values: Any) -> Iterator[dict[str, Any]]:
    for value in values if isinstance(values, list) else [values]:
        if not isinstance(value, dict):
            continue
        if "@graph" in value:
            yield from _nodes(value["@graph"])
        elif "@value" not in value and "@list" not in value and set(value) != {"@id"}:
            yield value


def _credentials(expanded: list[Any]) -> Iterator[dict[str, Any]]:
    for node in _nodes(expanded):
        types = node.get("@type", [])
        if VC_TYPE in types:
            yield node
        if VP_TYPE in types:
            yield from _credentials(node.get(CRED + "verifiableCredential", []))


def _add_value(claims: Claims, claim: str, raw: str) -> None:
    text = raw.strip()
    if not text:
        return
    if claim == "name":
        if text not in claims.names:
            claims.names.append(text)
    elif claim == "description":
        if text not in claims.descriptions:
            claims.descriptions.append(text)
    elif claim == "format":
        claims.add("format", normalize_format(text))
    elif claim == "region":
        match = _ISO_REGION.match(text)
        country = _ISO_COUNTRY.match(text)
        claims.add("region", text.upper() if match or country else text)
        if match:
            claims.add("country", match.group(1).upper())
        elif country:  # a whole country is a region too
            claims.add("country", text.upper())
    elif claim == "country":
        region = _ISO_REGION.match(text)
        if region:
            claims.add("region", text.upper())
            claims.add("country", region.group(1).upper())
        else:
            claims.add("country", text.upper() if _ISO_COUNTRY.match(text) else text)
    elif claim == "keyword":
        for part in text.split(",") if "," in text else [text]:
            claims.add("keyword", part.strip())
    else:
        claims.add(claim, text)


def _walk(claims: Claims, node: dict[str, Any], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    for prop, values in node.items():
        if prop.startswith("@"):
            continue
        claim = _LOOKUP.get(local_name(prop).lower())
        if claim is not None:
            for literal in _literals(values):
                _add_value(claims, claim, literal)
        for child in _nodes(values):
            _walk(claims, child, depth + 1)


def extract_claims(expanded: list[Any]) -> Claims:
    """Claims of every credential in an expanded VC or VP (first credential names the issuer)."""
    claims = Claims()
    for credential in _credentials(expanded):
        issuer = next(
            (str(v["@id"]) for v in credential.get(CRED + "issuer", []) if "@id" in v), None
        )
        if claims.issuer is None:
            claims.issuer = issuer
        issued = _first_date(credential, ("validFrom", "issuanceDate"))
        if issued and (claims.issued is None or issued > claims.issued):
            claims.issued = issued
        until = _first_date(credential, ("validUntil", "expirationDate"))
        if until and (claims.valid_until is None or until < claims.valid_until):
            claims.valid_until = until
        for subject in _nodes(credential.get(CRED + "credentialSubject", [])):
            if claims.subject_id is None and "@id" in subject:
                claims.subject_id = str(subject["@id"])
            for type_iri in subject.get("@type", []):
                name = local_name(str(type_iri))
                if name not in claims.types:
                    claims.types.append(name)
            _walk(claims, subject, 0)
    return claims


def _first_date(node: dict[str, Any], names: tuple[str, ...]) -> datetime | None:
    for name in names:
        for literal in _literals(node.get(CRED + name, [])):
            parsed = parse_datetime(literal)
            if parsed is not None:
                return parsed
    return None
