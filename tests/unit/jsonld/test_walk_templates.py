"""Walk templates give exactly what the direct walk gives, for every string a document of
a known shape may carry, and are used for the documents issuers actually send."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hinterland.jsonld import DocumentLoader
from hinterland.jsonld import templates as walk_templates
from hinterland.jsonld.fastrdf import direct_quads
from hinterland.jsonld.templates import Template, shape_of, templated
from tests.unit.jsonld.documents import CONTEXTS, CORPUS, GAIA_X, KEYS, LOCAL, V2, VALUES, load

# Strings that JSON-LD treats in every way a value can be treated: terms, compact IRIs
# with defined prefixes, blank nodes, relative and malformed IRIs, keywords, escapes, and
# strings that look like the template's own markers.
TRICKY = [
    "",
    "Product",
    "VerifiableCredential",
    "assertionMethod",
    "name2",
    "ex:T",
    "ex:",
    "gx:LegalPerson",
    "sec:proof",
    "https://example.org/x",
    "https://example.org/a b",
    "http://[::1]/",
    "urn:uuid:5f0e1a5c-95a3-4f7e-9b59-5cbd0e2f3b4a",
    "did:example:1",
    "did:web:acme.example#key-1",
    "_:b1",
    "_:",
    "rel/x",
    "#fragment",
    "//host/path",
    "@id",
    "@type",
    "@nothing",
    "2026-01-01T00:00:00Z",
    'quote " backslash \\ tab \t newline \n bell \u0007',
    "ümlaut ✓ 𝄞",
    "urn:x-hinterland-slot:0000000000000000:1",
    walk_templates._MARK + "0",
]
STRINGS = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))


def fresh_loader() -> DocumentLoader:
    """A loader with caches of its own (templates start unknown)."""

    class Fresh(DocumentLoader):
        pass

    return Fresh()


def with_strings(document: Any, strings: list[str]) -> Any:
    """A copy of `document` whose leaf strings (in shape order) are `strings`."""
    it = iter(strings)
    return walk_templates._replace_leaves(document, lambda _i, _value: next(it), [0])


def learned(document: Any) -> DocumentLoader:
    """A loader that has seen `document` twice: its template (if any) is compiled."""
    loader = fresh_loader()
    direct_quads(document, loader)
    direct_quads(document, loader)
    return loader


def assert_same_as_walk(document: Any, loader: DocumentLoader) -> None:
    expected = direct_quads(document, loader, templates=False)
    assert direct_quads(document, loader) == expected


BENCH_LIKE = {
    "@context": [V2, "https://w3id.org/hinterland/v1"],
    "type": ["VerifiableCredential"],
    "issuer": "did:key:z6MkeaKtPhktRTEngHHivZXKrs5KFgQaLP6xZa6QqFDGE3d4",
    "validFrom": "2026-11-21T11:37:09Z",
    "credentialSubject": {
        "id": "https://bench.example/services/1",
        "type": "PrintService",
        "name": "SLS printing",
        "material": "PA12",
        "region": "DE-SN",
        "keyword": ["bracket", "nylon"],
    },
}

# documents issuers send over and over: these must take their templates
REPEATED = [load("unsigned.json"), load("signedDataInt.json"), load("proofConfigDataInt.json")]
REPEATED.append(BENCH_LIKE)


@pytest.mark.parametrize("document", REPEATED)
def test_repeated_shapes_take_their_template(document: Any) -> None:
    loader = fresh_loader()
    direct_quads(document, loader)
    assert templated(document, loader)[0] is None  # seen once: no template yet
    direct_quads(document, loader)
    result, _ = templated(document, loader)
    assert result is not None
    assert result == direct_quads(document, loader, templates=False)


@pytest.mark.parametrize("document", [*CORPUS, *(json.loads(p.read_text()) for p in GAIA_X)])
def test_every_tricky_string_in_every_place_gives_the_walk(document: Any) -> None:
    loader = learned(document)
    shape = shape_of(document)
    assert shape is not None
    leaves = shape[1]
    for index in range(len(leaves)):
        for value in TRICKY:
            strings = list(leaves)
            strings[index] = value
            assert_same_as_walk(with_strings(document, strings), loader)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    context=CONTEXTS,
    body=st.dictionaries(KEYS, VALUES, max_size=6),
    data=st.data(),
)
def test_random_documents_with_random_strings_give_the_walk(
    context: list[Any], body: dict[str, Any], data: st.DataObject
) -> None:
    document = {"@context": context, **body}
    shape = shape_of(document)
    assert shape is not None
    loader = learned(document)
    for _ in range(3):
        strings = data.draw(st.lists(STRINGS, min_size=len(shape[1]), max_size=len(shape[1])))
        assert_same_as_walk(with_strings(document, strings), loader)


def test_a_compact_iri_is_expanded_not_substituted() -> None:
    document = {
        "@context": [V2, LOCAL],
        "id": "https://example.org/n",
        "ref": "https://example.org/target",
    }
    loader = learned(document)
    variant = {**document, "id": "ex:n", "ref": "ex:target"}
    quads, _ = direct_quads(variant, loader) or ([], [])
    assert (
        "<https://example.org/v#n>",
        "<https://example.org/v#ref>",
        "<https://example.org/v#target>",
        "",
    ) in quads
    assert templated(variant, loader)[0] is None  # the template refused these strings


def test_a_type_with_its_own_context_is_part_of_the_shape() -> None:
    plain = {"@context": [V2, LOCAL], "@type": "ex:Thing", "weight": 2, "name2": "x"}
    loader = learned(plain)
    scoped = {**plain, "@type": "Product"}  # Product defines weight and drops name2
    assert templated(scoped, loader)[0] is None
    assert_same_as_walk(scoped, loader)
    assert direct_quads(scoped, loader) != direct_quads(plain, loader)


def test_a_template_that_would_not_reproduce_its_walk_is_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_build = walk_templates._build

    def lossy(*args: Any, **kwargs: Any) -> Template:
        template = real_build(*args, **kwargs)
        return Template(**{**template.__dict__, "getters": template.getters[1:]})

    monkeypatch.setattr(walk_templates, "_build", lossy)
    loader = learned(BENCH_LIKE)
    assert templated(BENCH_LIKE, loader)[0] is None
    assert loader.walk_templates.get(shape_of(BENCH_LIKE)[0]) is walk_templates._UNTEMPLATABLE  # type: ignore[index]
    assert_same_as_walk(BENCH_LIKE, loader)


def test_shapes_seen_once_compile_nothing_and_stay_bounded() -> None:
    loader = fresh_loader()
    for n in range(5_000):
        document = copy.deepcopy(BENCH_LIKE)
        document["credentialSubject"][f"ex:p{n}"] = "x"  # a new shape every time
        direct_quads(document, loader)
    assert len(loader.walk_templates._items) == 0
    assert len(loader.walk_sightings._items) <= 4_096


def test_large_documents_have_no_shape() -> None:
    document = {"@context": V2, "credentialSubject": {"ex:many": ["x"] * 5_000}}
    assert shape_of(document) is None


def test_an_aliased_type_key_is_part_of_the_shape() -> None:
    context = [V2, LOCAL, {"a": "@type"}]
    plain = {"@context": context, "a": "ex:Thing", "weight": 2, "name2": "x"}
    loader = learned(plain)
    scoped = {**plain, "a": "Product"}  # Product defines weight and drops name2
    assert_same_as_walk(scoped, loader)
    assert direct_quads(scoped, loader) != direct_quads(plain, loader)


def test_a_null_term_that_looks_like_an_iri_is_not_substituted() -> None:
    context = [V2, LOCAL, {"urn:gone": None}]
    document = {"@context": context, "id": "https://example.org/n", "kind": "urn:kept"}
    loader = learned(document)
    variant = {**document, "kind": "urn:gone"}  # a term mapped to null: JSON-LD drops it
    assert templated(variant, loader)[0] is None
    assert_same_as_walk(variant, loader)


def test_large_strings_are_not_kept_in_templates() -> None:
    document = copy.deepcopy(BENCH_LIKE)
    document["credentialSubject"]["undefinedTerm"] = "x" * 70_000  # dropped: structural
    loader = learned(document)
    assert len(loader.walk_templates._items) == 0
    assert_same_as_walk(document, loader)


@pytest.mark.parametrize(("seen", "sent"), [(0.0, -0.0), (1, 1.0), (1, True), (0, False)])
def test_numbers_that_compare_equal_in_python_are_different_shapes(seen: Any, sent: Any) -> None:
    document = {"@context": [V2, LOCAL], "id": "https://example.org/n", "ratio": seen}
    loader = learned(document)
    variant = {**document, "ratio": sent}
    assert templated(variant, loader)[0] is None
    assert_same_as_walk(variant, loader)
