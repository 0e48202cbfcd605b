"""One tokenizer for indexed text and queries, so SQLite FTS5 and PostgreSQL agree."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TOKENS = 16
MAX_TOKEN_CHARS = 64


def fold(text: str) -> str:
    """Lower case without diacritics (`Düsseldorf` -> `dusseldorf`)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """The words of a text, folded."""
    return _WORD.findall(fold(text))


def index_text(text: str) -> str:
    """What goes into the full-text index: folded words separated by spaces."""
    return " ".join(tokens(text))


def query_tokens(query: str) -> list[str]:
    """The words of a user query, bounded in number and length."""
    return [token[:MAX_TOKEN_CHARS] for token in tokens(query)[:MAX_QUERY_TOKENS]]


def fts5_query(words: list[str]) -> str:
    """Every word as a quoted prefix term, all required (FTS5 syntax cannot be injected)."""
    return " AND ".join(f'"{word}"*' for word in words)


def tsquery(words: list[str]) -> str:
    """Every word as a prefix lexeme, all required (PostgreSQL `to_tsquery('simple', ...)`)."""
    return " & ".join(f"{word}:*" for word in words)
