"""The API edge: error mapping, request ids, health, readiness, metrics."""

from __future__ import annotations

import re

import httpx
from fastapi import APIRouter, FastAPI

from hinterland import errors
from hinterland.web.errors import install_error_handlers
from hinterland.web.observability import install_observability


def _app(ready: bool = True) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    async def check() -> None:
        if not ready:
            raise ConnectionError("database down")

    install_observability(app, [("database", check)])

    @app.get("/boom/{kind}")
    async def boom(kind: str) -> dict[str, str]:
        table: dict[str, errors.HinterlandError] = {
            "limit": errors.LimitExceeded("document is 3000000 bytes; the limit is 2000000"),
            "transition": errors.IllegalTransition("cannot go from FINALIZED to REQUESTED"),
            "missing": errors.NotFound("no negotiation urn:x"),
            "denied": errors.PermissionDenied("print limit of 3 reached"),
            "token": errors.AuthenticationError("token jti was already used"),
            "context": errors.RemoteContextRefused("remote JSON-LD context 'https://x' ..."),
            "rejected": errors.DescriptionRejected(
                "the description failed 1 check", {"valid": False, "checks": []}
            ),
        }
        if kind == "crash":
            raise RuntimeError("secret internals")
        raise table[kind]

    @app.get("/items/{number}")
    async def item(number: int) -> dict[str, int]:
        return {"number": number}

    return app


async def _get(app: FastAPI, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, **kwargs)  # type: ignore[arg-type]


async def test_errors_map_to_statuses_with_reasons() -> None:
    app = _app()
    expected = {"limit": 413, "transition": 400, "missing": 404, "denied": 403, "token": 401,
                "context": 422, "rejected": 422}
    for kind, status in expected.items():
        response = await _get(app, f"/boom/{kind}")
        assert response.status_code == status, kind
        body = response.json()
        assert body["message"] and body["error"] != "internal_error"
    assert (await _get(app, "/boom/denied")).json() == {
        "error": "forbidden",
        "message": "print limit of 3 reached",
    }


async def test_a_rejected_description_carries_its_report() -> None:
    body = (await _get(_app(), "/boom/rejected")).json()
    assert body["error"] == "description_rejected"
    assert body["report"] == {"valid": False, "checks": []}


async def test_unknown_routes_answer_json() -> None:
    response = await _get(_app(), "/no/such/route")
    assert response.status_code == 404
    assert response.json() == {"error": "http_error", "message": "Not Found"}


async def test_unexpected_errors_hide_internals() -> None:
    response = await _get(_app(), "/boom/crash")
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


async def test_validation_errors_are_400_naming_the_field() -> None:
    response = await _get(_app(), "/items/not-a-number")
    assert response.status_code == 400
    assert "number" in response.json()["message"]


async def test_request_id_is_propagated_or_assigned() -> None:
    app = _app()
    given = await _get(app, "/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    assigned = await _get(app, "/healthz")
    assert len(assigned.headers["x-request-id"]) == 32


async def test_health_and_readiness() -> None:
    assert (await _get(_app(), "/healthz")).json() == {"status": "alive"}
    ready = await _get(_app(ready=True), "/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}
    not_ready = await _get(_app(ready=False), "/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["database"] == "failed: ConnectionError"


async def test_metrics_count_requests_by_route() -> None:
    app = _app()
    child = FastAPI()

    @child.get("/assets/{asset_id}")
    async def asset(asset_id: str) -> dict[str, str]:
        return {"id": asset_id}

    app.mount("/management/v1", child)
    included = APIRouter()

    @included.get("/agreements/{agreement_id}")
    async def agreement(agreement_id: str) -> dict[str, str]:
        return {"id": agreement_id}

    app.include_router(included, prefix="/consumer/v1")
    await _get(app, "/management/v1/assets/a1")
    await _get(app, "/consumer/v1/agreements/urn:x:1")
    await _get(app, "/no/such/path")
    await _get(app, "/items/1")
    await _get(app, "/items/2")
    text = (await _get(app, "/metrics")).text
    series = 'hinterland_http_requests_total{method="GET",route="/items/{number}",status="200"}'
    assert f"{series} 2.0" in text
    assert 'route="/management/v1/assets/{asset_id}",status="200"} 1.0' in text
    assert 'route="/consumer/v1/agreements/{agreement_id}",status="200"} 1.0' in text
    assert 'route="unmatched",status="404"} 1.0' in text
    assert "hinterland_policy_decisions" in text


async def test_plain_routes_and_mounts_are_labelled_by_their_path() -> None:
    """FastAPI serves /openapi.json and /docs from plain Starlette routes, which do not
    name themselves in the scope; they and plain mounts must not count as "unmatched"."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    app = _app()

    async def hello(_request: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app.mount("/static", Starlette(routes=[Route("/{name}", hello)]))
    assert (await _get(app, "/openapi.json")).status_code == 200
    assert (await _get(app, "/docs")).status_code == 200
    assert (await _get(app, "/static/logo.svg")).text == "hello"
    app.router.routes.append(Route("/late", hello))  # added after requests were served
    assert (await _get(app, "/late")).status_code == 200
    await _get(app, "/no/such/path")
    text = (await _get(app, "/metrics")).text
    for route in ("/openapi.json", "/docs", "/late"):
        assert f'route="{route}",status="200"}} 1.0' in text, route
    # the mount names itself; a Starlette whose router names its routes refines the label
    assert re.search(r'route="/static(/\{name\})?",status="200"} 1.0', text)
    assert 'route="unmatched",status="404"} 1.0' in text


async def test_metrics_need_the_key_when_one_is_set() -> None:
    """An ingress that routes every path would show the figures to anyone: with
    `metrics_api_key` set, `/metrics` answers only requests that carry it."""
    from pydantic import SecretStr

    from hinterland.web.logging import redact

    key = "metrics-" + "9f3c" * 8
    app = FastAPI()
    install_error_handlers(app)
    install_observability(app, metrics_api_key=SecretStr(key))
    assert (await _get(app, "/metrics")).status_code == 401
    wrong = await _get(app, "/metrics", headers={"Authorization": f"Bearer {key}x"})
    assert wrong.status_code == 401 and "metrics_api_key" in wrong.json()["message"]
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        response = await _get(app, "/metrics", headers=headers)
        assert response.status_code == 200 and "hinterland_http_requests" in response.text
    assert (await _get(app, "/healthz")).status_code == 200  # probes need no key
    assert redact(f"scraped with {key}") == "scraped with [redacted]"
