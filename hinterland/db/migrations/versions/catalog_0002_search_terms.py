"""Catalog search terms (SQLite only; nothing changes on PostgreSQL): the FTS5 table gets a
`terms` column holding every search value of an entry as one token (see `catalog.terms`),
rebuilt here from the stored values; `catalog_entry_values` becomes a WITHOUT ROWID table,
clustered by its primary key (entry_row, field, norm), so that counting the facets of
sampled entries reads their values in one place instead of index entry, then row.

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


_VALUES = (
    "CREATE TABLE {name} ("
    "entry_row INTEGER NOT NULL, field VARCHAR(32) NOT NULL, norm VARCHAR(512) NOT NULL, "
    "value VARCHAR(512) NOT NULL, "
    "CONSTRAINT pk_catalog_entry_values PRIMARY KEY (entry_row, field, norm), "
    "CONSTRAINT fk_catalog_entry_values_entry_row_catalog_entries FOREIGN KEY(entry_row) "
    "REFERENCES catalog_entries (row_id) ON DELETE CASCADE){options}"
)


def _rebuild_values(options: str) -> None:
    op.execute(_VALUES.format(name="catalog_entry_values_new", options=options))
    op.execute(
        "INSERT INTO catalog_entry_values_new(entry_row, field, norm, value) "
        "SELECT entry_row, field, norm, value FROM catalog_entry_values"
    )
    op.execute("DROP INDEX ix_catalog_entry_values_field_norm")
    op.execute("DROP TABLE catalog_entry_values")
    op.execute("ALTER TABLE catalog_entry_values_new RENAME TO catalog_entry_values")
    op.execute(
        "CREATE INDEX ix_catalog_entry_values_field_norm "
        "ON catalog_entry_values (field, norm, entry_row)"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild_values(" WITHOUT ROWID")
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
    _rebuild_values("")
    op.execute(f"CREATE VIRTUAL TABLE catalog_entries_fts_old USING fts5(search_text, {_TOKENIZE})")
    op.execute(
        "INSERT INTO catalog_entries_fts_old(rowid, search_text) "
        "SELECT row_id, search_text FROM catalog_entry_documents"
    )
    op.execute("DROP TABLE catalog_entries_fts")
    op.execute("ALTER TABLE catalog_entries_fts_old RENAME TO catalog_entries_fts")
