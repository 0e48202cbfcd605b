"""Bad input at the catalog's edge is always a 4xx with a message, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from catalog_support import CatalogClient, catalog_settings, did_key_party, print_service
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hinterland.db import migrate

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "@context": st.one_of(
            st.just("https://www.w3.org/ns/credentials/v2"),
            st.lists(
                st.sampled_from(
                    [
                        "https://www.w3.org/ns/credentials/v2",
                        "https://w3id.org/hinterland/v1",
                        "urn:x",
                    ]
                ),
                max_size=3,
            ),
            json_values,
        ),
        "type": st.one_of(
            st.just(["VerifiableCredential"]), st.just("VerifiablePresentation"), json_values
        ),
        "issuer": st.one_of(st.just("did:key:z6Mkabc"), st.just("did:web:127.0.0.1"), json_values),
        "credentialSubject": json_values,
        "verifiableCredential": json_values,
        "proof": json_values,
        "validUntil": st.one_of(st.just("2000-01-01T00:00:00Z"), json_values),
    },
)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("robust")
    url = f"sqlite+aiosqlite:///{tmp / 'catalog.db'}"
    migrate.upgrade(url)
    return tmp, url


@pytest.fixture
async def catalog(database: tuple[Path, str]) -> AsyncIterator[CatalogClient]:
    client = CatalogClient(catalog_settings(database[0], database[1], participant_policy="open"))
    try:
        yield client
    finally:
        await client.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=documents)
async def test_random_documents_are_refused_with_a_4xx(
    catalog: CatalogClient, document: dict
) -> None:  # type: ignore[type-arg]
    response = await catalog.publish(document)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["message"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(
                ["q", "type", "status", "limit", "cursor", "format", "issuer", "facets", "colour"]
            ),
            st.text(max_size=30),
        ),
        max_size=5,
    )
)
async def test_random_search_parameters_never_fail_the_server(
    catalog: CatalogClient, params: list[tuple[str, str]]
) -> None:
    for path in ("/self-descriptions", "/"):
        response = await catalog.http.get(path, params=params)
        assert response.status_code in (200, 400), (params, response.text[:300])


async def test_odd_requests_get_clear_4xx(catalog: CatalogClient) -> None:
    http = catalog.http
    acme = did_key_party("acme")
    entry = (await catalog.publish(print_service(acme, "x", name="X"))).json()["id"]
    cases = [
        (await http.get("/self-descriptions/sd-nothing"), 404),
        (await http.post(f"/self-descriptions/{entry}/revoke", content=b"nope"), 400),
        (await http.post(f"/self-descriptions/{entry}/revoke", json={"type": "x"}), 400),
        (await http.post("/self-descriptions/sd-nothing/revoke", json={}), 404),
        (await http.get("/changes", params={"since": "-1"}), 400),
        (await http.get("/changes", params={"since": "abc"}), 400),
        (
            await http.post(
                "/sparql", content=b"SELECT * {}", headers={"content-type": "text/plain"}
            ),
            400,
        ),
        (await http.get("/sparql", params={"query": "x" * 30_000}), 413),
        (await http.get("/participants/not-a-did/membership"), 404),
        (await http.get("/self-descriptions", params={"colour": "red", "q": "x"}), 200),
    ]
    page = await http.get("/entries/sd-nothing")
    assert page.status_code == 404 and "No such description" in page.text
    for response, status in cases:
        assert response.status_code == status, response.text
        if status != 200:
            assert response.json()["message"]
