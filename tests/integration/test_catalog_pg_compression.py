"""Migration catalog_0004: on PostgreSQL the catalog's documents are stored with LZ4, and
a downgrade puts the columns back to the server's default."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from test_catalog_store import Clock, entry

from catalog.store import CatalogStore
from hinterland.db import create_engine, migrate

pytestmark = pytest.mark.postgres

COMPRESSION = (
    "SELECT attname, attcompression::text FROM pg_attribute "
    "WHERE attrelid = 'catalog_entry_documents'::regclass AND attname IN ('document', 'rdf') "
    "ORDER BY attname"
)


async def _stored_compression(url: str, n: int) -> tuple[list[tuple[str, str]], str | None]:
    """The columns' compression settings, and how a large document just stored was
    compressed."""
    engine = create_engine(url)
    try:
        store = CatalogStore(engine, clock=Clock())
        big = entry(n)
        big.document = '{"description": "' + " ".join(f"bracket {i}" for i in range(2_000)) + '"}'
        await store.add(big)
        await store.close()
        async with engine.connect() as conn:
            columns = [(row[0], row[1]) for row in await conn.execute(sa.text(COMPRESSION))]
            method = await conn.scalar(
                sa.text(
                    "SELECT pg_column_compression(d.document) FROM catalog_entry_documents d "
                    "JOIN catalog_entries e ON e.row_id = d.row_id WHERE e.id = :id"
                ),
                {"id": big.id},
            )
        return columns, method
    finally:
        await engine.dispose()


def test_documents_are_stored_with_lz4_and_the_downgrade_restores_the_default(
    postgres_url: str,
) -> None:
    migrate.upgrade(postgres_url)
    columns, method = asyncio.run(_stored_compression(postgres_url, 1))
    assert columns == [("document", "l"), ("rdf", "l")]
    assert method == "lz4"
    migrate.downgrade(postgres_url, "catalog_0003")
    columns, method = asyncio.run(_stored_compression(postgres_url, 2))
    assert columns == [("document", ""), ("rdf", "")]  # the server's default again
    assert method == "pglz"
