"""The connector's web application: `create_app(settings)`.

Mounts `/.well-known/dspace-version`, the DSP endpoints under the version path, our DID
document, the credential service and the management API, and runs the worker beside the
server. Everything is built in the lifespan, so importing this module starts nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connector.api.credential_service import credential_router
from connector.api.dataplane import data_router
from connector.api.dsp import dsp_router
from connector.api.management import management_router
from connector.api.state import ConnectorState, NoCredentials
from connector.audit.log import AuditLog
from connector.credentials import PresentationClaims
from connector.declarations import apply as apply_declarations
from connector.dsp import messages as m
from connector.enforcement import PolicyGate
from connector.identity import TokenIssuer, TokenVerifier
from connector.policy_gate import OdrlGate
from connector.publishing import Publisher
from connector.services.context import AuditSink, ClaimsSource, Services
from connector.services.worker import Worker
from connector.settings import ConnectorOptions, ConnectorSettings
from connector.store.processes import Clock
from connector.transport import HttpTransport
from hinterland.db import create_engine, migrate
from hinterland.did import DidResolver, did_web_document, did_web_url
from hinterland.errors import ConfigurationError
from hinterland.keys import PrivateKey, load_private_key
from hinterland.web.errors import install_error_handlers
from hinterland.web.observability import install_observability


@dataclass
class Overrides:
    """Parts a test or an embedding program supplies instead of the defaults."""

    key: PrivateKey | None = None
    resolver: DidResolver | None = None
    http: httpx.AsyncClient | None = None
    gate: PolicyGate | None = None
    claims: ClaimsSource | None = None
    audit: AuditSink | None = None
    clock: Clock = time.time
    run_worker: bool = True
    credentials: list[dict[str, Any]] = field(default_factory=list)


def did_document(settings: ConnectorSettings, key: PrivateKey) -> dict[str, Any]:
    """Our did:web document, advertising the DSP and credential services."""
    did = settings.connector.did
    base = settings.connector.public_url.rstrip("/")
    return did_web_document(
        did,
        key.public(),
        services=[
            {"id": f"{did}#dsp", "type": "DataService",
             "serviceEndpoint": f"{base}/.well-known/dspace-version"},
            {"id": f"{did}#credentials", "type": "CredentialService",
             "serviceEndpoint": base},
        ],
    )


def version_document(settings: ConnectorSettings) -> dict[str, Any]:
    """The `/.well-known/dspace-version` document."""
    return m.VersionResponse(
        protocolVersions=[
            m.ProtocolVersion(
                version=m.DSP_VERSION,
                path=settings.connector.dsp_path,
                binding="HTTPS",
                identifierType="did:web",
                serviceId=f"{settings.connector.did}#dsp",
                auth=m.VersionAuth(protocol="DCP", version="1.0", profile=["vc20-bssl/jwt"]),
            )
        ]
    ).to_json()


def _claims_source(
    options: ConnectorOptions, transport: HttpTransport, resolver: DidResolver, clock: Clock
) -> ClaimsSource:
    if not options.trusted_issuers:
        return NoCredentials()
    return PresentationClaims(
        transport, resolver, trusted_issuers=options.trusted_issuers, clock=clock
    )


def _load_credentials(directory: Path | None) -> list[dict[str, Any]]:
    if directory is None:
        return []
    if not directory.is_dir():
        raise ConfigurationError(f"credentials directory {directory} does not exist")
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            value = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"cannot read credential {path}: {exc}") from None
        if not isinstance(value, dict):
            raise ConfigurationError(f"credential {path} is not a JSON object")
        found.append(value)
    return found


def create_app(settings: ConnectorSettings, overrides: Overrides | None = None) -> FastAPI:
    """Build the connector application (nothing runs until the lifespan starts)."""
    extra = overrides or Overrides()
    options = settings.connector
    if not options.did:
        raise ConfigurationError("connector.did is required (our did:web)")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        key = extra.key
        if key is None:
            if options.key_file is None:
                raise ConfigurationError("connector.key_file is required (our Ed25519 key)")
            key = load_private_key(options.key_file)
        url = settings.database_url()
        if settings.database.migrate_on_start:
            await asyncio.to_thread(migrate.upgrade, url)
        else:  # refuse to start rather than answer every request with a 500
            await asyncio.to_thread(migrate.require_current, url)
        # WAL with synchronous=NORMAL: a crashed or killed process loses nothing committed
        # (only a power cut may lose the last transactions), and a negotiation's many small
        # commits no longer each wait for an fsync.
        engine = create_engine(
            url, pool_size=settings.database.pool_size, sqlite_synchronous="NORMAL"
        )
        http = extra.http or httpx.AsyncClient(timeout=10.0)
        resolver = extra.resolver or DidResolver(settings.did, http=http)
        issuer = TokenIssuer(key, options.did, lifetime=options.token_lifetime_seconds,
                             clock=extra.clock)
        audit = extra.audit or AuditLog(
            engine, key, signer=options.did, verification_method=f"{options.did}#key-1",
            checkpoint_every=options.audit_checkpoint_every, clock=extra.clock,
        )
        services = Services(
            engine=engine,
            did=options.did,
            dsp_base=settings.dsp_base(),
            data_base=options.public_url.rstrip("/") + "/data",
            gate=extra.gate or OdrlGate(engine, clock=extra.clock),
            audit=audit,
            clock=extra.clock,
            data_token_lifetime=float(options.data_token_lifetime_seconds),
            lease_seconds=options.lease_seconds,
            asset_dir=settings.asset_dir(),
            allow_private_callbacks=settings.did.allow_private_addresses,
            allow_http_callbacks=settings.did.allow_http,
        )
        if options.worker_id:
            services.worker_id = options.worker_id
        transport = HttpTransport(http, issuer)
        state = ConnectorState(
            settings=settings,
            services=services,
            issuer=issuer,
            verifier=TokenVerifier(engine, resolver, options.did, clock=extra.clock),
            claims=extra.claims or _claims_source(options, transport, resolver, extra.clock),
            own_credentials=[*extra.credentials, *_load_credentials(options.credentials_dir)],
            key=key,
            transport=transport,
        )
        app.state.connector = state
        if options.declare is not None:
            await apply_declarations(options.declare, services, settings.asset_dir(),
                                     max_bytes=options.max_upload_bytes)
        app.state.did_document = did_document(settings, key)
        worker = Worker(services, transport, poll=options.poll_seconds,
                        negotiation=state.negotiation, transfer=state.transfer)
        app.state.worker = worker
        tasks = [asyncio.create_task(worker.run())] if extra.run_worker else []
        if options.catalogs:
            publisher = Publisher(
                services, key, http, catalogs=options.catalogs, legal_name=options.legal_name,
                region=options.region, on_membership=state.add_credential,
            )
            state.publisher = publisher
            if extra.run_worker:
                tasks.append(asyncio.create_task(publisher.run(options.republish_seconds)))
        try:
            yield
        finally:
            worker.stop()
            if tasks:
                await asyncio.wait(tasks[:1], timeout=10)  # let the worker finish its pass
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if extra.http is None:
                await http.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Hinterland connector",
        version="0.1.0",
        description="Dataspace Protocol 2025-1 connector with usage enforcement and audit log.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_observability(app, metrics_api_key=settings.metrics_api_key)

    @app.get("/.well-known/dspace-version", tags=["dataspace protocol"])
    async def dspace_version() -> JSONResponse:
        return JSONResponse(version_document(settings))

    did_path = "/.well-known/did.json"
    if options.did.startswith("did:web:"):
        did_path = "/" + did_web_url(options.did).split("/", 3)[3]

    async def serve_did(request: Request) -> JSONResponse:
        return JSONResponse(request.app.state.did_document)

    app.add_api_route(did_path, serve_did, methods=["GET"], tags=["identity"])
    if did_path != "/.well-known/did.json":
        app.add_api_route("/.well-known/did.json", serve_did, methods=["GET"], tags=["identity"])
    app.include_router(dsp_router(), prefix=options.dsp_path)
    app.include_router(data_router(), prefix="/data")
    app.include_router(credential_router())
    app.include_router(management_router(), prefix="/management/v1")
    return app
