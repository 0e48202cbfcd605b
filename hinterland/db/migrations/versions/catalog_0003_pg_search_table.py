"""Catalog search table (PostgreSQL only; nothing changes on SQLite): `catalog_search`
holds per entry only what a search reads -- row id, status, validUntil and one tsvector
of the words (positions stripped) and of the search values as exact lexemes (see
`catalog.terms`) -- with a GIN index. It is built here from the stored text and values;
`catalog_entries.search_vector` and its index go. A trigger copies status and validUntil
changes of `catalog_entries` in the same statement (ADR catalog-0010).

Revision ID: catalog_0003
Revises: catalog_0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "catalog_0003"
down_revision: str | Sequence[str] | None = "catalog_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with catalog.terms.PG_TERM_SQL (a migration must not import app code that
# may change later).
_TERM = (
    "CASE WHEN octet_length(field) + octet_length(norm) + 2 <= 2047 "
    "THEN chr(31) || field || chr(31) || norm "
    "ELSE chr(31) || field || chr(30) || encode(sha256(convert_to(norm, 'UTF8')), 'hex') END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE catalog_search ("
        "row_id BIGINT NOT NULL, status VARCHAR(16) NOT NULL, "
        "valid_until TIMESTAMP WITH TIME ZONE, search_vector TSVECTOR NOT NULL, "
        "CONSTRAINT pk_catalog_search PRIMARY KEY (row_id), "
        "CONSTRAINT fk_catalog_search_row_id_catalog_entries FOREIGN KEY (row_id) "
        "REFERENCES catalog_entries (row_id) ON DELETE CASCADE)"
    )
    op.execute(
        "INSERT INTO catalog_search (row_id, status, valid_until, search_vector) "  # noqa: S608
        "SELECT e.row_id, e.status, e.valid_until, "
        "strip(to_tsvector('simple', d.search_text)) || coalesce(("
        f"SELECT array_to_tsvector(array_agg({_TERM})) FROM catalog_entry_values "
        "WHERE entry_row = e.row_id), ''::tsvector) "
        "FROM catalog_entries e JOIN catalog_entry_documents d ON d.row_id = e.row_id "
        "ORDER BY e.row_id"
    )
    op.execute(
        "CREATE INDEX ix_catalog_search_search_vector ON catalog_search USING GIN (search_vector)"
    )
    op.execute(
        "CREATE FUNCTION catalog_search_status() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "UPDATE catalog_search SET status = NEW.status, valid_until = NEW.valid_until "
        "WHERE row_id = NEW.row_id; "
        "RETURN NULL; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER catalog_search_status AFTER UPDATE OF status, valid_until "
        "ON catalog_entries FOR EACH ROW "
        "WHEN (OLD.status IS DISTINCT FROM NEW.status "
        "OR OLD.valid_until IS DISTINCT FROM NEW.valid_until) "
        "EXECUTE FUNCTION catalog_search_status()"
    )
    op.execute("DROP INDEX ix_catalog_entries_search_vector")
    op.execute("ALTER TABLE catalog_entries DROP COLUMN search_vector")
    op.execute("ANALYZE catalog_search")  # the planner picks its scan from these statistics


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE catalog_entries ADD COLUMN search_vector tsvector")
    op.execute(
        "UPDATE catalog_entries e SET search_vector = to_tsvector('simple', d.search_text) "
        "FROM catalog_entry_documents d WHERE d.row_id = e.row_id"
    )
    op.execute(
        "CREATE INDEX ix_catalog_entries_search_vector ON catalog_entries USING GIN (search_vector)"
    )
    op.execute("DROP TRIGGER catalog_search_status ON catalog_entries")
    op.execute("DROP FUNCTION catalog_search_status()")
    op.execute("DROP TABLE catalog_search")
