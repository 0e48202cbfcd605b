"""Federated SPARQL (`SERVICE`) is refused before a query reaches pyoxigraph.

pyoxigraph evaluates `SERVICE <url> { ... }` by sending the pattern to `url` over HTTP,
from the catalog's own network position, and quotes the answer in its error message:
anyone who can query the catalog could make it call, and read, internal addresses.
pyoxigraph offers no switch for this, so the query text is checked: the keyword counts
wherever it stands as a keyword, not inside IRIs, strings, comments, variable or
prefixed names. Codepoint escapes are decoded first, as SPARQL 1.1 (section 19.2) lets a
query spell any part of itself with them. A name whose local part has a dot before the
word (`ex:my.service`) is refused too: after a variable the same dot would end a triple.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Tokens that may contain the word without it being the keyword, in the order that makes
# the first one to start win: long strings before short ones.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*",
    re.DOTALL,
)
_SERVICE = re.compile(r"(?<![\w:?$\-])SERVICE(?![\w:\-])", re.IGNORECASE)


def _decoded(text: str) -> str:
    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else "\ufffd"

    return _ESCAPE.sub(char, text)


def names_a_service(query: str) -> bool:
    """Whether `query` uses the `SERVICE` keyword (federated query)."""
    return _SERVICE.search(_OPAQUE.sub(" ", _decoded(query))) is not None
