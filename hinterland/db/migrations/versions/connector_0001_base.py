"""Connector base: negotiations, agreements, transfers, outbox, replay cache, audit log,
assets, policies, offers and catalog publications.

Revision ID: connector_0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "connector_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("connector",)
depends_on: str | Sequence[str] | None = "kernel_0001"


def _lease() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "connector_negotiations",
        sa.Column("pid", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("remote_pid", sa.String(200), nullable=True),
        sa.Column("counterparty", sa.String(500), nullable=False),
        sa.Column("counterparty_address", sa.String(2000), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("asset_id", sa.String(200), nullable=True),
        sa.Column("offer", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("agreement_id", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        *_lease(),
        sa.PrimaryKeyConstraint("pid", name="pk_connector_negotiations"),
        sa.UniqueConstraint(
            "role", "counterparty", "remote_pid", name="uq_connector_negotiations_role"
        ),
    )
    op.create_table(
        "connector_agreements",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("negotiation_pid", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("asset_id", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(500), nullable=False),
        sa.Column("consumer", sa.String(500), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", "role", name="pk_connector_agreements"),
    )
    op.create_table(
        "connector_transfers",
        sa.Column("pid", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("remote_pid", sa.String(200), nullable=True),
        sa.Column("counterparty", sa.String(500), nullable=False),
        sa.Column("counterparty_address", sa.String(2000), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("format", sa.String(100), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("data_address", sa.JSON(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("token_expires", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        *_lease(),
        sa.PrimaryKeyConstraint("pid", name="pk_connector_transfers"),
        sa.UniqueConstraint(
            "role", "counterparty", "remote_pid", name="uq_connector_transfers_role"
        ),
    )
    op.create_index("ix_connector_transfers_token_hash", "connector_transfers", ["token_hash"])
    op.create_table(
        "connector_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("process", sa.String(16), nullable=False),
        sa.Column("pid", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("audience", sa.String(500), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.Float(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connector_outbox"),
    )
    op.create_index("ix_connector_outbox_due", "connector_outbox", ["status", "next_attempt"])
    op.create_table(
        "connector_seen_tokens",
        sa.Column("jti", sa.String(200), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("jti", name="pk_connector_seen_tokens"),
    )
    op.create_index(
        "ix_connector_seen_tokens_expires_at", "connector_seen_tokens", ["expires_at"]
    )
    op.create_table(
        "connector_audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_connector_audit_entries"),
    )
    op.create_table(
        "connector_audit_checkpoints",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_connector_audit_checkpoints"),
    )
    op.create_table(
        "connector_assets",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("media_type", sa.String(200), nullable=False),
        sa.Column("record_type", sa.String(100), nullable=True),
        sa.Column("file_name", sa.String(500), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connector_assets"),
    )
    op.create_table(
        "connector_policies",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connector_policies"),
    )
    op.create_table(
        "connector_offers",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("selector", sa.JSON(), nullable=False),
        sa.Column("access_policy_id", sa.String(200), nullable=False),
        sa.Column("contract_policy_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connector_offers"),
    )
    op.create_table(
        "connector_publications",
        sa.Column("catalog", sa.String(2000), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("entry_id", sa.String(200), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("catalog", "subject", name="pk_connector_publications"),
    )


def downgrade() -> None:
    op.drop_table("connector_publications")
    op.drop_table("connector_offers")
    op.drop_table("connector_policies")
    op.drop_table("connector_assets")
    op.drop_table("connector_audit_checkpoints")
    op.drop_table("connector_audit_entries")
    op.drop_index("ix_connector_seen_tokens_expires_at", table_name="connector_seen_tokens")
    op.drop_table("connector_seen_tokens")
    op.drop_index("ix_connector_outbox_due", table_name="connector_outbox")
    op.drop_table("connector_outbox")
    op.drop_index("ix_connector_transfers_token_hash", table_name="connector_transfers")
    op.drop_table("connector_transfers")
    op.drop_table("connector_agreements")
    op.drop_table("connector_negotiations")
