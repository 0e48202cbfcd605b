"""Search values as full-text terms (SQLite FTS5 and PostgreSQL tsvector).

Besides its row in `catalog_entry_values`, every (field, norm) value of an entry is one
token in the `terms` column of the FTS5 table `catalog_entries_fts`. A search with words
and filters then becomes one FTS5 expression, which FTS5 answers by merging sorted
doclists, newest first, and stops after a page -- instead of SQL joining sets of row ids
that it first has to collect in full (ADR catalog-0008).

A term is `v` and the hex of `field U+001F norm` in UTF-8: lossless (two values share a
term only if they are equal), made of letters and digits only (one token for the
`unicode61` tokenizer) and never equal to a word's prefix query, because words are
matched in the `search_text` column only.

On PostgreSQL the terms are lexemes of `catalog_search.search_vector`, next to the
words (ADR catalog-0010): U+001F, the field, U+001F, the value -- taken verbatim by
`array_to_tsvector` and by a quoted `tsquery`. No word lexeme can contain U+001F (words
are `\\w+`), so a word's prefix never reaches a term. A lexeme holds at most 2047
bytes: a longer value is U+001F, the field, U+001E and the SHA-256 of the value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def value_term(field: str, norm: str) -> str:
    """The FTS5 token of one search value (`norm` as stored: lower case, at most 512)."""
    return "v" + f"{field}\x1f{norm}".encode().hex()


def value_terms(values: Iterable[tuple[str, str]]) -> str:
    """The `terms` column of an entry with these (field, norm) values."""
    return " ".join(value_term(field, norm) for field, norm in values)


def match_expression(words: list[str], filters: list[tuple[str, list[str]]]) -> str:
    """The FTS5 query of a search: every word as a quoted prefix in `search_text`, and per
    filter one of its values in `terms` (values of one filter OR, filters AND)."""
    parts: list[str] = []
    if words:
        parts.append("search_text : (" + " AND ".join(f'"{word}"*' for word in words) + ")")
    for field, norms in filters:
        alternatives = " OR ".join(f'"{value_term(field, norm)}"' for norm in norms)
        parts.append(f"terms : ({alternatives})")
    return " AND ".join(parts)


# The SQL twin of `value_term`, for migrations that rebuild the terms from the values.
SQLITE_TERM_SQL = "'v' || lower(hex(field || char(31) || norm))"

_PG_LEXEME_BYTES = 2047  # PostgreSQL's limit on one lexeme


def pg_value_term(field: str, norm: str) -> str:
    """The PostgreSQL lexeme of one search value (`norm` as stored)."""
    term = f"\x1f{field}\x1f{norm}"
    if len(term.encode()) <= _PG_LEXEME_BYTES:
        return term
    return f"\x1f{field}\x1e" + hashlib.sha256(norm.encode()).hexdigest()


def pg_value_terms(values: Iterable[tuple[str, str]]) -> list[str]:
    """The value lexemes of an entry with these (field, norm) values."""
    return [pg_value_term(field, norm) for field, norm in values]


def pg_filter_query(filters: list[tuple[str, list[str]]]) -> str:
    """A `tsquery` (text to cast, never to parse with `to_tsquery`) requiring, per filter,
    one of its values (values of one filter OR, filters AND). Lexemes are quoted, their
    quotes and backslashes doubled, so no value can inject query syntax."""

    def quoted(term: str) -> str:
        return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"

    return " & ".join(
        "(" + " | ".join(quoted(pg_value_term(field, norm)) for norm in norms) + ")"
        for field, norms in filters
    )


# The SQL twin of `pg_value_term` over `catalog_entry_values` (field, norm).
PG_TERM_SQL = (
    "CASE WHEN octet_length(field) + octet_length(norm) + 2 <= 2047 "
    "THEN chr(31) || field || chr(31) || norm "
    "ELSE chr(31) || field || chr(30) || encode(sha256(convert_to(norm, 'UTF8')), 'hex') END"
)

# Indexes one entry already in `catalog_entries` (:r row id, :t text, :v value lexemes);
# status and validUntil follow later changes through a trigger (migration catalog_0003).
PG_SEARCH_INSERT = (
    "INSERT INTO catalog_search (row_id, status, valid_until, search_vector) "
    "SELECT row_id, status, valid_until, "
    "strip(to_tsvector('simple', :t)) || array_to_tsvector(CAST(:v AS text[])) "
    "FROM catalog_entries WHERE row_id = :r"
)

__all__ = [
    "PG_SEARCH_INSERT",
    "PG_TERM_SQL",
    "SQLITE_TERM_SQL",
    "match_expression",
    "pg_filter_query",
    "pg_value_term",
    "pg_value_terms",
    "value_term",
    "value_terms",
]
