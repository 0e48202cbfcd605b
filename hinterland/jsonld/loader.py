"""An offline JSON-LD document loader: bundled contexts only, unless allow-listed.

Remote contexts change what a signature covers, so they are refused by default. An
operator may allow-list URLs (exact, or a prefix ending in '/'); those are fetched once
with a timeout and a size limit and kept in memory.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from functools import cache
from importlib import resources
from typing import Any

import httpx
from pyld.context_resolver import ContextResolver
from pyld.resolved_context import ResolvedContext

from hinterland.errors import JsonLdError, RemoteContextRefused
from hinterland.jsonld.limits import parse_json
from hinterland.settings import JsonLdSettings

# URL -> file in hinterland/jsonld/contexts (sources and licences in contexts/SOURCES.md).
BUNDLED_CONTEXTS: dict[str, str] = {
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/2018/credentials/examples/v1": "credentials-examples-v1.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "ed25519-2020-v1.jsonld",
    "https://w3id.org/security/suites/jws-2020/v1": "jws-2020-v1.jsonld",
    "https://w3id.org/security/v1": "security-v1.jsonld",
    "https://w3id.org/security/v2": "security-v2.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://www.w3.org/ns/odrl.jsonld": "odrl.jsonld",
    "https://w3id.org/dspace/2025/1/context.jsonld": "dspace-2025-1.jsonld",
    "https://w3id.org/dspace/2025/1/odrl-profile.jsonld": "dspace-odrl-2025-1.jsonld",
    (
        "https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry"
        "/v1/shapes/jsonld/trustframework#"
    ): "gaia-x-22.10-trustframework.jsonld",
    "https://w3id.org/gaia-x/development#": "gaia-x-25.11.jsonld",
    "https://w3id.org/hinterland/v1": "hinterland-v1.jsonld",
}

_RESOLVED_CONTEXT_CACHE_SIZE = 200
_REMOTE_CACHE_SIZE = 100
# processed contexts can be large (a copy of every term mapping): keep few; the direct
# walk's key classifications and property plans are small: keep many
_PROCESSED_CONTEXT_CACHE_SIZE = 1_000
_WALK_PLAN_CACHE_SIZE = 20_000
# walk templates (hinterland.jsonld.templates): one per document shape seen twice, and
# the shapes seen once (by hash only, so that a stream of new shapes costs little memory)
_WALK_TEMPLATE_CACHE_SIZE = 256
_WALK_SIGHTING_CACHE_SIZE = 4_096


@cache
def _bundled_document(file_name: str) -> Any:
    text = resources.files("hinterland.jsonld").joinpath("contexts", file_name).read_text("utf-8")
    return json.loads(text)


def _normalize(url: str) -> str:
    return url[:-1] if url.endswith("/") and url[:-1] in BUNDLED_CONTEXTS else url


# Resolved (parsed and processed) contexts, shared by loaders of the same class with the
# same allow-list, so that one loader never sees a context another was allowed to load.
class _Lru:
    """A small thread-safe bounded mapping. When full, the oldest entry goes (first in,
    first out: reads take no lock and do not reorder, they are on every hot path)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, default: Any = None) -> Any:
        return self._items.get(key, default)

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_remote_cache = _Lru(_REMOTE_CACHE_SIZE)

# Resolved (parsed and processed) contexts, shared by loaders of the same class with the
# same allow-list, so that one loader never sees a context another was allowed to load.
_resolved_caches: dict[tuple[type, tuple[str, ...]], tuple[_Lru, ...]] = {}
_resolved_caches_lock = threading.Lock()


def _resolved_cache(owner: tuple[type, tuple[str, ...]]) -> tuple[_Lru, ...]:
    """(resolved contexts by URL/key, processed active contexts, walk plans, walk
    templates, shapes seen once) for loaders
    of one class with one allow-list: they serve the same documents. A subclass serving
    other documents (tests) gets caches of its own, so nothing it resolved can reach a
    loader that would refuse it."""
    with _resolved_caches_lock:
        found = _resolved_caches.get(owner)
        if found is None:
            found = (
                _Lru(_RESOLVED_CONTEXT_CACHE_SIZE),
                _Lru(_PROCESSED_CONTEXT_CACHE_SIZE),
                _Lru(_WALK_PLAN_CACHE_SIZE),
                _Lru(_WALK_TEMPLATE_CACHE_SIZE),
                _Lru(_WALK_SIGHTING_CACHE_SIZE),
            )
            _resolved_caches[owner] = found
        return found


