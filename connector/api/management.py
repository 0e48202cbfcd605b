"""The management API (`/management/v1`): the company's own view of its connector.

Provider side: assets (records or files), policies, offers (contract definitions), the
audit log. Consumer side: ask a provider for its catalog, negotiate, list agreements,
start and steer transfers, download. Protected by an API key (`X-Api-Key` or
`Authorization: Bearer`), compared in constant time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from connector.api.dsp_errors import read_json
from connector.api.state import ConnectorState, connector_state
from connector.assets.files import guess_media_type, store_stream
from connector.assets.printmeta import print_metadata
from connector.assets.records import parse_records, records_json
from connector.dsp import messages as m
from connector.services.worker import TransportError
from connector.statemachine import Role, TransferEvent
from connector.store.tables import AgreementRow, AssetRow, NegotiationRow, TransferRow
from hinterland.errors import Conflict, InputError, LimitExceeded
from hinterland.web.apikey import require_key

MAX_RECORD_BYTES = 50 * 1024 * 1024
MAX_WAIT = 120.0


async def require_api_key(request: Request) -> None:
    """Refuse the request unless it carries the configured management API key."""
    configured = connector_state(request).settings.connector.management_api_key
    require_key(request.headers, configured, "connector.management_api_key")


# ---------------------------------------------------------------------------- bodies


class RecordsAsset(BaseModel):
    """A value-chain dataset given inline."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=200)
    title: str = Field(max_length=500)
    description: str | None = Field(None, max_length=5_000)
    recordType: str | None = Field(None, description="e.g. 'pcf' (validated)")
    records: list[dict[str, Any]] = Field(min_length=1)
    properties: dict[str, Any] = Field(default_factory=dict)


class OfferBody(BaseModel):
    """A contract definition: which assets, under which policies."""

    model_config = ConfigDict(extra="forbid")
    assets: dict[str, Any] = Field(
        default_factory=dict,
        description="asset selector: {} for all, or assets/kind/record_type/media_type/properties",
    )
    accessPolicy: str
    contractPolicy: str
    recordFilter: dict[str, Any] | None = Field(
        None,
        description="records assets: deliver only records whose fields have these values "
        "('$caller' = the requesting party's DID)",
    )


def _dsp_base_url(value: str) -> str:
    """A provider's DSP base URL must be an absolute http(s) URL that httpx can send to."""
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("the provider's DSP base URL must be an absolute http(s) URL")
    return value


ProviderUrl = Annotated[
    str, Field(max_length=2_048, description="the provider's DSP base URL"),
    AfterValidator(_dsp_base_url),
]


class CatalogQuery(BaseModel):
    """Which provider to ask for its catalog."""

    provider: ProviderUrl
    providerDid: str
    filter: list[Any] | None = None


class NegotiationStart(BaseModel):
    """Negotiate an offer taken from the provider's catalog."""

    provider: ProviderUrl
    providerDid: str
    offer: dict[str, Any] = Field(description="the catalog offer, with 'target' set")
    wait: float = Field(0, ge=0, le=MAX_WAIT, description="seconds to wait for the outcome")


class TransferStart(BaseModel):
    """Start a transfer under an agreement."""

    agreementId: str
    action: str = "use"
    purpose: str | None = None
    wait: float = Field(0, ge=0, le=MAX_WAIT)


class TransferAction(BaseModel):
    """Steer a transfer."""

    action: Literal["suspend", "resume", "complete", "terminate"]
    reason: str | None = Field(None, max_length=1_000)


# ---------------------------------------------------------------------------- views


def asset_view(row: AssetRow) -> dict[str, Any]:
    """An asset as JSON."""
    return {
        "id": row.id, "kind": row.kind, "title": row.title, "description": row.description,
        "mediaType": row.media_type, "recordType": row.record_type, "fileName": row.file_name,
        "sha256": row.sha256, "size": row.size, "properties": row.properties,
    }


