"""DSP 2025-1 HTTPS binding: catalog, negotiation and transfer endpoints, provider and
consumer (callback) side.

Every request is authenticated with the caller's self-issued ID token; every message is
validated against the official schema; errors are DSP error messages (400 for an illegal
transition, 404 for an unknown process or one that belongs to someone else).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from connector.api.dsp_errors import Kind, dsp_error, read_json
from connector.api.state import ConnectorState, connector_state
from connector.catalog_view import catalog_page, dataset
from connector.dsp import messages as m
from connector.enforcement import Caller
from connector.statemachine import Role
from connector.statemachine import TransferEvent as TE
from connector.store import replay
from connector.store.tables import NegotiationRow, TransferRow
from hinterland.errors import HinterlandError, NotFound, ProtocolMessageError

M = TypeVar("M", bound=m.DspModel)
JSON = "application/json"


def negotiation_ack(row: NegotiationRow) -> dict[str, Any]:
    """The ContractNegotiation ACK for our row."""
    ours, theirs = row.pid, row.remote_pid or ""
    provider, consumer = (ours, theirs) if row.role == Role.PROVIDER.value else (theirs, ours)
    return m.ContractNegotiation(
        providerPid=provider, consumerPid=consumer, state=m.NegotiationState(row.state)
    ).to_json()


def transfer_ack(row: TransferRow) -> dict[str, Any]:
    """The TransferProcess ACK for our row."""
    ours, theirs = row.pid, row.remote_pid or ""
    provider, consumer = (ours, theirs) if row.role == Role.PROVIDER.value else (theirs, ours)
    return m.TransferProcess(
        providerPid=provider, consumerPid=consumer, state=m.TransferState(row.state)
    ).to_json()


async def _handle(
    request: Request,
    kind: Kind,
    model: type[M],
    action: Callable[[ConnectorState, M, Caller], Awaitable[NegotiationRow | TransferRow]],
    *,
    status: int = 200,
    path_pid: str = "",
    role: Role = Role.PROVIDER,
    defer_replay: bool = True,
) -> Response:
    """Authenticate, parse, act, answer with the ACK or a DSP error.

    The token's replay mark commits with the action's first write (one transaction less
    per message; an action with a side effect outside `run_write` settles it first), or on
    its own when `defer_replay` is off; either way it is recorded before the answer, also
    for requests that wrote nothing or failed."""
    state = connector_state(request)
    ids = {"provider_pid": "", "consumer_pid": ""}
    if path_pid:
        ids["provider_pid" if role is Role.PROVIDER else "consumer_pid"] = path_pid
    try:
        try:
            caller = await state.authenticate(request, defer_replay=defer_replay)
            document = await read_json(request, state.settings.connector.max_message_bytes)
            if isinstance(document, dict):
                for key, name in (("providerPid", "provider_pid"),
                                  ("consumerPid", "consumer_pid")):
                    if not ids[name] and isinstance(document.get(key), str):
                        ids[name] = document[key]
            message = m.parse_message(document, model)
            row = await action(state, message, caller)
        except HinterlandError:
            await state.settle_replay()  # a replay is reported as such, not as its failure
            raise
        except Exception:
            with contextlib.suppress(Exception):
                await state.settle_replay()
            raise
        await state.settle_replay()
    except HinterlandError as exc:
        return dsp_error(kind, exc, **ids)
    finally:
        replay.forget()
    ack = negotiation_ack(row) if isinstance(row, NegotiationRow) else transfer_ack(row)
    return JSONResponse(ack, status_code=status)


def dsp_router() -> APIRouter:
    """Every DSP endpoint, relative to the version path."""
    router = APIRouter(tags=["dataspace protocol"])

    # ---------------------------------------------------------------- catalog

    @router.post("/catalog/request", summary="CatalogRequestMessage")
    async def catalog_request(
        request: Request,
        offset: int = Query(0, ge=0, le=1_000_000),
        limit: int | None = Query(None, ge=1, le=1_000),
    ) -> Response:
        state = connector_state(request)
        size = limit or state.settings.connector.catalog_page_size
        try:
            caller = await state.authenticate(request)
            document = await read_json(request, state.settings.connector.max_message_bytes)
            message = m.parse_message(document, m.CatalogRequestMessage)
            catalog, more = await catalog_page(
                state.services, caller, message.filter, offset=offset, limit=size
            )
        except HinterlandError as exc:
            return dsp_error("catalog", exc)
        links = []
        base = str(request.url.remove_query_params(["offset", "limit"]))
        if more:
            links.append(f'<{base}?offset={offset + size}&limit={size}>; rel="next"')
        if offset > 0:
            links.append(f'<{base}?offset={max(0, offset - size)}&limit={size}>; rel="previous"')
        headers = {"Link": ", ".join(links)} if links else {}
        return JSONResponse(catalog.to_json(), headers=headers)

    @router.get("/catalog/datasets/{dataset_id:path}", summary="Dataset")
    async def catalog_dataset(request: Request, dataset_id: str) -> Response:
        state = connector_state(request)
        try:
            caller = await state.authenticate(request)
            found = await dataset(state.services, caller, dataset_id)
        except HinterlandError as exc:
            return dsp_error("catalog", exc)
        return JSONResponse(found.to_json())

    # ---------------------------------------------------------------- negotiation, provider

    @router.get("/negotiations/{pid:path}", summary="ContractNegotiation (provider)")
    async def negotiation_get(request: Request, pid: str) -> Response:
        state = connector_state(request)
        try:
            caller = await state.authenticate(request)
            row = await state.services.negotiations.get(pid, role=Role.PROVIDER)
            if row.counterparty != caller.did:
                raise NotFound(f"no negotiation {pid!r}")
        except HinterlandError as exc:
            return dsp_error("negotiation", exc, provider_pid=pid)
        return JSONResponse(negotiation_ack(row))

    @router.post("/negotiations/request", status_code=201, summary="initial ContractRequestMessage")
    async def negotiation_request(request: Request) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractRequestMessage, who: Caller
        ) -> NegotiationRow:
            if msg.providerPid is not None:
                raise ProtocolMessageError(
                    "an initial ContractRequestMessage carries no providerPid; counter-requests "
                    "go to /negotiations/{providerPid}/request"
                )
            return await s.negotiation.on_request(msg, who)

        return await _handle(request, "negotiation", m.ContractRequestMessage, act, status=201)

    @router.post("/negotiations/offers", status_code=201, summary="initial ContractOfferMessage")
    async def negotiation_initial_offer(request: Request) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractOfferMessage, who: Caller
        ) -> NegotiationRow:
            if msg.consumerPid is not None:
                raise ProtocolMessageError(
                    "an initial ContractOfferMessage carries no consumerPid"
                )
            return await s.negotiation.on_initial_offer(msg, who)

        return await _handle(
            request, "negotiation", m.ContractOfferMessage, act, status=201, role=Role.CONSUMER
        )

    @router.post("/negotiations/{pid}/request", summary="ContractRequestMessage")
    async def negotiation_counter_request(request: Request, pid: str) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractRequestMessage, who: Caller
        ) -> NegotiationRow:
            if msg.providerPid != pid:
                raise ProtocolMessageError("providerPid must equal the negotiation in the path")
            return await s.negotiation.on_request(msg, who)

        return await _handle(request, "negotiation", m.ContractRequestMessage, act, path_pid=pid)

    @router.post("/negotiations/{pid}/events", summary="ContractNegotiationEventMessage")
    async def negotiation_event(request: Request, pid: str) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractNegotiationEventMessage, who: Caller
        ) -> NegotiationRow:
            return await s.negotiation.on_provider_event(pid, msg, who)

        return await _handle(
            request, "negotiation", m.ContractNegotiationEventMessage, act, path_pid=pid
        )

    @router.post(
        "/negotiations/{pid}/agreement/verification",
        summary="ContractAgreementVerificationMessage",
    )
    async def negotiation_verification(request: Request, pid: str) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractAgreementVerificationMessage, who: Caller
        ) -> NegotiationRow:
            return await s.negotiation.on_verification(pid, msg, who)

        return await _handle(
            request, "negotiation", m.ContractAgreementVerificationMessage, act, path_pid=pid
        )

    @router.post("/negotiations/{pid}/termination", summary="ContractNegotiationTermination")
    async def negotiation_termination(request: Request, pid: str) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractNegotiationTerminationMessage, who: Caller
        ) -> NegotiationRow:
            return await s.negotiation.on_provider_termination(pid, msg, who)

        return await _handle(
            request, "negotiation", m.ContractNegotiationTerminationMessage, act, path_pid=pid
        )

    # ---------------------------------------------------------------- negotiation, consumer

    @router.post("/callback/negotiations/{pid}/offers", summary="ContractOfferMessage (consumer)")
    async def callback_offer(request: Request, pid: str) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractOfferMessage, who: Caller
        ) -> NegotiationRow:
            return await s.negotiation.on_offer(pid, msg, who)

        return await _handle(
            request, "negotiation", m.ContractOfferMessage, act, path_pid=pid, role=Role.CONSUMER
        )

    @router.post("/callback/negotiations/{pid}/agreement", summary="ContractAgreementMessage")
    async def callback_agreement(request: Request, pid: str) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractAgreementMessage, who: Caller
        ) -> NegotiationRow:
            return await s.negotiation.on_agreement(pid, msg, who)

        return await _handle(
            request, "negotiation", m.ContractAgreementMessage, act, path_pid=pid,
            role=Role.CONSUMER,
        )

    @router.post("/callback/negotiations/{pid}/events", summary="FINALIZED event (consumer)")
    async def callback_event(request: Request, pid: str) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractNegotiationEventMessage, who: Caller
        ) -> NegotiationRow:
            return await s.negotiation.on_consumer_event(pid, msg, who)

        return await _handle(
            request, "negotiation", m.ContractNegotiationEventMessage, act, path_pid=pid,
            role=Role.CONSUMER,
        )

    @router.post("/callback/negotiations/{pid}/termination", summary="termination (consumer)")
    async def callback_termination(request: Request, pid: str) -> Response:
        async def act(
            s: ConnectorState, msg: m.ContractNegotiationTerminationMessage, who: Caller
        ) -> NegotiationRow:
            return await s.negotiation.on_consumer_termination(pid, msg, who)

        return await _handle(
            request, "negotiation", m.ContractNegotiationTerminationMessage, act, path_pid=pid,
            role=Role.CONSUMER,
        )

    # ---------------------------------------------------------------- transfer, provider

    @router.get("/transfers/{pid:path}", summary="TransferProcess (provider)")
    async def transfer_get(request: Request, pid: str) -> Response:
        state = connector_state(request)
        try:
            caller = await state.authenticate(request)
            row = await state.services.transfers.get(pid, role=Role.PROVIDER)
            if row.counterparty != caller.did:
                raise NotFound(f"no transfer {pid!r}")
        except HinterlandError as exc:
            return dsp_error("transfer", exc, provider_pid=pid)
        return JSONResponse(transfer_ack(row))

    @router.post("/transfers/request", status_code=201, summary="TransferRequestMessage")
    async def transfer_request(request: Request) -> Response:
        async def act(s: ConnectorState, msg: m.TransferRequestMessage, who: Caller) -> TransferRow:
            return await s.transfer.on_request(msg, who)

        # a usage policy with a count settles the token's mark before it spends a use
        return await _handle(request, "transfer", m.TransferRequestMessage, act, status=201)

    _transfer_routes(router, prefix="", role=Role.PROVIDER)
    _transfer_routes(router, prefix="/callback", role=Role.CONSUMER)
    return router


_TRANSFER_MESSAGES: dict[str, tuple[TE, type[m.DspModel]]] = {
    "start": (TE.START, m.TransferStartMessage),
    "suspension": (TE.SUSPENSION, m.TransferSuspensionMessage),
    "completion": (TE.COMPLETION, m.TransferCompletionMessage),
    "termination": (TE.TERMINATION, m.TransferTerminationMessage),
}


def _transfer_routes(router: APIRouter, *, prefix: str, role: Role) -> None:
    for path, (event, model) in _TRANSFER_MESSAGES.items():
        side = "provider" if role is Role.PROVIDER else "consumer"

        def make(event: TE = event, model: type[m.DspModel] = model) -> Any:
            async def endpoint(request: Request, pid: str) -> Response:
                async def act(s: ConnectorState, msg: Any, who: Caller) -> TransferRow:
                    return await s.transfer.on_message(pid, event, msg, who, our_role=role)

                return await _handle(request, "transfer", model, act, path_pid=pid, role=role)

            return endpoint

        router.add_api_route(
            f"{prefix}/transfers/{{pid}}/{path}", make(), methods=["POST"],
            summary=f"{model.__name__} ({side})",
        )
