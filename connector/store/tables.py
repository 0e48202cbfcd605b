"""The connector's tables (Alembic branch `connector`, all prefixed `connector_`).

Times are UTC epoch seconds (floats): portable between SQLite and PostgreSQL and cheap to
compare in the lease and retry queries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hinterland.db.base import Base

PID = 200
DID = 500
URL = 2000


class NegotiationRow(Base):
    """One contract negotiation, seen from our side (`role`). `pid` is our process id."""

    __tablename__ = "connector_negotiations"
    __table_args__ = (UniqueConstraint("role", "counterparty", "remote_pid"),)

    pid: Mapped[str] = mapped_column(String(PID), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    remote_pid: Mapped[str | None] = mapped_column(String(PID))
    counterparty: Mapped[str] = mapped_column(String(DID))
    counterparty_address: Mapped[str] = mapped_column(String(URL))
    state: Mapped[str] = mapped_column(String(16))
    asset_id: Mapped[str | None] = mapped_column(String(PID))
    offer: Mapped[dict[str, Any]] = mapped_column(JSON)
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)
    agreement_id: Mapped[str | None] = mapped_column(String(PID))
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class AgreementRow(Base):
    """A concluded contract agreement (the signed ODRL Agreement)."""

    __tablename__ = "connector_agreements"

    id: Mapped[str] = mapped_column(String(PID), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    negotiation_pid: Mapped[str] = mapped_column(String(PID))
    asset_id: Mapped[str] = mapped_column(String(PID))
    provider: Mapped[str] = mapped_column(String(DID))
    consumer: Mapped[str] = mapped_column(String(DID))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)


class TransferRow(Base):
    """One transfer process, seen from our side. The provider keeps only a token hash."""

    __tablename__ = "connector_transfers"
    __table_args__ = (UniqueConstraint("role", "counterparty", "remote_pid"),)

    pid: Mapped[str] = mapped_column(String(PID), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    remote_pid: Mapped[str | None] = mapped_column(String(PID))
    counterparty: Mapped[str] = mapped_column(String(DID))
    counterparty_address: Mapped[str] = mapped_column(String(URL))
    state: Mapped[str] = mapped_column(String(16))
    agreement_id: Mapped[str] = mapped_column(String(PID))
    format: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    token_expires: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class OutboxRow(Base):
    """An outbound DSP message, persisted before it is sent and retried until acknowledged."""

    __tablename__ = "connector_outbox"
    __table_args__ = (Index("ix_connector_outbox_due", "status", "next_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process: Mapped[str] = mapped_column(String(16))
    pid: Mapped[str] = mapped_column(String(PID))
    url: Mapped[str] = mapped_column(String(URL))
    audience: Mapped[str] = mapped_column(String(DID))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[float] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)


class SeenTokenRow(Base):
    """A `jti` of an accepted identity token, kept until the token expires (replay cache)."""

    __tablename__ = "connector_seen_tokens"

    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(DID))
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class AuditEntryRow(Base):
    """One entry of the hash-chained audit log."""

    __tablename__ = "connector_audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entry: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as stored
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRow(Base):
    """A signed checkpoint over the chain head at `seq`."""

    __tablename__ = "connector_audit_checkpoints"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    checkpoint: Mapped[str] = mapped_column(Text)  # canonical JSON including the signature


class AssetRow(Base):
    """An offered asset: records (JSON/CSV) or a file on disk with its SHA-256."""

    __tablename__ = "connector_assets"

    id: Mapped[str] = mapped_column(String(PID), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # records | file
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(200))
    record_type: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class PolicyRow(Base):
    """A named ODRL policy (JSON-LD), used as access or contract policy of offers."""

    __tablename__ = "connector_policies"

    id: Mapped[str] = mapped_column(String(PID), primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)


class OfferRow(Base):
    """A contract definition: which assets, under which access and contract policy."""

    __tablename__ = "connector_offers"

    id: Mapped[str] = mapped_column(String(PID), primary_key=True)
    selector: Mapped[dict[str, Any]] = mapped_column(JSON)
    access_policy_id: Mapped[str] = mapped_column(String(PID))
    contract_policy_id: Mapped[str] = mapped_column(String(PID))
    created_at: Mapped[float] = mapped_column(Float)


class PublicationRow(Base):
    """What we published to which catalog: the entry id and the digest of its content."""

    __tablename__ = "connector_publications"

    catalog: Mapped[str] = mapped_column(String(URL), primary_key=True)
    subject: Mapped[str] = mapped_column(String(PID), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[float] = mapped_column(Float)