def negotiation_view(row: NegotiationRow) -> dict[str, Any]:
    """A negotiation as JSON."""
    return {
        "pid": row.pid, "role": row.role, "state": row.state, "counterparty": row.counterparty,
        "remotePid": row.remote_pid, "assetId": row.asset_id, "agreementId": row.agreement_id,
        "reason": row.reason, "offer": row.offer, "updatedAt": row.updated_at,
    }


def transfer_view(row: TransferRow) -> dict[str, Any]:
    """A transfer as JSON (never the provider's token material)."""
    return {
        "pid": row.pid, "role": row.role, "state": row.state, "counterparty": row.counterparty,
        "remotePid": row.remote_pid, "agreementId": row.agreement_id, "format": row.format,
        "action": row.params.get("action"), "purpose": row.params.get("purpose"),
        "use": row.params.get("use"), "of": row.params.get("of"), "reason": row.reason,
        "hasDataAddress": row.data_address is not None, "updatedAt": row.updated_at,
    }


def agreement_view(row: AgreementRow) -> dict[str, Any]:
    """An agreement as JSON."""
    return {
        "id": row.id, "role": row.role, "assetId": row.asset_id, "provider": row.provider,
        "consumer": row.consumer, "negotiationPid": row.negotiation_pid, "policy": row.policy,
    }


def _new_asset_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


