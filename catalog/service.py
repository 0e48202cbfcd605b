"""The catalog's parts wired together (one per process): store, verifier, signer, ingest,
SPARQL index, matcher and federation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from catalog.credentials import KernelSigner, Signer, membership_credential
from catalog.federation import Federation
from catalog.ingest import Ingestor
from catalog.settings import CatalogSettings
from catalog.sparql import SparqlIndex
from catalog.store import CatalogStore, utc_now
from catalog.verifier import KernelVerifier, Verifier
from hinterland.db import create_engine
from hinterland.did import DidResolver
from hinterland.errors import NotFound
from hinterland.jsonld import DocumentLoader


@dataclass
class CatalogService:
    """Everything a request handler or background task needs."""

    settings: CatalogSettings
    engine: AsyncEngine
    store: CatalogStore
    verifier: Verifier
    signer: Signer
    ingestor: Ingestor
    sparql: SparqlIndex
    resolver: DidResolver
    loader: DocumentLoader
    federation: Federation

    @classmethod
    def build(
        cls,
        settings: CatalogSettings,
        *,
        engine: AsyncEngine | None = None,
        resolver: DidResolver | None = None,
        verifier: Verifier | None = None,
        signer: Signer | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> CatalogService:
        """Wire the parts from settings; any part can be given instead (tests, embedding)."""
        options = settings.catalog
        if engine is None:
            engine = create_engine(
                settings.database_url(),
                echo=settings.database.echo,
                pool_size=settings.database.pool_size,
                sqlite_synchronous=SQLITE_SYNCHRONOUS,
                sqlite_cache_kib=SQLITE_CACHE_KIB,
            )
        clock = clock or utc_now
        store = CatalogStore(
            engine,
            clock=clock,
            search_cache_entries=options.search_cache_entries,
            sqlite_synchronous=SQLITE_SYNCHRONOUS,
        )
        loader = DocumentLoader(settings.jsonld)
        resolver = resolver or DidResolver(settings.did)
        trusted = (
            frozenset(options.trusted_issuers)
            if options.participant_policy == "trust_list"
            else None
        )
        verifier = verifier or KernelVerifier(
            resolver,
            shapes=options.shapes,
            trusted_issuers=trusted,
            loader=loader,
            clock=clock,
            hinterland_shapes=options.hinterland_shapes,
        )
        signer = signer or KernelSigner.from_settings(
            options.key_file, options.did, settings.data_dir
        )
        ingestor = Ingestor(
            store, verifier, signer, options, loader=loader, jsonld_settings=settings.jsonld
        )
        sparql = SparqlIndex(
            store,
            timeout=options.sparql_timeout_seconds,
            max_results=options.sparql_max_results,
            max_query_bytes=options.sparql_max_query_bytes,
            max_memory_mb=options.sparql_max_memory_mb,
        )
        federation = Federation(store, ingestor, options.peers, page_size=options.peer_page_size)
        return cls(
            settings=settings,
            federation=federation,
            engine=engine,
            store=store,
            verifier=verifier,
            signer=signer,
            ingestor=ingestor,
            sparql=sparql,
            resolver=resolver,
            loader=loader,
        )

    async def membership(self, did: str, *alternatives: str) -> dict[str, Any]:
        """A freshly signed MembershipCredential for an onboarded participant (the first of
        `did` and its `alternatives` spellings that is known).

        Raises `NotFound` when it is not onboarded (or its onboarding was revoked).
        """
        participant = None
        for candidate in (did, *alternatives):
            participant = await self.store.participant(candidate)
            if participant is not None:
                did = candidate
                break
        if participant is None:
            raise NotFound(f"{did} is not an onboarded participant of this catalog")
        options = self.settings.catalog
        onboarding = await self.store.get(participant.entry_id)
        regions = onboarding.claims.get("region") or onboarding.claims.get("country") or []
        return self.signer.sign(
            membership_credential(
                catalog_did=self.signer.did,
                member_did=did,
                name=participant.name,
                entry_url=self.ingestor.entry_url(participant.entry_id),
                issued=self.store.clock(),
                valid_days=options.membership_validity_days,
                catalog_url=options.base_url,
                spatial=str(regions[0]) if regions else None,
            )
        )


# WAL with synchronous=NORMAL (ADR catalog-0004): a crashed or killed process loses nothing
# committed, only a power cut may lose the last transactions; an ingest's commit no longer
# waits for an fsync.
SQLITE_SYNCHRONOUS = "NORMAL"
# A 32 MiB page cache per connection instead of SQLite's 2 MiB: a search looks up entries by
# row id all over `catalog_entries`, and with 100,000 entries each look-up missed the small
# cache and read its page from the OS again (ADR catalog-0008).
SQLITE_CACHE_KIB = 32 * 1024
