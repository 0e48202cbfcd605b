"""Catalog search terms: on SQLite the FTS5 table gets a `terms` column holding every search
value of an entry as one token (see `catalog.terms`), rebuilt here from the stored values;
on PostgreSQL an index for counting and sampling matches by status without the wide rows.

Revision ID: catalog_0002
Revises: catalog_0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "catalog_0002"
down_revision: str | Sequence[str] | None = "catalog_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with catalog.terms.SQLITE_TERM_SQL (a migration must not import app code
# that may change later).
_TERM = "'v' || lower(hex(field || char(31) || norm))"
_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE VIRTUAL TABLE catalog_entries_fts_new USING fts5(search_text, terms, {_TOKENIZE})"
    )
    op.execute(
        "INSERT INTO catalog_entries_fts_new(rowid, search_text, terms) "  # noqa: S608
        "SELECT d.row_id, d.search_text, coalesce(("
        f"SELECT group_concat({_TERM}, ' ') FROM catalog_entry_values "
        "WHERE entry_row = d.row_id), '') FROM catalog_entry_documents d"
    )
    op.execute("DROP TABLE catalog_entries_fts")
    op.execute("ALTER TABLE catalog_entries_fts_new RENAME TO catalog_entries_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE VIRTUAL TABLE catalog_entries_fts_old USING fts5(search_text, {_TOKENIZE})")
    op.execute(
        "INSERT INTO catalog_entries_fts_old(rowid, search_text) "
        "SELECT row_id, search_text FROM catalog_entry_documents"
    )
    op.execute("DROP TABLE catalog_entries_fts")
    op.execute("ALTER TABLE catalog_entries_fts_old RENAME TO catalog_entries_fts")