async def _body_stream(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


def management_router() -> APIRouter:
    """Every management route (mounted under `/management/v1`)."""
    router = APIRouter(dependencies=[Depends(require_api_key)], tags=["management"])

    # ------------------------------------------------------------------ assets

    @router.post("/assets/files", status_code=201, summary="Upload a file asset (raw body)")
    async def upload_file(
        request: Request,
        title: str = Query(max_length=500),
        file_name: str = Query(alias="fileName", max_length=255),
        asset_id: str | None = Query(None, alias="id", max_length=200),
        description: str | None = Query(None, max_length=5_000),
        media_type: str | None = Query(None, alias="mediaType", max_length=200),
    ) -> JSONResponse:
        state = connector_state(request)
        if "/" in file_name or "\\" in file_name or file_name in ("", ".", ".."):
            raise InputError("fileName must be a plain file name")
        stored = await store_stream(
            _body_stream(request), state.settings.asset_dir(),
            max_bytes=state.settings.connector.max_upload_bytes,
        )
        printing = await asyncio.to_thread(print_metadata, stored.path, file_name)
        kind_type = media_type or guess_media_type(file_name)
        row = await state.services.offers.put_asset(
            AssetRow(
                id=asset_id or _new_asset_id(), kind="file", title=title, description=description,
                media_type=kind_type, record_type=None, file_name=file_name,
                sha256=stored.sha256, size=stored.size,
                properties={"print": printing} if printing else {},
            )
        )
        await state.services.audit.record(
            "asset.stored", {"asset": row.id, "sha256": row.sha256, "size": row.size}
        )
        state.offers_changed()
        return JSONResponse(asset_view(row), status_code=201)

    @router.post("/assets/records", status_code=201, summary="Create a records asset (JSON)")
    async def create_records(request: Request, body: RecordsAsset) -> JSONResponse:
        state = connector_state(request)
        data = records_json(body.records)
        parse_records(data, media_type="application/json", record_type=body.recordType)
        return await _store_records(state, body.id, body.title, body.description,
                                    body.recordType, data, body.properties)

    @router.post("/assets/records/csv", status_code=201, summary="Create a records asset (CSV)")
    async def create_records_csv(
        request: Request,
        title: str = Query(max_length=500),
        asset_id: str | None = Query(None, alias="id", max_length=200),
        record_type: str | None = Query(None, alias="recordType"),
        description: str | None = Query(None, max_length=5_000),
    ) -> JSONResponse:
        state = connector_state(request)
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_RECORD_BYTES:
                raise LimitExceeded(f"records larger than {MAX_RECORD_BYTES} bytes")
        records = parse_records(bytes(raw), media_type="text/csv", record_type=record_type)
        return await _store_records(state, asset_id, title, description, record_type,
                                    records_json(records), {})

    @router.get("/assets", summary="List assets")
    async def list_assets(request: Request) -> list[dict[str, Any]]:
        return [asset_view(a) for a in await connector_state(request).services.offers.assets()]

    @router.get("/assets/{asset_id:path}", summary="One asset")
    async def get_asset(request: Request, asset_id: str) -> dict[str, Any]:
        return asset_view(await connector_state(request).services.offers.get_asset(asset_id))

    @router.delete("/assets/{asset_id:path}", status_code=204, summary="Delete an asset")
    async def delete_asset(request: Request, asset_id: str) -> Response:
        state = connector_state(request)
        await state.services.offers.delete_asset(asset_id)
        await state.services.audit.record("asset.deleted", {"asset": asset_id})
        state.offers_changed()
        return Response(status_code=204)

    # ------------------------------------------------------------------ policies, offers

    @router.put("/policies/{policy_id}", summary="Create or replace an ODRL policy")
    async def put_policy(request: Request, policy_id: str) -> dict[str, Any]:
        state = connector_state(request)
        body = await read_json(request, state.settings.connector.max_message_bytes)
        if not isinstance(body, dict):
            raise InputError("a policy is a JSON object")
        check = getattr(state.services.gate, "check", None)
        if check is not None:
            check(body)
        row = await state.services.offers.put_policy(policy_id, body)
        state.offers_changed()
        return {"id": row.id, "policy": row.policy}

    @router.get("/policies", summary="List policies")
    async def list_policies(request: Request) -> list[dict[str, Any]]:
        rows = await connector_state(request).services.offers.policies()
        return [{"id": r.id, "policy": r.policy} for r in rows]

    @router.get("/policies/{policy_id}", summary="One policy")
    async def get_policy(request: Request, policy_id: str) -> dict[str, Any]:
        row = await connector_state(request).services.offers.get_policy(policy_id)
        return {"id": row.id, "policy": row.policy}

    @router.delete("/policies/{policy_id}", status_code=204, summary="Delete a policy")
    async def delete_policy(request: Request, policy_id: str) -> Response:
        await connector_state(request).services.offers.delete_policy(policy_id)
        return Response(status_code=204)

    @router.put("/offers/{offer_id}", summary="Create or replace an offer")
    async def put_offer(request: Request, offer_id: str, body: OfferBody) -> dict[str, Any]:
        state = connector_state(request)
        selector = dict(body.assets)
        if body.recordFilter:
            selector["recordFilter"] = body.recordFilter
        row = await state.services.offers.put_offer(
            offer_id, selector, body.accessPolicy, body.contractPolicy
        )
        state.offers_changed()
        return {"id": row.id, "assets": row.selector, "accessPolicy": row.access_policy_id,
                "contractPolicy": row.contract_policy_id}

    @router.get("/offers", summary="List offers")
    async def list_offers(request: Request) -> list[dict[str, Any]]:
        rows = await connector_state(request).services.offers.offers()
        return [{"id": r.id, "assets": r.selector, "accessPolicy": r.access_policy_id,
                 "contractPolicy": r.contract_policy_id} for r in rows]

    @router.delete("/offers/{offer_id}", status_code=204, summary="Delete an offer")
    async def delete_offer(request: Request, offer_id: str) -> Response:
        state = connector_state(request)
        await state.services.offers.delete_offer(offer_id)
        state.offers_changed()
        return Response(status_code=204)

    # ------------------------------------------------------------------ processes

    @router.get("/negotiations", summary="Negotiations (both roles)")
    async def list_negotiations(
        request: Request, role: Role | None = None, limit: int = Query(100, ge=1, le=1_000)
    ) -> list[dict[str, Any]]:
        rows = await connector_state(request).services.negotiations.recent(role=role, limit=limit)
        return [negotiation_view(r) for r in rows]

    @router.get("/negotiations/{pid}", summary="One negotiation")
    async def get_negotiation(request: Request, pid: str) -> dict[str, Any]:
        return negotiation_view(await connector_state(request).services.negotiations.get(pid))

    @router.get("/agreements", summary="Agreements (both roles)")
    async def list_agreements(request: Request, role: Role | None = None) -> list[dict[str, Any]]:
        rows = await connector_state(request).services.agreements.all(role=role)
        return [agreement_view(r) for r in rows]

    @router.get("/transfers", summary="Transfers (both roles)")
    async def list_transfers(
        request: Request, role: Role | None = None, limit: int = Query(100, ge=1, le=1_000)
    ) -> list[dict[str, Any]]:
        rows = await connector_state(request).services.transfers.recent(role=role, limit=limit)
        return [transfer_view(r) for r in rows]

    @router.get("/transfers/{pid}", summary="One transfer")
    async def get_transfer(request: Request, pid: str) -> dict[str, Any]:
        return transfer_view(await connector_state(request).services.transfers.get(pid))

    @router.post("/transfers/{pid}/actions", summary="Suspend, resume, complete, terminate")
    async def transfer_action(request: Request, pid: str, body: TransferAction) -> dict[str, Any]:
        event = {"suspend": TransferEvent.SUSPENSION, "resume": TransferEvent.START,
                 "complete": TransferEvent.COMPLETION,
                 "terminate": TransferEvent.TERMINATION}[body.action]
        row = await connector_state(request).transfer.act(pid, event, reason=body.reason)
        return transfer_view(row)

    # ------------------------------------------------------------------ consumer side

    @router.post("/consumer/catalog", summary="Ask a provider for its DSP catalog")
    async def consumer_catalog(request: Request, body: CatalogQuery) -> JSONResponse:
        state = connector_state(request)
        assert state.transport is not None
        url = body.provider.rstrip("/") + "/catalog/request"
        try:
            reply = await state.transport.request(
                "POST", url, body.providerDid, m.CatalogRequestMessage(filter=body.filter).to_json()
            )
        except TransportError as exc:
            raise Conflict(f"the provider could not be reached: {exc}") from None
        try:
            content = reply.json()
        except ValueError:
            raise Conflict(f"the provider answered {reply.status_code} without JSON") from None
        return JSONResponse(content, status_code=200 if reply.status_code == 200 else 502)

    @router.post("/consumer/negotiations", status_code=201, summary="Negotiate an offer")
    async def consumer_negotiate(request: Request, body: NegotiationStart) -> dict[str, Any]:
        state = connector_state(request)
        try:
            offer = m.Offer.model_validate(body.offer)
        except ValidationError as exc:
            problems = m.validation_problems(exc)
            raise InputError(f"`offer` is not an ODRL offer: {problems}") from None
        row = await state.negotiation.request(body.provider.rstrip("/"), body.providerDid, offer)
        if body.wait:
            row = await _wait(state, "negotiation", row, {"FINALIZED", "TERMINATED"}, body.wait)
        return negotiation_view(row)

    @router.post("/consumer/negotiations/{pid}/accept", summary="Accept a provider's offer")
    async def consumer_accept(request: Request, pid: str) -> dict[str, Any]:
        return negotiation_view(await connector_state(request).negotiation.accept(pid))

    @router.post("/consumer/transfers", status_code=201, summary="Start a transfer")
    async def consumer_transfer(request: Request, body: TransferStart) -> dict[str, Any]:
        state = connector_state(request)
        row = await state.transfer.request(body.agreementId, action=body.action,
                                           purpose=body.purpose)
        if body.wait:
            row = await _wait(state, "transfer", row, {"STARTED", "TERMINATED", "COMPLETED"},
                              body.wait)
        return transfer_view(row)

    @router.get("/consumer/transfers/{pid}/data", summary="Download the data of a transfer")
    async def consumer_data(request: Request, pid: str) -> Response:
        state = connector_state(request)
        row = await state.services.transfers.get(pid, role=Role.CONSUMER)
        address = _address(row)
        headers = {"Authorization": f"Bearer {address.property('authorization')}"}
        if request.headers.get("range"):
            headers["Range"] = request.headers["range"]
        assert state.transport is not None
        client = state.transport.client
        upstream = await client.send(
            client.build_request("GET", str(address.endpoint), headers=headers), stream=True
        )
        passed = {k: v for k, v in upstream.headers.items()
                  if k.lower() in ("content-type", "content-length", "content-range", "etag",
                                   "repr-digest", "accept-ranges", "link", "hinterland-licence")}
        if upstream.status_code >= 400:
            detail = (await upstream.aread()).decode("utf-8", "replace")[:1_000]
            await upstream.aclose()
            return JSONResponse({"error": "provider_refused", "message": detail},
                                status_code=upstream.status_code)

        async def relay() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream.aiter_raw(1024 * 1024):
                    yield chunk
            finally:
                await upstream.aclose()

        return StreamingResponse(relay(), status_code=upstream.status_code, headers=passed)

    @router.get("/consumer/transfers/{pid}/licence", summary="The signed licence of a print")
    async def consumer_licence(request: Request, pid: str) -> JSONResponse:
        state = connector_state(request)
        row = await state.services.transfers.get(pid, role=Role.CONSUMER)
        address = _address(row)
        assert state.transport is not None
        reply = await state.transport.client.get(
            str(address.endpoint) + "/licence",
            headers={"Authorization": f"Bearer {address.property('authorization')}"},
        )
        return JSONResponse(reply.json(), status_code=reply.status_code)

    @router.post("/publish", summary="Publish our self-descriptions to the catalogs now")
    async def publish_now(request: Request) -> list[dict[str, Any]]:
        state = connector_state(request)
        if state.publisher is None:
            raise Conflict("no catalogs are configured (connector.catalogs)")
        return [o.__dict__ for o in await state.publisher.publish_all()]

    # ------------------------------------------------------------------ audit

    @router.get("/audit", summary="The audit log as JSON Lines")
    async def audit_export(request: Request) -> Response:
        audit = connector_state(request).services.audit
        export = getattr(audit, "export", None)
        if export is None:
            raise Conflict("this connector's audit sink cannot export")
        return StreamingResponse(export(), media_type="application/jsonl")

    return router


async def _store_records(
    state: ConnectorState, asset_id: str | None, title: str, description: str | None,
    record_type: str | None, data: bytes, properties: dict[str, Any],
) -> JSONResponse:
    async def one() -> AsyncIterator[bytes]:
        yield data

    stored = await store_stream(one(), state.settings.asset_dir(), max_bytes=MAX_RECORD_BYTES)
    row = await state.services.offers.put_asset(
        AssetRow(
            id=asset_id or _new_asset_id(), kind="records", title=title, description=description,
            media_type="application/json", record_type=record_type, file_name=None,
            sha256=stored.sha256, size=stored.size, properties=properties,
        )
    )
    await state.services.audit.record(
        "asset.stored", {"asset": row.id, "sha256": row.sha256, "size": row.size}
    )
    state.offers_changed()
    return JSONResponse(asset_view(row), status_code=201)


def _address(row: TransferRow) -> m.DataAddress:
    if row.state != "STARTED" or row.data_address is None:
        raise Conflict(f"transfer {row.pid} is {row.state}; there is no data to fetch")
    return m.DataAddress.model_validate(row.data_address)


async def _wait(
    state: ConnectorState, kind: str, created: Any, states: set[str], seconds: float
) -> Any:
    """The process we just `created` once it is in one of `states` (or as it is after
    `seconds`). Its row comes from the notification of the step that reached one of
    `states`; the database is read only on a poll (changes made by another replica, or a
    step that raced ahead of the start of the wait)."""
    store = state.services.negotiations if kind == "negotiation" else state.services.transfers
    pid = created.pid
    box: dict[str, Any] = {"notified": created}

    def wants(hint: tuple[str, str, str, str], row: Any) -> bool:
        if hint[0] != kind or hint[1] != pid or hint[3] not in states:
            return False
        if row is not None and getattr(row, "pid", None) == pid:
            box["notified"] = row
        return True

    async def done() -> bool:
        row = box.pop("notified", None)
        box["row"] = row if row is not None else await store.get(pid)
        return bool(box["row"].state in states)

    await state.services.signals.wait_until(done, within=seconds, wants=wants)
    return box["row"]
