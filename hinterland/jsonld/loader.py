"""An offline JSON-LD document loader: bundled contexts only, unless allow-listed."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from hinterland.errors import RemoteContextRefused
from hinterland.settings import JsonLdSettings

# URL -> file in hinterland/jsonld/contexts (each with its licence beside it).
BUNDLED_CONTEXTS: dict[str, str] = {
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/2018/credentials/examples/v1": "credentials-examples-v1.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "ed25519-2020-v1.jsonld",
    "https://w3id.org/dspace/2025/1/context.jsonld": "dspace-2025-1.jsonld",
    "https://w3id.org/dspace/2025/1/odrl-profile.jsonld": "dspace-odrl-2025-1.jsonld",
    (
        "https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry"
        "/v1/shapes/jsonld/trustframework#"
    ): "gaia-x-22.10-trustframework.jsonld",
    "https://w3id.org/gaia-x/development#": "gaia-x-25.11.jsonld",
    "https://w3id.org/hinterland/v1": "hinterland-v1.jsonld",
}


@cache
def _bundled_document(file_name: str) -> Any:
    text = resources.files("hinterland.jsonld").joinpath("contexts", file_name).read_text("utf-8")
    return json.loads(text)


def _normalize(url: str) -> str:
    return url[:-1] if url.endswith("/") and url[:-1] in BUNDLED_CONTEXTS else url


class DocumentLoader:
    """A pyld-compatible document loader (`loader(url, options)`)."""

    def __init__(self, settings: JsonLdSettings | None = None) -> None:
        self.settings = settings or JsonLdSettings()

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        key = _normalize(url)
        file_name = BUNDLED_CONTEXTS.get(key)
        if file_name is not None:
            document = _bundled_document(file_name)
            return {"contextUrl": None, "documentUrl": url, "document": document}
        raise RemoteContextRefused(
            f"remote JSON-LD context {url!r} is not bundled and not allow-listed; "
            "an operator can allow it with HINTERLAND_JSONLD__ALLOWED_REMOTE_CONTEXTS"
        )


@cache
def default_loader() -> DocumentLoader:
    """A loader with default limits and no allow-listed remote contexts."""
    return DocumentLoader()
