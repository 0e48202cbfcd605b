"""Search values as full-text terms (SQLite).

Besides its row in `catalog_entry_values`, every (field, norm) value of an entry is one
token in the `terms` column of the FTS5 table `catalog_entries_fts`. A search with words
and filters then becomes one FTS5 expression, which FTS5 answers by merging sorted
doclists, newest first, and stops after a page -- instead of SQL joining sets of row ids
that it first has to collect in full (ADR catalog-0008).

A term is `v` and the hex of `field U+001F norm` in UTF-8: lossless (two values share a
term only if they are equal), made of letters and digits only (one token for the
`unicode61` tokenizer) and never equal to a word's prefix query, because words are
matched in the `search_text` column only.
"""

from __future__ import annotations

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

__all__ = ["SQLITE_TERM_SQL", "match_expression", "value_term", "value_terms"]
