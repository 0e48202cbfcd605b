"""Catalog documents compressed with LZ4 (PostgreSQL 14 and later, built with lz4;
elsewhere, and on SQLite, nothing changes). PostgreSQL compresses a stored document,
report, credential and claims graph when it moves them out of line; with pglz, its
default, that took about an eighth of the server's CPU per stored description (ADR
catalog-0012). Values stored before keep their compression until they are rewritten.

Revision ID: catalog_0004
Revises: catalog_0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0004"
down_revision: str | Sequence[str] | None = "catalog_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = {
    "catalog_entry_documents": (
        "document", "report", "compliance", "revocation", "rdf", "search_text",
    ),
    "catalog_entries": ("claims",),
}


def _lz4_available(bind: sa.Connection) -> bool:
    return bool(
        bind.exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
            "WHERE name = 'default_toast_compression'"
        ).scalar()
    )


def _set_compression(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _lz4_available(bind):
        return
    for table, columns in _COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("default")
