"""Catalog tables (`catalog_*`). Full-text structures live outside the ORM: an FTS5 table on
SQLite (migrations `catalog_0001`, `catalog_0002`) and the narrow `catalog_search` table
with a tsvector on PostgreSQL (migration `catalog_0003`, ADR catalog-0010)."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.records import Entry, aware
from hinterland.db import Base

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class EntryRow(Base):
    """One stored self-description: the raw signed document and what search needs of it."""

    __tablename__ = "catalog_entries"

    row_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issuer: Mapped[str] = mapped_column(sa.String(2048))
    subject_id: Mapped[str | None] = mapped_column(sa.String(2048), index=True)
    types: Mapped[str] = mapped_column(sa.Text())  # JSON list of local type names
    status: Mapped[str] = mapped_column(sa.String(16))
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.Text(), default="")
    description: Mapped[str] = mapped_column(sa.Text(), default="")
    claims: Mapped[str] = mapped_column(sa.Text())  # JSON of the extracted claims
    issued: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    origin: Mapped[str] = mapped_column(sa.String(2048), default="local")
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    superseded_by: Mapped[str | None] = mapped_column(sa.String(64))
    blob: Mapped[EntryBlobRow] = relationship(
        lazy="joined", cascade="all, delete-orphan", single_parent=True
    )

    __table_args__ = (
        sa.Index("ix_catalog_entries_status_valid_until", "status", "valid_until"),
        sa.Index("ix_catalog_entries_issuer_status", "issuer", "status"),
    )


class EntryBlobRow(Base):
    """The wide parts of an entry, apart so that scans of `catalog_entries` stay narrow."""

    __tablename__ = "catalog_entry_documents"

    row_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("catalog_entries.row_id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(sa.Text())  # exactly as received
    report: Mapped[str] = mapped_column(sa.Text())  # JSON verification report
    compliance: Mapped[str | None] = mapped_column(sa.Text())  # signed compliance credential
    revocation: Mapped[str | None] = mapped_column(sa.Text())  # signed revocation, as received
    rdf: Mapped[str] = mapped_column(sa.Text(), default="")  # N-Triples of the claims graph
    search_text: Mapped[str] = mapped_column(sa.Text(), default="")


class EntryValueRow(Base):
    """One value of a multi-valued search claim (type, keyword, country, format, ...)."""

    __tablename__ = "catalog_entry_values"

    entry_row: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("catalog_entries.row_id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    norm: Mapped[str] = mapped_column(sa.String(512), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(512))

    __table_args__ = (
        sa.Index("ix_catalog_entry_values_field_norm", "field", "norm", "entry_row"),
        {"sqlite_with_rowid": False},  # clustered by entry (migration catalog_0002)
    )


class ParticipantRow(Base):
    """An onboarded company: its DID and the LegalParticipant entry that onboarded it."""

    __tablename__ = "catalog_participants"

    did: Mapped[str] = mapped_column(sa.String(2048), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text(), default="")
    entry_id: Mapped[str] = mapped_column(sa.String(64))
    onboarded: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ChangeRow(Base):
    """The change feed. `seq` is the cursor; writers serialize so it grows in commit order."""

    __tablename__ = "catalog_changes"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class PeerRow(Base):
    """Federation state: how far this catalog has read each peer's change feed."""

    __tablename__ = "catalog_peers"

    url: Mapped[str] = mapped_column(sa.String(2048), primary_key=True)
    cursor: Mapped[int] = mapped_column(BigId, default=0)
    last_success: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text())


def status_at(status: str, valid_until: datetime | None, now: datetime) -> str:
    """The status a reader sees: an active entry past its validUntil reads as expired."""
    if status == "active" and valid_until is not None and valid_until <= now:
        return "expired"
    return status


def row_to_entry(row: EntryRow, now: datetime) -> Entry:
    """Build the public record, applying expiry at read time."""
    valid_until = aware(row.valid_until)
    status = status_at(row.status, valid_until, now)
    return Entry(
        id=row.id,
        issuer=row.issuer,
        subject_id=row.subject_id,
        types=json.loads(row.types),
        status=status,  # type: ignore[arg-type]
        document=row.blob.document,
        sha256=row.sha256,
        name=row.name,
        description=row.description,
        claims=json.loads(row.claims),
        issued=aware(row.issued),
        valid_until=valid_until,
        origin=row.origin,
        created=aware(row.created) or now,
        updated=aware(row.updated) or now,
        report=json.loads(row.blob.report),
        compliance=json.loads(row.blob.compliance) if row.blob.compliance else None,
        revocation=json.loads(row.blob.revocation) if row.blob.revocation else None,
        superseded_by=row.superseded_by,
        row_id=row.row_id,
    )
