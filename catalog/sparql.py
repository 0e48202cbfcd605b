"""Read-only SPARQL over the active entries.

Each catalog process keeps an evaluator process (`catalog.sparql_worker`) whose
in-memory pyoxigraph store holds one named graph per active entry, and brings it up to
date from the change feed before every query, so replicas sharing one database answer
alike. Queries run over the union of those graphs.

Federated queries (`SERVICE`) are refused (`catalog.sparql_service` says why).
Limits: the query text is bounded; results are counted as they stream and a query that
yields more than `max_results` rows is refused; a query still running at its deadline is
stopped by killing the evaluator (pyoxigraph has no other way to stop one), and the next
query starts a fresh one, loaded again from the feed.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import sqlalchemy as sa

from catalog import vocab
from catalog.models import EntryBlobRow, EntryRow
from catalog.sparql_service import names_a_service
from catalog.sparql_worker import READ_ONLY
from catalog.store import CatalogStore, effective_status
from hinterland.errors import Busy, InputError, LimitExceeded, StorageError

_UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX|BASE)\s+[^\n]*\s*)*(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.IGNORECASE,
)
_GRACE = 1.0  # seconds past the deadline for an answer already being serialized
_LOAD_SECONDS = 600.0  # loading a page of the feed never takes this long unless stuck


@dataclass
class SparqlResult:
    """A serialized answer and its media type."""

    body: str
    media_type: str


class _Evaluator:
    """One evaluator process and its channel. Calls block: run them in a thread."""

    def __init__(self, max_memory_mb: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "catalog.sparql_worker", "--max-memory-mb", str(max_memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._writer = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self._reader = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()

    def call(self, message: tuple[Any, ...], seconds: float) -> tuple[Any, ...] | None:
        """The reply; `("ended",)` if the process ended instead (out of memory, say); None
        if nothing came within `seconds`."""
        try:
            self._writer.send(message)
            if not self._reader.poll(seconds):
                return None
            reply: tuple[Any, ...] = self._reader.recv()
        except (EOFError, OSError):
            return ("ended",)
        return reply

    def stop(self) -> None:
        """Kill the process (it may be deep in a query) and release the channel."""
        self.process.kill()
        self.process.wait()
        self._writer.close()
        self._reader.close()


class SparqlIndex:
    """The per-process SPARQL store, synced from the catalog's change feed."""

    def __init__(
        self,
        store: CatalogStore,
        *,
        timeout: float,
        max_results: int,
        max_query_bytes: int,
        max_memory_mb: int,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.max_results = max_results
        self.max_query_bytes = max_query_bytes
        self.max_memory_mb = max_memory_mb
        self._seq = 0  # the feed position the evaluator's store has reached
        self._evaluator: _Evaluator | None = None
        # one exchange with the evaluator at a time: syncs and queries in order
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        """Stop the evaluator process, if one runs."""
        async with self._lock:
            await self._discard()

    async def sync(self) -> None:
        """Apply every change since the last sync: graphs of entries that are no longer
        active are removed, active ones (re)loaded."""
        async with self._lock:
            await self._sync()

    async def _sync(self) -> None:
        await self.store.expire_due()
        while True:
            changes = await self.store.changes(self._seq, 1_000)
            if not changes:
                return
            touched = list(dict.fromkeys(c.entry_id for c in changes))
            reply = await self._exchange(("load", await self._graphs(touched)), _LOAD_SECONDS)
            if reply is None or reply[0] != "ok":
                raise StorageError(
                    "the SPARQL evaluator stopped while loading entries; it may use "
                    f"{self.max_memory_mb} MB (catalog.sparql_max_memory_mb)"
                )
            self._seq = changes[-1].seq

    async def _graphs(self, entry_ids: list[str]) -> list[tuple[str, str]]:
        """(graph IRI, N-Triples) of each entry: empty unless it is active."""
        now = self.store.clock()
        async with self.store.read() as session:
            rows = await session.execute(
                sa.select(EntryRow.id, effective_status(now), EntryBlobRow.rdf)
                .join(EntryBlobRow, EntryBlobRow.row_id == EntryRow.row_id)
                .where(EntryRow.id.in_(entry_ids))
            )
            current = {entry_id: (status, rdf) for entry_id, status, rdf in rows}
        graphs = []
        for entry_id in entry_ids:
            status, rdf = current.get(entry_id, ("gone", ""))
            graphs.append((vocab.entry_iri(entry_id), rdf if status == "active" else ""))
        return graphs

    async def _exchange(self, message: tuple[Any, ...], seconds: float) -> tuple[Any, ...] | None:
        """Send one message to the evaluator (started if needed) and wait for its reply.
        Without one in time the evaluator is killed and None returned; if it ended by
        itself, `("ended",)` is returned. Either way the next message starts afresh."""
        if self._evaluator is None:
            self._evaluator = await asyncio.to_thread(_Evaluator, self.max_memory_mb)
        evaluator = self._evaluator
        try:
            reply = await asyncio.to_thread(evaluator.call, message, seconds)
        except asyncio.CancelledError:
            # The thread still waits on the channel; a reply it has not read would be
            # taken as the answer to the next message. End the evaluator instead.
            self._evaluator, self._seq = None, 0
            evaluator.process.kill()
            raise
        if reply is None or reply[0] == "ended":
            await self._discard()
        return reply

    async def _discard(self) -> None:
        evaluator, self._evaluator = self._evaluator, None
        self._seq = 0  # a fresh evaluator starts empty: the next sync loads everything
        if evaluator is not None:
            await asyncio.to_thread(evaluator.stop)

    async def query(self, text: str) -> SparqlResult:
        """Answer a SELECT, ASK, CONSTRUCT or DESCRIBE query.

        Raises `InputError` for updates and syntax errors, `LimitExceeded` for queries that
        are too long, return too much or run out of time, `Busy` when other queries hold
        the evaluator for longer than the time limit.
        """
        if len(text.encode("utf-8")) > self.max_query_bytes:
            raise LimitExceeded(f"SPARQL query longer than {self.max_query_bytes} bytes")
        if _UPDATE.match(text):
            raise InputError(READ_ONLY)
        if names_a_service(text):
            raise InputError(
                "SPARQL SERVICE (federated query) is not allowed: this endpoint answers "
                "over this catalog's entries only"
            )
        try:  # a query queued behind slow ones gives up after its own time limit
            async with asyncio.timeout(self.timeout):
                await self._lock.acquire()
        except TimeoutError:
            raise Busy(
                f"the SPARQL evaluator is busy with other queries for more than "
                f"{self.timeout:g} seconds; try again shortly"
            ) from None
        try:
            await self._sync()
            message = ("query", text, self.timeout, self.max_results)
            reply = await self._exchange(message, self.timeout + _GRACE)
        finally:
            self._lock.release()
        if reply is None:
            raise LimitExceeded(f"SPARQL query took longer than {self.timeout:g} seconds")
        if reply[0] == "ok":
            return SparqlResult(reply[1], reply[2])
        if reply[0] == "limit":
            raise LimitExceeded(reply[1])
        if reply[0] == "ended":
            raise LimitExceeded(
                "the SPARQL query ended its evaluator, most likely by needing more than "
                f"{self.max_memory_mb} MB; narrow it (fewer variables per pattern, a LIMIT)"
            )
        raise InputError(reply[1])
