"""Read-only SPARQL over the active entries.

Each process keeps an in-memory pyoxigraph store with one named graph per active entry and
brings it up to date from the change feed before every query, so replicas sharing one
database answer alike. Queries run over the union of those graphs.

Federated queries (`SERVICE`) are refused (`catalog.sparql_service` says why).
Limits: the query text is bounded; results are counted as they stream and a query that
yields more than `max_results` rows is refused; evaluation runs in a worker thread that
checks a deadline between results, and the request gives up after `timeout` seconds.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
import sqlalchemy as sa

from catalog import vocab
from catalog.models import EntryBlobRow, EntryRow
from catalog.sparql_service import names_a_service
from catalog.store import CatalogStore, effective_status
from hinterland.errors import HinterlandError, InputError, LimitExceeded

_UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX|BASE)\s+[^\n]*\s*)*(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.IGNORECASE,
)

_UPDATE_ANYWHERE = re.compile(
    r"\b(?:(?:INSERT|DELETE)\s+(?:DATA|WHERE|\{)|(?:LOAD|CLEAR|DROP|CREATE)\s+(?:SILENT\s+)?"
    r"(?:GRAPH|DEFAULT|NAMED|ALL|<))",
    re.IGNORECASE,
)


@dataclass
class SparqlResult:
    """A serialized answer and its media type."""

    body: str
    media_type: str


def _term(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}


class SparqlIndex:
    """The per-process SPARQL store, synced from the catalog's change feed."""

    def __init__(
        self, store: CatalogStore, *, timeout: float, max_results: int, max_query_bytes: int
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.max_results = max_results
        self.max_query_bytes = max_query_bytes
        self.oxigraph = ox.Store()
        self._seq = 0
        self._sync_lock = asyncio.Lock()
        self._query_slots = asyncio.Semaphore(2)

    async def sync(self) -> None:
        """Apply every change since the last sync: graphs of entries that are no longer
        active are removed, active ones (re)loaded."""
        async with self._sync_lock:
            await self.store.expire_due()
            while True:
                changes = await self.store.changes(self._seq, 1_000)
                if not changes:
                    return
                touched = list(dict.fromkeys(c.entry_id for c in changes))
                await self._apply(touched)
                self._seq = changes[-1].seq

    async def _apply(self, entry_ids: list[str]) -> None:
        now = self.store.clock()
        async with self.store.read() as session:
            rows = await session.execute(
                sa.select(EntryRow.id, effective_status(now), EntryBlobRow.rdf)
                .join(EntryBlobRow, EntryBlobRow.row_id == EntryRow.row_id)
                .where(EntryRow.id.in_(entry_ids))
            )
            current = {entry_id: (status, rdf) for entry_id, status, rdf in rows}
        for entry_id in entry_ids:
            graph = ox.NamedNode(vocab.entry_iri(entry_id))
            self.oxigraph.remove_graph(graph)
            status, rdf = current.get(entry_id, ("gone", ""))
            if status == "active" and rdf:
                self.oxigraph.load(
                    rdf.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, to_graph=graph
                )

    async def query(self, text: str) -> SparqlResult:
        """Answer a SELECT, ASK, CONSTRUCT or DESCRIBE query.

        Raises `InputError` for updates and syntax errors, `LimitExceeded` for queries that
        are too long, return too much or run out of time.
        """
        if len(text.encode("utf-8")) > self.max_query_bytes:
            raise LimitExceeded(f"SPARQL query longer than {self.max_query_bytes} bytes")
        if _UPDATE.match(text):
            raise InputError("SPARQL updates are not allowed: this endpoint is read-only")
        if names_a_service(text):
            raise InputError(
                "SPARQL SERVICE (federated query) is not allowed: this endpoint answers "
                "over this catalog's entries only"
            )
        await self.sync()
        cancel = threading.Event()
        async with self._query_slots:
            try:
                return await asyncio.wait_for(
                    asyncio.to_thread(self._run, text, cancel), timeout=self.timeout
                )
            except TimeoutError:
                cancel.set()
                raise LimitExceeded(
                    f"SPARQL query took longer than {self.timeout:g} seconds"
                ) from None

    def _run(self, text: str, cancel: threading.Event) -> SparqlResult:
        deadline = time.monotonic() + self.timeout
        try:
            result = self.oxigraph.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            if _UPDATE_ANYWHERE.search(text):
                raise InputError(
                    "SPARQL updates are not allowed: this endpoint is read-only"
                ) from None
            raise InputError(f"invalid SPARQL query: {exc}") from None
        except OSError as exc:
            raise InputError(f"SPARQL query failed: {exc}") from None
        # pyoxigraph results must be dropped on the thread that made them, so no exception
        # leaving this thread may keep a frame that references them.
        failure: HinterlandError | None = None
        try:
            return self._serialize(result, deadline, cancel)
        except HinterlandError as exc:
            failure = type(exc)(str(exc))
        finally:
            del result
        raise failure

    def _serialize(self, result: Any, deadline: float, cancel: threading.Event) -> SparqlResult:
        if isinstance(result, ox.QueryBoolean):
            return SparqlResult(
                json.dumps({"head": {}, "boolean": bool(result)}),
                "application/sparql-results+json",
            )
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            bindings: list[dict[str, Any]] = []
            for solution in self._bounded(result, deadline, cancel):
                row = {}
                for name in names:
                    value = solution[name]
                    if value is not None:
                        row[name] = _term(value)
                bindings.append(row)
            body = {"head": {"vars": names}, "results": {"bindings": bindings}}
            return SparqlResult(json.dumps(body), "application/sparql-results+json")
        triples = [str(t) + " ." for t in self._bounded(result, deadline, cancel)]
        return SparqlResult("\n".join(triples) + ("\n" if triples else ""), "application/n-triples")

    def _bounded(self, results: Any, deadline: float, cancel: threading.Event) -> Any:
        count = 0
        try:
            for item in results:
                count += 1
                if count > self.max_results:
                    raise LimitExceeded(
                        f"SPARQL result larger than {self.max_results} rows; add a LIMIT"
                    )
                if cancel.is_set() or time.monotonic() > deadline:
                    raise LimitExceeded("SPARQL query ran out of time")
                yield item
        except OSError as exc:
            raise InputError(f"SPARQL evaluation failed: {exc}") from None
