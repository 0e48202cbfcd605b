"""Terms expansion would drop are found, with their paths; defined terms are not."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hinterland.errors import DroppedTermError, JsonLdError, RemoteContextRefused
from hinterland.jsonld import ensure_no_dropped_terms, find_dropped_terms

V1 = "https://www.w3.org/2018/credentials/v1"
V2 = "https://www.w3.org/ns/credentials/v2"


def credential(context: list[Any], subject: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "@context": context,
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": subject,
        **extra,
    }


def test_clean_credential_drops_nothing() -> None:
    ctx = {"name2": "https://schema.org/name"}
    doc = credential([V2, ctx], {"id": "did:example:a", "name2": "x"})
    assert find_dropped_terms(doc) == []
    ensure_no_dropped_terms(doc)


def test_undefined_terms_are_named_with_their_path() -> None:
    doc = credential([V2], {"id": "did:example:a", "foo": 1}, colour="red")
    assert find_dropped_terms(doc) == ["colour", "credentialSubject.foo"]


def test_path_goes_through_arrays_and_nested_objects() -> None:
    doc = credential(
        [V1, {"knows": "https://schema.org/knows"}],
        [{"id": "did:example:a"}, {"knows": {"id": "did:example:b", "age": 3}}],
    )
    assert find_dropped_terms(doc) == ["credentialSubject.knows.age"]


def test_vocab_covers_undefined_terms() -> None:
    doc = credential([V2, {"@vocab": "https://example.org/vocab#"}], {"foo": 1, "bar": {"baz": 2}})
    assert find_dropped_terms(doc) == []


def test_embedded_context_defines_terms_below_it_only() -> None:
    doc = credential(
        [V2],
        {"@context": {"foo": "https://example.org/foo"}, "foo": 1},
        foo="outside the scoped context",
    )
    assert find_dropped_terms(doc) == ["foo"]


def test_type_scoped_context_applies_to_its_node() -> None:
    ctx = {
        "Product": {
            "@id": "https://example.org/Product",
            "@context": {"weight": "https://example.org/weight"},
        },
    }
    typed = credential([V2, ctx], {"type": "Product", "weight": 2})
    assert find_dropped_terms(typed) == []
    untyped = credential([V2, ctx], {"weight": 2})
    assert find_dropped_terms(untyped) == ["credentialSubject.weight"]


def test_json_literal_content_is_not_checked() -> None:
    ctx = {"payload": {"@id": "https://example.org/payload", "@type": "@json"}}
    doc = credential([V2, ctx], {"payload": {"anything": {"goes": [1, 2]}}})
    assert find_dropped_terms(doc) == []


def test_nest_content_is_checked_and_named_by_the_nest_key() -> None:
    ctx = {"meta": "@nest", "size": "https://example.org/size"}
    doc = credential([V2, ctx], {"meta": {"size": 3, "colour": "red"}})
    assert find_dropped_terms(doc) == ["credentialSubject.meta.colour"]


def test_term_mapped_to_null_and_keyword_lookalike_are_dropped() -> None:
    doc = credential([V2, {"secret": None}], {"secret": "x", "@foo": "y"})
    assert find_dropped_terms(doc) == ["credentialSubject.@foo", "credentialSubject.secret"]


def test_absolute_iri_keys_are_kept() -> None:
    doc = credential([V2], {"https://example.org/p": 1, "ex:q": 2})
    # "ex:q" is an absolute IRI with scheme "ex": kept by JSON-LD, so not reported.
    assert find_dropped_terms(doc) == []


def test_error_carries_the_terms() -> None:
    doc = credential([V2], {"foo": 1})
    with pytest.raises(DroppedTermError) as caught:
        ensure_no_dropped_terms(doc)
    assert caught.value.terms == ["credentialSubject.foo"]
    assert "credentialSubject.foo" in str(caught.value)


def test_remote_context_is_refused_not_dropped() -> None:
    doc = credential([V2, "https://example.org/unknown-context"], {"foo": 1})
    with pytest.raises(
        RemoteContextRefused, match=re.escape("https://example.org/unknown-context")
    ):
        find_dropped_terms(doc)


def test_invalid_json_ld_is_a_clear_error() -> None:
    with pytest.raises(JsonLdError, match="could not expand"):
        find_dropped_terms({"@context": {"@version": 2.0}, "a": 1})
