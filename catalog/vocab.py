"""The terms of the credentials the catalog issues and accepts (compliance, membership,
revocation). They are defined once in the kernel (`hinterland.vocabulary`), because the
connectors that publish to a catalog sign revocations in the same terms."""

from __future__ import annotations

from hinterland.vocabulary import catalog_context as context
from hinterland.vocabulary import catalog_entry_iri as entry_iri

__all__ = ["context", "entry_iri"]
