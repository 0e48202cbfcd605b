"""Search: full-text (SQLite FTS5 / PostgreSQL tsvector), filters, cursor pages, facets."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from catalog.models import EntryRow, EntryValueRow
from catalog.pgplans import CUSTOM_PLANS
from catalog.records import STATUSES, Entry
from catalog.search_cache import CachedSearch, CacheKey, catalog_state
from catalog.store import CatalogStore, effective_status, row_to_entry
from catalog.terms import match_expression, pg_filter_query
from catalog.text import query_tokens, tsquery
from hinterland.errors import InputError

VALUE_FILTERS = ("type", "keyword", "country", "region", "format", "material", "process")
FACETS = ("type", "issuer", "status", "country", "region", "format", "material", "keyword")
MAX_FILTER_VALUES = 20
MAX_FACET_VALUES = 25
COUNT_CAP = 10_000
FACET_SAMPLE = 1_000
FIRST_PASS = 1_200  # matches of every status a facet computation reads at first


@dataclass
class SearchQuery:
    """A search request; `status` None means active entries only."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    issuers: list[str] = field(default_factory=list)
    statuses: list[str] | None = None
    limit: int = 20
    cursor: str | None = None
    facets: bool = True


@dataclass
class SearchPage:
    """One page of results, the cursor of the next page, the total and facet counts."""

    items: list[Entry]
    total: int
    next_cursor: str | None
    facets: dict[str, list[tuple[str, int]]]
    total_exact: bool = True  # False: at least `total` matches
    facets_sampled: bool = False  # True: facets count the newest FACET_SAMPLE matches


