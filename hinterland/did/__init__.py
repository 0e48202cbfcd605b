"""DIDs: did:key and did:web names and documents, and a safe resolver.

Public API: `did_key_from_public_key`, `did_web_from_domain`, `did_web_document`,
`DidResolver` (with `resolve` and `resolve_verification_method`), plus helpers
`find_verification_method` and `is_authorized` for key binding.
"""

from hinterland.did.key import (
    did_key_document,
    did_key_from_public_key,
    did_key_verification_method_id,
    public_key_from_did_key,
)
from hinterland.did.resolver import DidResolver, find_verification_method, is_authorized
from hinterland.did.web import did_web_document, did_web_from_domain, did_web_url
from hinterland.settings import DidSettings

__all__ = [
    "DidResolver",
    "DidSettings",
    "did_key_document",
    "did_key_from_public_key",
    "did_key_verification_method_id",
    "did_web_document",
    "did_web_from_domain",
    "did_web_url",
    "find_verification_method",
    "is_authorized",
    "public_key_from_did_key",
]
