"""Allow-listed remote contexts are fetched (once) from a real HTTP server on loopback;
everything else is refused before any request is made."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hinterland.errors import JsonLdError, RemoteContextRefused
from hinterland.jsonld import DocumentLoader, clear_remote_cache, expand, find_dropped_terms
from hinterland.settings import JsonLdSettings

CONTEXT = {"@context": {"colour": "https://example.org/vocab#colour"}}


class ContextServer:
    def __init__(self) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                if self.path.startswith("/big"):
                    body = json.dumps({"@context": {"x": "y" * 5_000}}).encode()
                elif self.path.startswith("/moved"):
                    self.send_response(302)
                    self.send_header("Location", "/ctx/colour.jsonld")
                    self.end_headers()
                    return
                else:
                    body = json.dumps(CONTEXT).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ContextServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ContextServer]:
    clear_remote_cache()
    with ContextServer() as running:
        yield running
    clear_remote_cache()


def document(context_url: str) -> dict[str, Any]:
    return {"@context": context_url, "@id": "https://example.org/thing", "colour": "red"}


def test_allow_listed_context_is_fetched_once_and_used(server: ContextServer) -> None:
    url = f"{server.base}/ctx/colour.jsonld"
    loader = DocumentLoader(JsonLdSettings(allowed_remote_contexts=[url]))
    expanded = expand(document(url), loader)
    assert expanded[0]["https://example.org/vocab#colour"] == [{"@value": "red"}]
    assert find_dropped_terms(document(url), loader) == []
    # a fresh loader with the same allow-list uses the in-memory cache
    expand(document(url), DocumentLoader(JsonLdSettings(allowed_remote_contexts=[url])))
    assert server.requests == ["/ctx/colour.jsonld"]


def test_unlisted_context_is_refused_without_a_request(server: ContextServer) -> None:
    listed = f"{server.base}/ctx/colour.jsonld"
    other = f"{server.base}/ctx/other.jsonld"
    loader = DocumentLoader(JsonLdSettings(allowed_remote_contexts=[listed]))
    with pytest.raises(RemoteContextRefused, match=re.escape(other)):
        expand(document(other), loader)
    with pytest.raises(RemoteContextRefused, match=re.escape(listed)):
        expand(document(listed), DocumentLoader())
    assert server.requests == []


def test_cached_context_is_not_served_to_a_loader_that_does_not_allow_it(
    server: ContextServer,
) -> None:
    url = f"{server.base}/ctx/colour.jsonld"
    expand(document(url), DocumentLoader(JsonLdSettings(allowed_remote_contexts=[url])))
    with pytest.raises(RemoteContextRefused):
        expand(document(url), DocumentLoader())
    assert server.requests == ["/ctx/colour.jsonld"]


def test_plain_http_needs_an_exact_entry(server: ContextServer) -> None:
    loader = DocumentLoader(JsonLdSettings(allowed_remote_contexts=[f"{server.base}/ctx/"]))
    with pytest.raises(RemoteContextRefused):
        expand(document(f"{server.base}/ctx/colour.jsonld"), loader)
    assert server.requests == []


def test_https_prefix_entries_match_below_the_prefix_only() -> None:
    loader = DocumentLoader(
        JsonLdSettings(
            allowed_remote_contexts=["https://contexts.example/v1/", "https://a.example/c"]
        )
    )
    assert loader.is_allowed("https://contexts.example/v1/x.jsonld")
    assert not loader.is_allowed("https://contexts.example/v10/x.jsonld")
    assert not loader.is_allowed("http://contexts.example/v1/x.jsonld")
    assert loader.is_allowed("https://a.example/c")
    assert not loader.is_allowed("https://a.example/c/d")


def test_oversized_context_is_refused(server: ContextServer) -> None:
    url = f"{server.base}/big.jsonld"
    settings = JsonLdSettings(allowed_remote_contexts=[url], remote_max_bytes=1_024)
    with pytest.raises(JsonLdError, match="larger than 1024 bytes"):
        expand(document(url), DocumentLoader(settings))


def test_redirects_are_not_followed(server: ContextServer) -> None:
    url = f"{server.base}/moved.jsonld"
    loader = DocumentLoader(JsonLdSettings(allowed_remote_contexts=[url]))
    with pytest.raises(JsonLdError, match="HTTP 302"):
        expand(document(url), loader)
    assert server.requests == ["/moved.jsonld"]


def test_a_loader_subclass_serving_more_contexts_does_not_share_its_caches() -> None:
    extra = "https://contexts.example/extra"

    class ExtraLoader(DocumentLoader):
        def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
            if url == extra:
                return {"contextUrl": None, "documentUrl": url, "document": CONTEXT}
            return super().__call__(url, options)

    assert expand(document(extra), ExtraLoader())  # processed and cached for ExtraLoader
    with pytest.raises(RemoteContextRefused, match=re.escape(extra)):
        expand(document(extra), DocumentLoader())


def test_plain_pyld_calls_do_not_leak_allow_listed_contexts(server: ContextServer) -> None:
    from pyld import jsonld

    url = f"{server.base}/ctx/colour.jsonld"
    allowing = DocumentLoader(JsonLdSettings(allowed_remote_contexts=[url]))
    jsonld.expand(document(url), {"documentLoader": allowing})  # pyld's global cache
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(document(url), {"documentLoader": DocumentLoader()})
