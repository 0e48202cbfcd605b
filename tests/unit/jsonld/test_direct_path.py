"""The direct JSON-LD -> RDF walk gives exactly what pyld's expansion + toRdf give.

Every document is canonicalized both ways (and its dropped terms found both ways); the
walk may defer to pyld for features it does not cover, but must never differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hinterland.errors import HinterlandError
from hinterland.jsonld import canonicalize, default_loader
from hinterland.jsonld.canon import pyld_quads
from hinterland.jsonld.fastrdf import direct_quads
from hinterland.jsonld.processing import expand_tracking
from hinterland.jsonld.rdfc import canonicalize_quads
from tests.unit.jsonld.documents import CONTEXTS, CORPUS, GAIA_X, KEYS, VALUES, mostly_valid


def both_ways(document: Any) -> tuple[Any, Any, bool]:
    """(direct result, pyld result, whether the walk handled it); results are canonical
    N-Quads with the dropped terms, or the error class name."""
    loader = default_loader()
    direct = direct_quads(document, loader)
    try:
        reference: Any = (
            canonicalize_quads(pyld_quads(document, loader)).nquads,
            expand_tracking(document, loader)[1],
        )
        reference = (reference[0], sorted(reference[1]))
    except HinterlandError as error:
        reference = type(error).__name__
    if direct is None:
        return reference, reference, False
    return (canonicalize_quads(direct[0]).nquads, direct[1]), reference, True


@pytest.mark.parametrize("document", CORPUS)
def test_corpus_agrees(document: Any) -> None:
    direct, reference, handled = both_ways(document)
    assert direct == reference
    assert handled, "the direct walk should cover this document"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(context=CONTEXTS, body=st.dictionaries(KEYS, VALUES, max_size=6), fix=st.booleans())
def test_random_documents_agree(context: list[Any], body: dict[str, Any], fix: bool) -> None:
    document = {"@context": context, **(mostly_valid(body) if fix else body)}
    direct, reference, _ = both_ways(document)
    assert direct == reference


def test_canonicalize_uses_either_path_identically() -> None:
    for document in CORPUS:
        assert canonicalize(document) == canonicalize(document, direct=False)


@pytest.mark.parametrize("document", CORPUS)
def test_cached_expansion_equals_stock_pyld(document: Any) -> None:
    from pyld import jsonld

    from hinterland.jsonld import expand

    stock = jsonld.expand(json.loads(json.dumps(document)), {"documentLoader": default_loader()})
    assert expand(document) == stock
    assert expand(document) == stock  # and again, from the caches


def test_gaia_x_fixtures_are_all_there() -> None:
    assert len(GAIA_X) == 19


@pytest.mark.parametrize("path", GAIA_X, ids=lambda path: path.stem)
def test_gaia_x_fixtures_agree(path: Path) -> None:
    direct, reference, handled = both_ways(json.loads(path.read_text("utf-8")))
    assert direct == reference
    assert handled
