"""Value objects the catalog store hands out and takes in."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from catalog.claims import Claims

Status = Literal["active", "deprecated", "revoked", "expired"]
STATUSES: tuple[Status, ...] = ("active", "deprecated", "revoked", "expired")
ChangeKind = Literal["added", "deprecated", "revoked", "expired"]


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class NewEntry:
    """A verified description, ready to be stored in one transaction."""

    id: str
    document: str
    sha256: str
    claims: Claims
    report: dict[str, Any]
    rdf: str
    origin: str = "local"
    compliance: dict[str, Any] | None = None
    onboard: bool = False  # a LegalParticipant describing its own issuer

    @property
    def issuer(self) -> str:
        """The issuer DID (verification guarantees there is one)."""
        return self.claims.issuer or ""

    @cached_property
    def report_json(self) -> str:
        """The report as JSON text: serialized once, for the database and the answer."""
        return compact_json(self.report)

    @cached_property
    def compliance_json(self) -> str | None:
        """The compliance credential as JSON text (serialized once), if there is one."""
        return compact_json(self.compliance) if self.compliance else None


def compact_json(value: Any) -> str:
    """JSON text without spaces (ASCII only: lone surrogates stay escapes)."""
    return json.dumps(value, separators=(",", ":"))


@dataclass
class Entry:
    """A stored description with its metadata, as the API and web UI show it."""

    id: str
    issuer: str
    subject_id: str | None
    types: list[str]
    status: Status
    document: str
    sha256: str
    name: str
    description: str
    claims: dict[str, Any]
    issued: datetime | None
    valid_until: datetime | None
    origin: str
    created: datetime
    updated: datetime
    report: dict[str, Any]
    compliance: dict[str, Any] | None
    revocation: dict[str, Any] | None
    superseded_by: str | None
    row_id: int = 0

    def parsed_document(self) -> Any:
        """The signed document as JSON (the text itself is kept untouched)."""
        return json.loads(self.document)

    def metadata(self) -> dict[str, Any]:
        """Everything but the raw document, JSON-ready."""
        return {
            "id": self.id,
            "issuer": self.issuer,
            "subjectId": self.subject_id,
            "types": self.types,
            "status": self.status,
            "sha256": self.sha256,
            "name": self.name,
            "description": self.description,
            "claims": self.claims,
            "issued": _iso(self.issued),
            "validUntil": _iso(self.valid_until),
            "origin": self.origin,
            "created": _iso(self.created),
            "updated": _iso(self.updated),
            "supersededBy": self.superseded_by,
        }


@dataclass
class Change:
    """One item of the change feed."""

    seq: int
    entry_id: str
    kind: ChangeKind
    at: datetime
    sha256: str | None = None
    document: str | None = None
    revocation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; `document` only for additions, `revocation` only for revocations."""
        item: dict[str, Any] = {
            "seq": self.seq,
            "entryId": self.entry_id,
            "kind": self.kind,
            "at": _iso(self.at),
            "sha256": self.sha256,
        }
        if self.document is not None:
            item["document"] = json.loads(self.document)
            item["documentText"] = self.document  # byte for byte, for peers to keep as is
        if self.revocation is not None:
            item["revocation"] = json.loads(self.revocation)
        return item


@dataclass
class Participant:
    """An onboarded company."""

    did: str
    name: str
    entry_id: str
    onboarded: datetime


@dataclass
class AddResult:
    """What storing a new description did."""

    entry: Entry
    created: bool
    deprecated: list[str] = field(default_factory=list)


def _iso(value: datetime | None) -> str | None:
    value = aware(value)
    return value.isoformat().replace("+00:00", "Z") if value else None
