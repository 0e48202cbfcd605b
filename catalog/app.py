"""`create_app(settings)`: the catalog as a FastAPI application."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog import api
from catalog.credentials import Signer
from catalog.service import CatalogService
from catalog.settings import CatalogSettings
from catalog.verifier import Verifier
from catalog.web import pages
from hinterland.did import DidResolver
from hinterland.web.errors import install_error_handlers
from hinterland.web.logging import register_secret
from hinterland.web.observability import database_check, install_observability

log = logging.getLogger("catalog")


def create_app(
    settings: CatalogSettings,
    *,
    engine: AsyncEngine | None = None,
    resolver: DidResolver | None = None,
    verifier: Verifier | None = None,
    signer: Signer | None = None,
    clock: Callable[[], datetime] | None = None,
    background: bool = True,
) -> FastAPI:
    """Build the catalog app. The database must be migrated already
    (`hinterland db upgrade`, or `catalog serve` does it when `database.migrate_on_start`).

    With `background`, the app's lifespan runs the expiry sweeper and, when peers are
    configured, federation pulls.
    """
    if settings.catalog.admin_api_key is not None:
        register_secret(settings.catalog.admin_api_key.get_secret_value())
    service = CatalogService.build(
        settings, engine=engine, resolver=resolver, verifier=verifier, signer=signer, clock=clock
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        options = settings.catalog
        tasks = [asyncio.create_task(_every(options.sweep_seconds, service.store.expire_due))]
        if options.peers:
            tasks.append(
                asyncio.create_task(_every(options.peer_poll_seconds, service.federation.sync_once))
            )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await service.sparql.close()
            await service.store.close()
            if engine is None:
                await service.engine.dispose()

    app = FastAPI(
        title="Hinterland catalog",
        description="Signed self-descriptions: publish, verify, search, match, federate.",
        lifespan=lifespan if background else None,
    )
    app.state.catalog = service
    install_error_handlers(app)
    install_observability(
        app,
        [("database", database_check(service.engine))],
        metrics_api_key=settings.metrics_api_key,
    )
    app.include_router(api.router)
    app.include_router(pages.router)
    api.dispatch_publish_first(app)
    _freeze_startup_heap()
    return app


_FROZEN: list[bool] = []


def _freeze_startup_heap() -> None:
    """Move what exists once the first app is built (modules, schemas, shapes: some
    140,000 objects) out of the garbage collector's reach, once per process. Each full
    collection walked all of them: 70-85 ms pauses every few dozen requests, which were
    the p99 of search."""
    if not _FROZEN:
        _FROZEN.append(True)
        gc.collect()
        gc.freeze()


async def _every(seconds: float, action: Callable[[], object]) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            result = action()
            if asyncio.iscoroutine(result):
                await result
        except Exception:  # a failed round must not stop the loop; it is logged
            log.exception("background task failed")