def encode_cursor(row_id: int) -> str:
    """An opaque cursor for keyset pagination."""
    return base64.urlsafe_b64encode(f"r{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The row id inside a cursor; raises `InputError` for anything we did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("r"):
            raise ValueError(raw)
        return int(raw[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InputError(f"invalid cursor {cursor[:40]!r}; use the nextCursor of a page") from None


def _validate(query: SearchQuery) -> None:
    for name, values in query.filters.items():
        if name not in VALUE_FILTERS:
            raise InputError(f"unknown filter {name!r}; use one of {', '.join(VALUE_FILTERS)}")
        if len(values) > MAX_FILTER_VALUES:
            raise InputError(f"too many values for filter {name!r} (at most {MAX_FILTER_VALUES})")
    for status in query.statuses or []:
        if status not in STATUSES:
            raise InputError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if len(query.q) > 1_000:
        raise InputError("query text too long (at most 1000 characters)")


def _filters(query: SearchQuery) -> list[tuple[str, list[str]]]:
    """The value filters that constrain anything, values normalized as stored."""
    filters = [(n, [v.strip().lower() for v in vs if v.strip()]) for n, vs in query.filters.items()]
    return [(name, norms) for name, norms in filters if norms]


# PostgreSQL's narrow search table (migration catalog_0003, ADR catalog-0010).
_SEARCH = sa.table(
    "catalog_search",
    sa.column("row_id", sa.BigInteger()),
    sa.column("status", sa.String()),
    sa.column("valid_until", sa.DateTime(timezone=True)),
    sa.column("search_vector", postgresql.TSVECTOR()),
)


def _pg_conditions(
    query: SearchQuery, now: datetime, *, with_status: bool = True
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of a search over `catalog_search` (PostgreSQL): words and value
    filters are one tsquery -- prefix words AND, per filter, one of its exact value
    lexemes -- so that a scan newest first by row id checks one narrow row per entry and
    stops when it has enough (ADR catalog-0010)."""
    s = _SEARCH.c
    conditions: list[sa.ColumnElement[bool]] = []
    words, filters = query_tokens(query.q), _filters(query)
    if query.q.strip() and not words:
        conditions.append(sa.false())  # only punctuation: nothing can match
    parts: list[sa.ColumnElement[Any]] = []
    if words:
        parts.append(sa.func.to_tsquery(sa.literal_column("'simple'"), tsquery(words)))
    if filters:
        parts.append(sa.cast(pg_filter_query(filters), postgresql.TSQUERY()))
    if parts:
        wanted = parts[0] if len(parts) == 1 else parts[0].op("&&")(parts[1])
        conditions.append(s.search_vector.op("@@", return_type=sa.Boolean)(wanted))
    if query.issuers:
        e = EntryRow
        conditions.append(s.row_id.in_(sa.select(e.row_id).where(e.issuer.in_(query.issuers))))
    if with_status:
        conditions.append(
            status_condition(query.statuses or ["active"], now, s.status, s.valid_until)
        )
    return conditions


def _conditions(
    store: CatalogStore,
    query: SearchQuery,
    now: datetime,
    *,
    with_status: bool = True,
    newest_first: bool = False,
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of a search over `catalog_entries` without words or filters
    (those go to FTS5 on SQLite, to `catalog_search` on PostgreSQL): statuses and issuers
    are answered by their indexes. `newest_first` hints SQLite to walk the table in row
    order (and stop after a page) instead of sorting every entry of a status first."""
    e = EntryRow
    conditions: list[sa.ColumnElement[bool]] = []
    if query.q.strip() and not query_tokens(query.q):
        conditions.append(sa.false())  # only punctuation: nothing can match
    for name, norms in _filters(query):
        v = EntryValueRow
        conditions.append(
            e.row_id.in_(sa.select(v.entry_row).where(v.field == name, v.norm.in_(norms)))
        )
    if query.issuers:
        conditions.append(e.issuer.in_(query.issuers))
    if with_status:
        status: sa.ColumnElement[str] | None = None
        if newest_first and store.sqlite:
            status = sa.literal_column("+catalog_entries.status")  # unary + disables the index
        conditions.append(status_condition(query.statuses or ["active"], now, status))
    return conditions


def status_condition(
    statuses: list[str],
    now: datetime,
    status: sa.ColumnElement[str] | None = None,
    valid_until: sa.ColumnElement[datetime] | None = None,
) -> sa.ColumnElement[bool]:
    """Entries whose *effective* status is one of `statuses`, written so that the
    (status, valid_until) index answers it: an active entry past validUntil is expired.
    `status` and `valid_until` default to the columns of `catalog_entries`."""
    e = EntryRow
    column: sa.ColumnElement[str] = status if status is not None else e.status.expression
    until = valid_until if valid_until is not None else e.valid_until.expression
    alive = sa.or_(until.is_(None), until > now)
    parts: list[sa.ColumnElement[bool]] = []
    for wanted in dict.fromkeys(statuses):
        if wanted == "active":
            parts.append(sa.and_(column == "active", alive))
        elif wanted == "expired":
            parts.append(column == "expired")
            parts.append(sa.and_(column == "active", until <= now))
        else:
            parts.append(column == wanted)
    return sa.or_(*parts)


async def search(store: CatalogStore, query: SearchQuery) -> SearchPage:
    """Run a search; raises `InputError` for unknown filters, statuses or cursors."""
    _validate(query)
    now = store.clock()
    e = EntryRow
    before = decode_cursor(query.cursor) if query.cursor else None
    async with store.read() as session:
        matches = _Matches(store, session, query, now)
        if matches.narrow:
            # The walk-or-bitmap choice rests on the words' frequencies: a prepared
            # statement's generic plan, blind to them, would sort every match of a broad
            # word (bitmap, 28 ms for `bracket`) once rarer words had made it look cheap.
            await session.execute(sa.text(CUSTOM_PLANS))
        known = await _known(matches) if query.facets else None
        ids: list[int] | None = None
        if known is not None:
            # The newest matches are known already: the page is a slice of them.
            after = [i for i in known.matching if before is None or i < before]
            if known.complete or len(after) > query.limit:
                ids = after[: query.limit + 1]
        counted: int | None = None
        if ids is None:
            # Ids first, rows second: ordering narrow index entries is cheap, ordering
            # wide rows (documents, reports) is what made pages slow.
            if before is None:
                ids, counted = await matches.newest(query.limit + 1)
            else:
                ids = await matches.wanted(query.limit + 1, before)
        by_id = {
            row.row_id: row
            for row in (await session.scalars(sa.select(e).where(e.row_id.in_(ids)))).all()
        }
        rows = [by_id[i] for i in ids if i in by_id]
        if known is not None and known.total is not None:
            total = known.total
        elif counted is not None:
            total = counted
        elif before is None and len(ids) <= query.limit:
            total = len(ids)  # the whole result is on this page: nothing left to count
        else:
            total = await matches.count()
            if known is not None:
                _remember(store, query, replace(known, total=total))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return SearchPage(
        items=[row_to_entry(r, now) for r in rows],
        total=min(total, COUNT_CAP),
        total_exact=total <= COUNT_CAP,
        facets_sampled=known.sampled if known is not None else False,
        next_cursor=encode_cursor(rows[-1].row_id) if more and rows else None,
        facets=known.facets if known is not None else {},
    )


_FTS = sa.table("catalog_entries_fts", sa.column("rowid", sa.Integer()))
LIST_CAP = 20_000  # most entries of some statuses a SQLite search collects to filter by


class _Matches:
    """The matches of one search in one read session, newest first.

    On SQLite, words and value filters form one FTS5 expression (`catalog.terms`) and
    FTS5 drives every query: it yields matching row ids newest first and stops after a
    page, where SQL would first collect every match of every set and intersect them. The
    status filter is then one list of row ids of the few statuses not wanted (or of those
    wanted), collected once, instead of a look-up of each match in `catalog_entries`.
    On PostgreSQL, SQL conditions on the narrow `catalog_search` table (`_pg_conditions`):
    for a broad query the planner walks its primary key newest first and stops after the
    rows asked for; for a rare one it collects the few matches from the GIN index."""

    def __init__(
        self, store: CatalogStore, session: AsyncSession, query: SearchQuery, now: datetime
    ) -> None:
        self.store, self.session, self.query, self.now = store, session, query, now
        words, filters = query_tokens(query.q), _filters(query)
        self.fts = (
            match_expression(words, filters)
            if store.sqlite and (words or filters) and (words or not query.q.strip())
            else None
        )
        self._scope: tuple[str, sa.Select[Any] | None, int] | None = None
        # Without words or filters, the status and issuer indexes of catalog_entries serve.
        self.narrow = not store.sqlite and bool(words or filters)
        self.row_id: sa.ColumnElement[int] = (
            _FTS.c.rowid
            if self.fts is not None
            else _SEARCH.c.row_id
            if self.narrow
            else EntryRow.row_id.expression
        )

    @property
    def wanted_statuses(self) -> list[str]:
        """The statuses asked for (active when none)."""
        return list(self.query.statuses or ["active"])

    async def any_status(self, limit: int) -> list[tuple[int, str]]:
        """(row id, effective status) of the newest `limit` matches of every status."""
        e = EntryRow
        status = effective_status(self.now)
        statement: sa.Select[Any]
        if self.narrow:
            s = _SEARCH.c
            seen = sa.case(
                (
                    sa.and_(
                        s.status == "active", s.valid_until.is_not(None), s.valid_until <= self.now
                    ),
                    sa.literal("expired"),
                ),
                else_=s.status,
            )
            statement = (
                sa.select(s.row_id, seen)
                .where(*_pg_conditions(self.query, self.now, with_status=False))
                .order_by(s.row_id.desc())
            )
        elif self.fts is None:
            conditions = _conditions(self.store, self.query, self.now, with_status=False)
            statement = sa.select(e.row_id, status).where(*conditions)  # type: ignore[assignment]
            statement = statement.order_by(e.row_id.desc())
        else:
            statement = self._fts_select(sa.select(_FTS.c.rowid, status), joined=True)
            if self.query.issuers:
                statement = statement.where(e.issuer.in_(self.query.issuers))
        rows = (await self.session.execute(statement.limit(limit))).all()  # not row by row
        return [(row[0], row[1]) for row in rows]

    async def wanted(self, limit: int, before: int | None = None) -> list[int]:
        """Row ids of the newest `limit` matches (of the wanted statuses), below `before`."""
        statement = await self._wanted()
        if before is not None:
            statement = statement.where(self.row_id < before)
        return list((await self.session.scalars(statement.limit(limit))).all())

    async def newest(self, limit: int) -> tuple[list[int], int]:
        """Row ids of the newest `limit` matches and the number of matches (at least up
        to COUNT_CAP + 1), in two queries: a window count over the first would read every
        match, where the newest ones and a count stopping at the cap need not."""
        ids = await self.wanted(limit)
        return ids, len(ids) if len(ids) < limit else await self.count()

    async def count(self, expected: float | None = None) -> int:
        """Matches, counted up to COUNT_CAP + 1. `expected`, a rough guess of the number
        of matches of every status, only picks how to count."""
        if self.fts is not None and not self.query.issuers:
            kind, _, unwanted = await self._status_scope()
            if kind == "not in" and (expected is None or expected > COUNT_CAP + unwanted):
                # At most `unwanted` matches have a status not asked for: when FTS5 alone
                # finds more than COUNT_CAP beyond those, the total is past the cap, known
                # without filtering each match by status.
                plain = self._fts_select(sa.select(_FTS.c.rowid), joined=False)
                found = await self._count(plain, COUNT_CAP + 1 + unwanted)
                if found - unwanted > COUNT_CAP:
                    return COUNT_CAP + 1
        wanted = await self._wanted()
        if self.fts is None:
            # No order: PostgreSQL may then stop any scan at the cap (56 -> 20 ms for half
            # the catalog on a bitmap scan, which would otherwise sort every match first).
            wanted = wanted.order_by(None)
        return await self._count(wanted, COUNT_CAP + 1)

    async def _count(self, statement: sa.Select[Any], cap: int) -> int:
        capped = statement.limit(cap).subquery()
        return int(await self.session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0)

    async def _wanted(self) -> sa.Select[Any]:
        e = EntryRow
        if self.narrow:
            conditions = _pg_conditions(self.query, self.now)
            return sa.select(_SEARCH.c.row_id).where(*conditions).order_by(_SEARCH.c.row_id.desc())
        if self.fts is None:
            conditions = _conditions(self.store, self.query, self.now, newest_first=True)
            return sa.select(e.row_id).where(*conditions).order_by(e.row_id.desc())
        kind, ids, _ = await self._status_scope()
        joined = kind == "join" or bool(self.query.issuers)
        statement = self._fts_select(sa.select(_FTS.c.rowid), joined=joined)
        if self.query.issuers:
            statement = statement.where(e.issuer.in_(self.query.issuers))
        if kind == "join":
            statement = statement.where(status_condition(self.wanted_statuses, self.now))
        elif kind == "not in" and ids is not None:
            statement = statement.where(_FTS.c.rowid.not_in(ids))
        elif kind == "in" and ids is not None:
            # unary +: SQLite must not look the listed rows up in FTS5 one by one
            statement = statement.where(sa.literal_column("+catalog_entries_fts.rowid").in_(ids))
        return statement

    def _fts_select(self, statement: sa.Select[Any], *, joined: bool) -> sa.Select[Any]:
        """`statement` over the FTS5 matches, newest first; `joined` adds their entries,
        looked up by row id (the unary + keeps SQLite from probing FTS5 by row id)."""
        source: sa.FromClause = _FTS
        if joined:
            on = EntryRow.row_id == sa.literal_column("+catalog_entries_fts.rowid")
            source = _FTS.join(EntryRow, on)
        return (
            statement.select_from(source)
            .where(sa.text("catalog_entries_fts MATCH :fts").bindparams(fts=self.fts))
            .order_by(_FTS.c.rowid.desc())
        )

    async def _status_scope(self) -> tuple[str, sa.Select[Any] | None, int]:
        """How FTS5 matches are held to the wanted statuses: `all` (every status is),
        `not in` / `in` a list of row ids (of the statuses not wanted / wanted, whichever
        has at most LIST_CAP entries) or, when both are larger, `join` (look each up); and
        how many entries the list holds."""
        if self._scope is None:
            wanted = set(self.wanted_statuses)
            others: list[str] = [s for s in STATUSES if s not in wanted]
            self._scope = ("all", None, 0)
            if others:
                self._scope = ("join", None, 0)
                for kind, statuses in (("not in", others), ("in", sorted(wanted))):
                    ids = sa.select(EntryRow.row_id).where(status_condition(statuses, self.now))
                    capped = ids.limit(LIST_CAP + 1).subquery()
                    size = await self.session.scalar(sa.select(sa.func.count()).select_from(capped))
                    if int(size or 0) <= LIST_CAP:
                        self._scope = (kind, ids, int(size or 0))
                        break
        return self._scope


def _cache_key(query: SearchQuery) -> CacheKey:
    filters = tuple(
        sorted(
            (name, tuple(sorted({v.strip().lower() for v in values if v.strip()})))
            for name, values in query.filters.items()
        )
    )
    filters = tuple((name, norms) for name, norms in filters if norms)
    statuses = tuple(sorted(set(query.statuses or ["active"])))
    return (
        tuple(query_tokens(query.q)),
        bool(query.q.strip()),
        filters,
        tuple(sorted(set(query.issuers))),
        statuses,
    )


def _remember(store: CatalogStore, query: SearchQuery, item: CachedSearch) -> None:
    store.search_cache.put(_cache_key(query), item)


async def _known(matches: _Matches) -> CachedSearch:
    """Facets, newest matches and (when they give it) the total: from the cache while the
    catalog is unchanged, else computed and cached."""
    store, query = matches.store, matches.query
    state = await catalog_state(matches.session, matches.now)
    key = _cache_key(query)
    cached = store.search_cache.get(key, state)
    if cached is not None:
        return cached
    facets, sampled, matching, complete, total = await _facets(matches)
    item = CachedSearch(
        state=state,
        facets=facets,
        sampled=sampled,
        matching=tuple(matching),
        complete=complete,
        total=total,
    )
    store.search_cache.put(key, item)
    return item


async def _facets(
    matches: _Matches,
) -> tuple[dict[str, list[tuple[str, int]]], bool, list[int], bool, int]:
    """Facet counts over the matches and whether they were sampled: exact up to
    FACET_SAMPLE matches (of any status), over the newest FACET_SAMPLE matches beyond
    (counting values of 100,000 entries per request is too slow). Also the row ids the
    facets counted (the newest matches, newest first), whether they are every match, and
    the number of matches (up to COUNT_CAP + 1)."""
    store, session = matches.store, matches.session
    e = EntryRow
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    # One sample of every status: the status facet ignores the status filter (so people
    # see what else there is), and when the sample is complete it holds the matches too.
    # One pass over the newest FIRST_PASS matches of every status: its head is the status
    # sample, and when it saw every match the wanted statuses among it are the matches
    # and their total. Broader queries take the newest matches and their (capped) total
    # in one more pass.
    rows = await matches.any_status(FIRST_PASS + 1)
    sampled = len(rows) > FACET_SAMPLE
    for _, status in rows[:FACET_SAMPLE]:
        counts["status"][status] = counts["status"].get(status, 0) + 1
    wanted = set(matches.wanted_statuses)
    every = [row_id for row_id, status in rows if status in wanted]
    if len(rows) <= FIRST_PASS:
        matching, total = every[:FACET_SAMPLE], len(every)
    elif len(every) >= FACET_SAMPLE:
        # The first pass's share of the row ids it spans guesses how many match in all.
        span = rows[0][0] - rows[-1][0] + 1
        matching, total = every[:FACET_SAMPLE], await matches.count(len(rows) * rows[0][0] / span)
    else:  # few wanted among many others: look further back
        matching, total = await matches.newest(FACET_SAMPLE)
    complete = total <= FACET_SAMPLE
    if matching:
        v = EntryValueRow
        # On SQLite, drive from the sampled entries, not from every value of a field.
        field: sa.ColumnElement[str] = (
            sa.literal_column("+catalog_entry_values.field") if store.sqlite else v.field.expression
        )
        values = (
            sa.select(v.field, sa.func.min(v.value), sa.func.count())
            .where(
                _among(v.entry_row, matching, store.sqlite),
                field.in_([f for f in FACETS if f in VALUE_FILTERS]),
            )
            .group_by(v.field, v.norm)
        )
        issuers = (
            sa.select(sa.literal("issuer", sa.String()), e.issuer, sa.func.count())
            .where(_among(e.row_id, matching, store.sqlite))
            .group_by(e.issuer)
        )
        for name, value, count in (await session.execute(sa.union_all(values, issuers))).all():
            counts[name][value] = int(count)
    facets = {
        name: sorted(values.items(), key=lambda item: (-item[1], item[0]))[:MAX_FACET_VALUES]
        for name, values in counts.items()
    }
    return facets, sampled, matching, complete, total


def _among(
    column: InstrumentedAttribute[int], ids: list[int], sqlite: bool
) -> sa.ColumnElement[bool]:
    """`column IN ids` with the ids as one parameter (a JSON text on SQLite, an array on
    PostgreSQL): binding a thousand parameters one by one cost more than the query."""
    if sqlite:
        listed = sa.func.json_each(sa.literal(json.dumps(ids))).table_valued("value")
        return column.in_(sa.select(listed.c.value))
    return column == sa.any_(sa.literal(ids, type_=postgresql.ARRAY(sa.BigInteger())))
