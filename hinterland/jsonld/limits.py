"""Input limits for JSON(-LD) documents: size in bytes and nesting depth.

Checked before any JSON-LD processing, so a hostile document costs a bounded amount of
work. Bytes are checked without parsing (a deeply nested document could exhaust the
parser's recursion before we see it); parsed documents are walked iteratively.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from hinterland.errors import InputError, LimitExceeded
from hinterland.settings import JsonLdSettings

# A string always matches from its opening quote: to the closing quote, or to the end of
# the input if there is none (so a malformed input cannot make the scanner retry from every
# quote, which would be quadratic). The quantifiers are possessive: nothing to backtrack.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _bytes_depth(data: bytes) -> int:
    """The maximum bracket nesting of JSON text, ignoring brackets inside strings.

    Linear in the input, whatever it contains. The strings and every other byte but the
    brackets are dropped by C code (`re.sub`, `bytes.translate`); only the brackets are
    counted one by one.
    """
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKET)
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))


def _value_depth_and_size(document: Any, max_depth: int, max_bytes: int) -> tuple[int, int]:
    """Depth and an estimate of the serialized size of a parsed JSON value.

    Stops early once either limit is passed; the size counts string lengths plus a few
    bytes per value, a lower bound of the compact JSON serialization.
    """
    deepest = 0
    size = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, depth)
            size += 2
            for key, item in value.items():
                size += len(key) + 3
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            deepest = max(deepest, depth)
            size += 2
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            size += len(value) + 3
        else:
            size += 5
        if deepest > max_depth or size > max_bytes:
            break
    return deepest, size


def check_limits(document_or_bytes: Any, settings: JsonLdSettings | None = None) -> None:
    """Raise `LimitExceeded` if a document is larger or deeper than the settings allow.

    Accepts raw bytes or text (checked without parsing) or a parsed JSON value.
    """
    settings = settings or JsonLdSettings()
    if isinstance(document_or_bytes, str):
        document_or_bytes = document_or_bytes.encode("utf-8")
    if isinstance(document_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(document_or_bytes)
        if len(data) > settings.max_document_bytes:
            raise LimitExceeded(
                f"document is {len(data)} bytes, more than the limit of "
                f"{settings.max_document_bytes} bytes"
            )
        depth = _bytes_depth(data)
    else:
        depth, size = _value_depth_and_size(
            document_or_bytes, settings.max_depth, settings.max_document_bytes
        )
        if size > settings.max_document_bytes:
            raise LimitExceeded(
                f"document is more than the limit of {settings.max_document_bytes} bytes"
            )
    if depth > settings.max_depth:
        raise LimitExceeded(
            f"document nests {depth} levels deep, more than the limit of {settings.max_depth}"
        )


def parse_json(data: bytes | str, settings: JsonLdSettings | None = None) -> Any:
    """Check the limits of raw JSON text, then parse it.

    Raises `LimitExceeded` for oversized or too deeply nested input and `InputError`
    (naming the line and column) for text that is not JSON.
    """
    check_limits(data, settings)
    try:
        return json.loads(data)
    except UnicodeDecodeError as error:
        raise InputError(f"document is not UTF-8 text: {error.reason}") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"document is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
