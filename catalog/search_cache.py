"""An exact cache of what a search computes beyond its page: facet counts, the newest
matches and the total, keyed by the query and the state of the catalog.

A cached result is served only while it is still exactly what a fresh computation would
give: the change-feed cursor is unchanged (every write that touches entries -- add,
deprecation, revocation, recorded expiry -- appends to the feed in the same transaction),
the clock has not gone back, and no active entry has passed its validUntil since (an entry
turns expired at read time, without a write). Two processes sharing one database each keep
their own cache; both read the cursor from the database, so neither serves stale counts.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ChangeRow, EntryRow
from catalog.records import aware

FacetCounts = dict[str, list[tuple[str, int]]]
CacheKey = tuple[object, ...]


@dataclass(frozen=True)
class CatalogState:
    """What a cached search result depends on besides the query."""

    cursor: int  # newest change-feed seq
    now: datetime
    next_expiry: datetime | None  # earliest validUntil of an active entry still alive

    def still(self, computed: CatalogState) -> bool:
        """True when a result computed at `computed` is exact at this state."""
        return (
            self.cursor == computed.cursor
            and self.now >= computed.now
            and (computed.next_expiry is None or self.now < computed.next_expiry)
        )


@dataclass(frozen=True)
class CachedSearch:
    """Facets, the newest FACET_SAMPLE matches (row ids, newest first) and the total."""

    state: CatalogState
    facets: FacetCounts
    sampled: bool
    matching: tuple[int, ...]
    complete: bool  # `matching` holds every match
    total: int | None  # counted (capped) total, when it was needed


async def catalog_state(session: AsyncSession, now: datetime) -> CatalogState:
    """The cursor and the next expiry, in one round trip (both answered by indexes)."""
    e = EntryRow
    cursor = sa.select(sa.func.max(ChangeRow.seq)).scalar_subquery()
    expiry = (
        sa.select(sa.func.min(e.valid_until))
        .where(e.status == "active", e.valid_until.is_not(None), e.valid_until > now)
        .scalar_subquery()
    )
    row = (await session.execute(sa.select(cursor, expiry))).one()
    return CatalogState(cursor=int(row[0] or 0), now=now, next_expiry=aware(row[1]))


class SearchCache:
    """A bounded LRU of `CachedSearch` by query key; size 0 disables it."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[CacheKey, CachedSearch] = OrderedDict()

    def get(self, key: CacheKey, state: CatalogState) -> CachedSearch | None:
        """The cached result for `key` if it is exact at `state`."""
        item = self._items.get(key)
        if item is None:
            return None
        if not state.still(item.state):
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item

    def put(self, key: CacheKey, item: CachedSearch) -> None:
        """Remember a result, evicting the least recently used beyond `size`."""
        if self.size <= 0:
            return
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


__all__ = ["CachedSearch", "CatalogState", "SearchCache", "catalog_state"]
