"""Catalog: entries, their search values, participants, change feed, peer cursors, and
full-text search (FTS5 on SQLite, a tsvector column with a GIN index on PostgreSQL).

Revision ID: catalog_0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("catalog",)
depends_on: str | Sequence[str] | None = "kernel_0001"

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "catalog_entries",
        sa.Column("row_id", BigId, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(2048), nullable=False),
        sa.Column("subject_id", sa.String(2048), nullable=True),
        sa.Column("types", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("claims", sa.Text(), nullable=False),
        sa.Column("issued", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("origin", sa.String(2048), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("row_id", name="pk_catalog_entries"),
        sa.UniqueConstraint("id", name="uq_catalog_entries_id"),
        sa.UniqueConstraint("sha256", name="uq_catalog_entries_sha256"),
    )
    op.create_index("ix_catalog_entries_issuer_status", "catalog_entries", ["issuer", "status"])
    op.create_index("ix_catalog_entries_subject_id", "catalog_entries", ["subject_id"])
    op.create_index(
        "ix_catalog_entries_status_valid_until", "catalog_entries", ["status", "valid_until"]
    )

    op.create_table(
        "catalog_entry_documents",
        sa.Column("row_id", BigId, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("compliance", sa.Text(), nullable=True),
        sa.Column("revocation", sa.Text(), nullable=True),
        sa.Column("rdf", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("row_id", name="pk_catalog_entry_documents"),
        sa.ForeignKeyConstraint(
            ["row_id"],
            ["catalog_entries.row_id"],
            name="fk_catalog_entry_documents_row_id_catalog_entries",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "catalog_entry_values",
        sa.Column("entry_row", BigId, nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("norm", sa.String(512), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("entry_row", "field", "norm", name="pk_catalog_entry_values"),
        sa.ForeignKeyConstraint(
            ["entry_row"],
            ["catalog_entries.row_id"],
            name="fk_catalog_entry_values_entry_row_catalog_entries",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_catalog_entry_values_field_norm",
        "catalog_entry_values",
        ["field", "norm", "entry_row"],
    )

    op.create_table(
        "catalog_participants",
        sa.Column("did", sa.String(2048), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("onboarded", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("did", name="pk_catalog_participants"),
    )

    op.create_table(
        "catalog_changes",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_catalog_changes"),
    )
    op.create_index("ix_catalog_changes_entry_id", "catalog_changes", ["entry_id"])

    op.create_table(
        "catalog_peers",
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("cursor", BigId, nullable=False),
        sa.Column("last_success", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("url", name="pk_catalog_peers"),
    )

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # An external-content-less FTS5 table keyed by the entry's row id.
        op.execute(
            "CREATE VIRTUAL TABLE catalog_entries_fts USING fts5("
            "search_text, tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute("ALTER TABLE catalog_entries ADD COLUMN search_vector tsvector")
        op.execute(
            "CREATE INDEX ix_catalog_entries_search_vector ON catalog_entries "
            "USING GIN (search_vector)"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS catalog_entries_fts")
    op.drop_table("catalog_peers")
    op.drop_index("ix_catalog_changes_entry_id", table_name="catalog_changes")
    op.drop_table("catalog_changes")
    op.drop_table("catalog_participants")
    op.drop_index("ix_catalog_entry_values_field_norm", table_name="catalog_entry_values")
    op.drop_table("catalog_entry_values")
    op.drop_table("catalog_entry_documents")
    for index in ("status_valid_until", "subject_id", "issuer_status"):
        op.drop_index(f"ix_catalog_entries_{index}", table_name="catalog_entries")
    op.drop_table("catalog_entries")
