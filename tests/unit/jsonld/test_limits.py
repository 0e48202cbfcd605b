"""Size and depth limits, on raw bytes and on parsed documents."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hinterland.errors import InputError, LimitExceeded
from hinterland.jsonld import check_limits, parse_json
from hinterland.settings import JsonLdSettings

SETTINGS = JsonLdSettings(max_document_bytes=2_048, max_depth=8)


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


def test_within_limits_passes_for_bytes_and_values() -> None:
    doc = nested(8)
    check_limits(doc, SETTINGS)
    check_limits(json.dumps(doc).encode(), SETTINGS)
    check_limits(json.dumps(doc), SETTINGS)


def test_too_deep_is_refused_for_bytes_and_values() -> None:
    doc = nested(9)
    with pytest.raises(LimitExceeded, match="9 levels deep"):
        check_limits(doc, SETTINGS)
    with pytest.raises(LimitExceeded, match="9 levels deep"):
        check_limits(json.dumps(doc).encode(), SETTINGS)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": '[[[[[[[[[[[[{{{{{{{{ \\" ]]]'})
    check_limits(text.encode(), SETTINGS)


def test_too_many_bytes_is_refused() -> None:
    with pytest.raises(LimitExceeded, match="2049 bytes"):
        check_limits(b" " * 2_049, SETTINGS)
    with pytest.raises(LimitExceeded, match="2048 bytes"):
        check_limits({"a": "x" * 3_000}, SETTINGS)


def test_hostile_depth_is_refused_without_parsing() -> None:
    settings = JsonLdSettings(max_depth=64)
    data = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(LimitExceeded, match="200000 levels deep"):
        parse_json(data, settings)


def test_parse_json_names_the_problem() -> None:
    assert parse_json(b'{"a": [1]}', SETTINGS) == {"a": [1]}
    with pytest.raises(InputError, match="line 1 column 7"):
        parse_json(b'{"a": }', SETTINGS)
    with pytest.raises(InputError, match="not UTF-8"):
        parse_json(b'{"a": "\xff"}', SETTINGS)


def test_malformed_strings_are_scanned_in_linear_time() -> None:
    # Escaped quotes with no closing quote once made the depth scan restart at every
    # quote (quadratic: minutes for this input); it must take well under a second.
    import time

    for data in (b'\\"' * 600_000, b'"\\"' * 600_000 + b"\\"):
        started = time.monotonic()
        check_limits(data, JsonLdSettings())
        assert time.monotonic() - started < 2.0


def test_brackets_after_an_unterminated_string_do_not_count() -> None:
    check_limits(b'["' + b"[" * 100, SETTINGS)
    with pytest.raises(LimitExceeded):
        check_limits(b'"]"' + b"[" * 9, SETTINGS)


def _reference_depth(data: bytes) -> int:
    """The depth scan as first written: one regex match per string or bracket token."""
    import re

    token = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)
    depth = deepest = 0
    for match in token.finditer(data):
        first = data[match.start()]
        if first in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif first in b"]}":
            depth -= 1
    return deepest


def test_depth_scan_agrees_with_the_token_by_token_reference() -> None:
    import random

    from hinterland.jsonld.limits import _bytes_depth

    rng = random.Random(11)
    alphabet = [b"[", b"]", b"{", b"}", b'"', b"\\", b"a", b" ", b"\xc3\xa4"]
    cases = [b"", b'"', b"\\", b'"\\', b"]]]", b"[[[", b'"[" [', b'"\\"[" [', b'["\\\\"]']
    cases += [b"".join(rng.choices(alphabet, k=rng.randint(1, 60))) for _ in range(3_000)]
    for data in cases:
        assert _bytes_depth(data) == _reference_depth(data), data
