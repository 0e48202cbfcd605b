"""Routes of the web UI: the search page and an entry's detail page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from catalog.api import search_query, service_of
from catalog.matching import matches
from catalog.search import FACETS, search
from catalog.web.i18n import CHECK_RESULTS, MESSAGES, choose_language
from hinterland.errors import HinterlandError, NotFound

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# The pages need no script, image, font or frame: only their own inline style and a
# search form that submits to this catalog. A name or description that got past escaping
# could still not run or load anything.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

FILTER_PARAMS = (
    "q",
    "type",
    "issuer",
    "status",
    "country",
    "region",
    "format",
    "material",
    "keyword",
    "process",
)


def _page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page with the security headers every page carries."""
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


def _language(request: Request) -> str:
    return choose_language(request.headers.get("accept-language"), request.query_params.get("lang"))


def _pairs(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k in FILTER_PARAMS and v]


def _toggle(pairs: list[tuple[str, str]], name: str, value: str) -> str:
    if (name, value) in pairs:
        kept = [p for p in pairs if p != (name, value)]
    else:
        kept = [*pairs, (name, value)]
    return "/?" + urlencode(kept)


def _context(request: Request, **values: Any) -> dict[str, Any]:
    language = _language(request)
    other = "de" if language == "en" else "en"
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return {
        "request": request,
        "lang": language,
        "t": MESSAGES[language],
        "check_results": CHECK_RESULTS[language],
        "switch_language_url": request.url.path + "?" + urlencode([*pairs, ("lang", other)]),
        **values,
    }


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request) -> HTMLResponse:
    """Search box, facets and result cards."""
    service = service_of(request)
    pairs = _pairs(request)
    error = None
    try:
        page = await search(service.store, search_query(request.query_params, service))
    except HinterlandError as exc:
        error = str(exc)
        page = None
    names = await service.store.participant_names(
        sorted({e.issuer for e in page.items} | {v for v, _ in page.facets.get("issuer", [])})
        if page
        else []
    )
    facets = []
    if page is not None:
        for name in FACETS:
            values = page.facets.get(name, [])
            if not values:
                continue
            facets.append(
                {
                    "name": name,
                    "values": [
                        {
                            "value": value,
                            "label": names.get(value, value) if name == "issuer" else value,
                            "count": count,
                            "selected": (name, value) in pairs,
                            "url": _toggle(pairs, name, value),
                        }
                        for value, count in values
                    ],
                }
            )
    next_url = None
    if page is not None and page.next_cursor:
        next_url = "/?" + urlencode([*pairs, ("cursor", page.next_cursor)])
    status = 400 if error else 200
    return _page(
        request,
        "search.html",
        _context(
            request,
            q=request.query_params.get("q", ""),
            page=page,
            facets=facets,
            names=names,
            error=error,
            next_url=next_url,
            has_filters=bool(pairs),
            is_later_page=bool(request.query_params.get("cursor")),
            first_url="/?" + urlencode(pairs),
        ),
        status_code=status,
    )


@router.get("/entries/{entry_id}", response_class=HTMLResponse)
async def detail_page(entry_id: str, request: Request) -> HTMLResponse:
    """Claims, the signed JSON-LD, the verification report and the matches of one entry."""
    service = service_of(request)
    try:
        entry = await service.store.get(entry_id)
    except NotFound:
        return _page(request, "not_found.html", _context(request), status_code=404)
    role, found = await matches(service.store, entry_id, 10)
    names = await service.store.participant_names(
        sorted({entry.issuer} | {m.entry.issuer for m in found})
    )
    claims = entry.claims
    claim_rows = [
        (label, ", ".join(str(v) for v in claims.get(key, [])))
        for label, key in (
            ("type", "types"),
            ("facet_material", "material"),
            ("facet_format", "format"),
            ("region", "region"),
            ("facet_country", "country"),
            ("facet_keyword", "keyword"),
        )
        if claims.get(key)
    ]
    try:
        pretty = json.dumps(entry.parsed_document(), indent=2, ensure_ascii=False)
    except ValueError:
        pretty = entry.document
    return _page(
        request,
        "detail.html",
        _context(
            request,
            entry=entry,
            names=names,
            claim_rows=claim_rows,
            document=pretty,
            checks=entry.report.get("checks", []),
            role=role,
            matches=found,
        ),
    )
