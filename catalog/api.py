"""The catalog's JSON API."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import QueryParams

from catalog.credentials import KernelSigner, did_document_path
from catalog.matching import matches
from catalog.records import Entry
from catalog.search import VALUE_FILTERS, SearchPage, SearchQuery, search
from catalog.service import CatalogService
from hinterland.errors import InputError, LimitExceeded, NotFound
from hinterland.web.apikey import require_key
from hinterland.web.routes import LabelledRoute

router = APIRouter()
MAX_CHANGES_PAGE = 1_000


def service_of(request: Request) -> CatalogService:
    """The catalog service of the app handling `request`."""
    service: CatalogService = request.app.state.catalog
    return service


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise LimitExceeded(f"request body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise LimitExceeded(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        raise InputError("the request body is empty; send a signed JSON-LD document")
    return body


def summary(entry: Entry) -> dict[str, Any]:
    """An entry's metadata with its badges, as lists show it."""
    return {
        **entry.metadata(),
        "verified": bool(entry.report.get("valid")),
        "compliant": entry.compliance is not None and entry.status == "active",
    }


def int_param(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within bounds, or a clear `InputError`."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"query parameter {name!r} must be an integer, not {raw[:20]!r}") from None
    if not low <= value <= high:
        raise InputError(f"query parameter {name!r} must be between {low} and {high}")
    return value


def search_query(params: QueryParams, service: CatalogService) -> SearchQuery:
    """Build a search from query parameters (repeated parameters OR within a field)."""
    options = service.settings.catalog
    statuses = [s for s in params.getlist("status") if s] or None
    facets = params.get("facets", "true").lower() not in ("false", "0", "no")
    return SearchQuery(
        q=params.get("q", ""),
        filters={name: [v for v in params.getlist(name) if v] for name in VALUE_FILTERS},
        issuers=[v for v in params.getlist("issuer") if v],
        statuses=statuses,
        limit=int_param(params, "limit", options.page_size_default, 1, options.page_size_max),
        cursor=params.get("cursor") or None,
        facets=facets,
    )


def page_json(page: SearchPage) -> dict[str, Any]:
    """A search page as JSON."""
    return {
        "items": [summary(e) for e in page.items],
        "total": page.total,
        "totalExact": page.total_exact,
        "nextCursor": page.next_cursor,
        "facetsSampled": page.facets_sampled,
        "facets": {
            name: [{"value": value, "count": count} for value, count in values]
            for name, values in page.facets.items()
        },
    }


def json_object(members: dict[str, Any], texts: dict[str, str]) -> bytes:
    """A JSON object of `members` followed by members given as JSON text already (the
    credential and report that ingest serialized once for the database)."""
    head = json.dumps(members, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    tail = ",".join(f"{json.dumps(name)}:{text}" for name, text in texts.items())
    if not tail:
        return head.encode("utf-8")
    joined = head[:-1] + ("," if members else "") + tail + "}"
    return joined.encode("utf-8")


@router.post("/self-descriptions", status_code=201, response_class=JSONResponse)
async def publish(request: Request) -> Response:
    """Verify and store a signed VC or VP; 201 with the compliance credential."""
    service = service_of(request)
    body = await read_body(request, service.settings.catalog.max_request_bytes)
    result = await service.ingestor.ingest(body)
    entry = result.entry
    compliance = result.compliance_json or json.dumps(entry.compliance)
    return Response(
        json_object(
            {
                "id": entry.id,
                "status": entry.status,
                "created": result.created,
                "entry": summary(entry),
            },
            {"complianceCredential": compliance, "report": result.report_json},
        ),
        status_code=201 if result.created else 200,
        media_type="application/json",
        headers={"Location": service.ingestor.entry_url(entry.id)},
    )


def dispatch_publish_first(app: FastAPI) -> None:
    """Serve `POST /self-descriptions` from a plain Starlette route at the head of the
    app's routes. The endpoint takes the request and returns a response, so FastAPI's
    request handling (dependency solving, endpoint wrapping) only cost time on the
    busiest route, and the router found it after trying every route before it. The
    FastAPI route stays registered for the OpenAPI description; errors still go through
    the app's exception handlers."""
    app.router.routes.insert(0, LabelledRoute("/self-descriptions", publish, methods=["POST"]))


@router.get("/self-descriptions")
async def list_entries(request: Request) -> dict[str, Any]:
    """Search with `q`, filters, `status`, `limit`, `cursor`; with facet counts."""
    service = service_of(request)
    return page_json(await search(service.store, search_query(request.query_params, service)))


@router.get("/self-descriptions/{entry_id}")
async def get_entry(entry_id: str, request: Request) -> dict[str, Any]:
    """An entry: the signed document untouched, its metadata and last verification report."""
    entry = await service_of(request).store.get(entry_id)
    return {
        "entry": summary(entry),
        "document": entry.parsed_document(),
        "report": entry.report,
        "complianceCredential": entry.compliance,
        "revocation": entry.revocation,
    }


@router.get("/self-descriptions/{entry_id}/document")
async def get_document(entry_id: str, request: Request) -> Response:
    """The signed document exactly as it was published (byte for byte)."""
    entry = await service_of(request).store.get(entry_id)
    return Response(entry.document, media_type="application/ld+json")


@router.get("/self-descriptions/{entry_id}/matches")
async def get_matches(entry_id: str, request: Request) -> dict[str, Any]:
    """Ranked offers for a need, or needs for an offer, with scores and reasons."""
    service = service_of(request)
    limit = int_param(request.query_params, "limit", 20, 1, 100)
    role, found = await matches(service.store, entry_id, limit)
    return {
        "id": entry_id,
        "role": role,
        "matches": [
            {"score": m.score, "reasons": m.reasons, "entry": summary(m.entry)} for m in found
        ],
    }


@router.post("/self-descriptions/{entry_id}/revoke")
async def revoke(entry_id: str, request: Request) -> dict[str, Any]:
    """Revoke with a `CatalogRevocation` signed by the issuer or a catalog admin."""
    service = service_of(request)
    body = await read_body(request, service.settings.catalog.max_request_bytes)
    entry = await service.ingestor.revoke(entry_id, body)
    return {"id": entry.id, "status": entry.status, "entry": summary(entry)}


@router.get("/participants/{did:path}/membership")
async def membership(did: str, request: Request) -> dict[str, Any]:
    """A signed MembershipCredential for an onboarded participant.

    did:web names contain `%3A` for ports; a client that does not encode the `%` again
    sends it as `:`, so the raw path is tried as well as the decoded one."""
    raw_path = request.scope.get("raw_path", b"").decode("ascii", errors="replace")
    raw = raw_path.removeprefix("/participants/").removesuffix("/membership")
    return await service_of(request).membership(*dict.fromkeys([raw, unquote(raw), did]))


@router.get("/changes")
async def changes(request: Request) -> dict[str, Any]:
    """The change feed after cursor `since` (oldest first)."""
    service = service_of(request)
    params = request.query_params
    since = int_param(params, "since", 0, 0, 2**62)
    limit = int_param(params, "limit", 100, 1, MAX_CHANGES_PAGE)
    items = await service.store.changes(since, limit)
    return {
        "items": [item.to_dict() for item in items],
        "nextCursor": items[-1].seq if items else since,
        "more": len(items) == limit,
    }


@router.get("/sparql")
async def sparql_get(request: Request) -> Response:
    """SPARQL protocol query via GET `?query=`."""
    query = request.query_params.get("query")
    if request.query_params.get("update") is not None:
        raise InputError("SPARQL updates are not allowed: this endpoint is read-only")
    if not query:
        raise InputError("missing the `query` parameter")
    result = await service_of(request).sparql.query(query)
    return Response(result.body, media_type=result.media_type)


@router.post("/sparql")
async def sparql_post(request: Request) -> Response:
    """SPARQL protocol query via POST (form `query=` or an application/sparql-query body)."""
    service = service_of(request)
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await read_body(request, service.settings.catalog.sparql_max_query_bytes * 4)
    if content_type == "application/sparql-update":
        raise InputError("SPARQL updates are not allowed: this endpoint is read-only")
    if content_type == "application/sparql-query":
        query = body.decode("utf-8", errors="replace")
    elif content_type == "application/x-www-form-urlencoded":
        form = QueryParams(body.decode("utf-8", errors="replace"))
        if form.get("update") is not None:
            raise InputError("SPARQL updates are not allowed: this endpoint is read-only")
        query = form.get("query") or ""
        if not query:
            raise InputError("missing the `query` form field")
    else:
        raise InputError(
            "send the query as application/sparql-query or as a form field `query` "
            "(application/x-www-form-urlencoded)"
        )
    result = await service.sparql.query(query)
    return Response(result.body, media_type=result.media_type)


@router.post("/federation/sync")
async def federation_sync(request: Request) -> dict[str, Any]:
    """Pull every configured peer now (the background loop does this periodically).
    Needs the catalog's admin API key: a pull re-verifies every new document, work that
    anyone could otherwise order at will."""
    configured = service_of(request).settings.catalog.admin_api_key
    require_key(request.headers, configured, "catalog.admin_api_key")
    reports = await service_of(request).federation.sync_once()
    return {"peers": [r.to_dict() for r in reports]}


@router.get("/federation/peers")
async def federation_peers(request: Request) -> dict[str, Any]:
    """Each peer's cursor and the outcome of the last pull."""
    return {"peers": await service_of(request).store.peers()}


@router.get("/{path:path}/did.json", include_in_schema=False)
async def did_document(path: str, request: Request) -> JSONResponse:
    """The catalog's own DID document when its DID is a did:web served here."""
    signer = service_of(request).signer
    document = signer.did_document() if isinstance(signer, KernelSigner) else None
    if document is None or did_document_path(signer.did) != f"/{path}/did.json":
        raise NotFound(f"no DID document at /{path}/did.json")
    return JSONResponse(document, media_type="application/did+json")


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Liveness plus the feed position."""
    service = service_of(request)
    return {"status": "ok", "did": service.signer.did, "cursor": await service.store.last_seq()}