class _SharedResolvedContext(ResolvedContext):  # type: ignore[misc]
    """A cached context whose document pyld cannot change in place.

    pyld 3.3 processes `@import` by updating the imported context's document in place
    (merging the importing context into it). With contexts cached across operations, as
    we do, that corrupts the imported context for every later use (e.g. the DSP ODRL
    profile after one DSP message). Handing out a shallow copy keeps the cache intact;
    pyld only changes the top level.
    """

    @property
    def document(self) -> Any:
        document = self.__dict__["document"]
        return dict(document) if type(document) is dict else document

    @document.setter
    def document(self, value: Any) -> None:
        self.__dict__["document"] = value


class _ContextResolver(ContextResolver):  # type: ignore[misc]
    """pyld's resolver over one loader's own cache, which may keep every context it
    resolved (remote ones included: the cache belongs to loaders that may load them)."""

    def _cache_resolved_context(self, key: Any, resolved: Any, tag: Any) -> Any:
        return super()._cache_resolved_context(key, resolved, tag or "static")

    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> Any:
        resolved = super().resolve(active_ctx, context, base, cycles)
        for item in resolved if isinstance(resolved, list) else [resolved]:
            if type(item) is ResolvedContext:
                item.__class__ = _SharedResolvedContext
        return resolved


class DocumentLoader:
    """A pyld-compatible document loader (`loader(url, options)`).

    Serves bundled contexts; fetches allow-listed remote contexts
    (`settings.allowed_remote_contexts`); refuses everything else with
    `RemoteContextRefused` before any network access.
    """

    def __init__(self, settings: JsonLdSettings | None = None) -> None:
        self.settings = settings or JsonLdSettings()
        self._allowed = tuple(sorted(self.settings.allowed_remote_contexts))
        (
            self._resolved,
            self.processed_contexts,
            self.walk_plans,
            self.walk_templates,
            self.walk_sightings,
        ) = _resolved_cache((type(self), self._allowed))

    def is_allowed(self, url: str) -> bool:
        """Whether `url` is allow-listed (exact match, or under a prefix ending in '/').

        Plain http is allowed only for a URL listed exactly.
        """
        for entry in self._allowed:
            if url == entry:
                return url.startswith(("https://", "http://"))
            if entry.endswith("/") and url.startswith(entry) and url.startswith("https://"):
                return True
        return False

    def context_resolver(self) -> ContextResolver:
        """A pyld context resolver for one operation, backed by this loader's cache."""
        return _ContextResolver(self._resolved, self)

    def options(self) -> dict[str, Any]:
        """pyld options using this loader and its resolved-context cache."""
        return {"documentLoader": self, "contextResolver": self.context_resolver()}

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        file_name = BUNDLED_CONTEXTS.get(_normalize(url))
        if file_name is not None:
            # a copy: pyld may change context documents while processing them
            document = copy.deepcopy(_bundled_document(file_name))
            return {"contextUrl": None, "documentUrl": url, "document": document, "tag": "static"}
        if not self.is_allowed(url):
            raise RemoteContextRefused(
                f"remote JSON-LD context {url!r} is not bundled and not allow-listed; "
                "an operator can allow it with HINTERLAND_JSONLD__ALLOWED_REMOTE_CONTEXTS"
            )
        document = _remote_cache.get(url)
        if document is None:
            document = self._fetch(url)
            _remote_cache[url] = document
        document = copy.deepcopy(document)
        # no "tag": pyld's own global cache (used when someone calls pyld directly with
        # this loader) must not keep a context other loaders would refuse
        return {"contextUrl": None, "documentUrl": url, "document": document}

    def _fetch(self, url: str) -> Any:
        limit = self.settings.remote_max_bytes
        headers = {"Accept": "application/ld+json, application/json;q=0.9"}
        try:
            with (
                httpx.Client(
                    timeout=self.settings.remote_timeout_seconds, follow_redirects=False
                ) as client,
                client.stream("GET", url, headers=headers) as response,
            ):
                if response.status_code != 200:
                    raise JsonLdError(
                        f"fetching allow-listed context {url!r} answered HTTP "
                        f"{response.status_code}"
                    )
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > limit:
                        raise JsonLdError(
                            f"allow-listed context {url!r} is larger than {limit} bytes"
                        )
        except httpx.HTTPError as error:
            raise JsonLdError(
                f"fetching allow-listed context {url!r} failed: {type(error).__name__}"
            ) from None
        try:
            document = parse_json(bytes(body), self.settings)
        except Exception as error:
            raise JsonLdError(f"allow-listed context {url!r} is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise JsonLdError(f"allow-listed context {url!r} is not a JSON object")
        return document


def clear_remote_cache() -> None:
    """Forget fetched remote contexts and everything processed from them (for operators
    rotating an allow-list, and tests). Loaders made afterwards start afresh."""
    _remote_cache.clear()
    with _resolved_caches_lock:
        _resolved_caches.clear()


@cache
def default_loader() -> DocumentLoader:
    """A loader with default limits and no allow-listed remote contexts."""
    return DocumentLoader()
