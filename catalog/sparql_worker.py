"""The SPARQL evaluator: a child process that owns the pyoxigraph store.

pyoxigraph cannot stop a query once it runs: a cross product counted with `COUNT(*)`
kept a core busy for minutes after the request had timed out, and each such request
added another. In a process of its own the evaluation can be killed at its deadline
(`catalog.sparql` does, and starts a fresh evaluator).

The parent speaks over stdin/stdout with pickled tuples (`multiprocessing` connections):

- `("load", [(graph IRI, N-Triples or "")...])` -> `("ok",)`: each graph is replaced
  (emptied when the text is empty);
- `("query", text, deadline seconds, max results)` -> `("ok", body, media type)`,
  `("input", message)` or `("limit", message)`.

Run as `python -m catalog.sparql_worker [--max-memory-mb N]`; it ends when the parent
closes its end.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

UPDATE_ANYWHERE = re.compile(
    r"\b(?:(?:INSERT|DELETE)\s+(?:DATA|WHERE|\{)|(?:LOAD|CLEAR|DROP|CREATE)\s+(?:SILENT\s+)?"
    r"(?:GRAPH|DEFAULT|NAMED|ALL|<))",
    re.IGNORECASE,
)
READ_ONLY = "SPARQL updates are not allowed: this endpoint is read-only"

Reply = tuple[Any, ...]


class _Refused(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def term_json(term: Any) -> dict[str, str]:
    """A term in the SPARQL 1.1 JSON results format."""
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


def load(store: ox.Store, graphs: list[tuple[str, str]]) -> None:
    """Replace each named graph with its N-Triples (remove it when they are empty)."""
    for iri, rdf in graphs:
        graph = ox.NamedNode(iri)
        store.remove_graph(graph)
        if rdf:
            store.load(rdf.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)


def evaluate(store: ox.Store, text: str, seconds: float, max_results: int) -> Reply:
    """Run a read-only query over the union of the graphs; the serialized answer or why
    it was refused. Results are counted as they stream; the deadline is checked between
    them (the parent's kill bounds the time before the first)."""
    deadline = time.monotonic() + seconds
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        if UPDATE_ANYWHERE.search(text):
            return ("input", READ_ONLY)
        return ("input", f"invalid SPARQL query: {exc}")
    except OSError as exc:
        return ("input", f"SPARQL query failed: {exc}")
    try:
        body, media_type = _serialize(result, deadline, max_results)
    except _Refused as exc:
        return (exc.kind, str(exc))
    return ("ok", body, media_type)


def _serialize(result: Any, deadline: float, max_results: int) -> tuple[str, str]:
    if isinstance(result, ox.QueryBoolean):
        return json.dumps({"head": {}, "boolean": bool(result)}), "application/sparql-results+json"
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        bindings: list[dict[str, Any]] = []
        for solution in _bounded(result, deadline, max_results):
            row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = term_json(value)
            bindings.append(row)
        body = {"head": {"vars": names}, "results": {"bindings": bindings}}
        return json.dumps(body), "application/sparql-results+json"
    triples = [str(t) + " ." for t in _bounded(result, deadline, max_results)]
    return "\n".join(triples) + ("\n" if triples else ""), "application/n-triples"


def _bounded(results: Any, deadline: float, max_results: int) -> Iterator[Any]:
    count = 0
    try:
        for item in results:
            count += 1
            if count > max_results:
                raise _Refused(
                    "limit", f"SPARQL result larger than {max_results} rows; add a LIMIT"
                )
            if time.monotonic() > deadline:
                raise _Refused("limit", "SPARQL query ran out of time")
            yield item
    except OSError as exc:
        raise _Refused("input", f"SPARQL evaluation failed: {exc}") from None


def serve(reader: Connection, writer: Connection) -> None:
    """Answer the parent's messages until it closes the channel."""
    store = ox.Store()
    while True:
        try:
            message = reader.recv()
        except EOFError:
            return
        if message[0] == "load":
            load(store, message[1])
            writer.send(("ok",))
        elif message[0] == "query":
            writer.send(evaluate(store, message[1], message[2], message[3]))
        else:
            writer.send(("input", f"unknown message {message[0]!r}"))


def main() -> None:
    """Serve on stdin/stdout; anything else printed goes to stderr, not into the channel.
    With `--max-memory-mb N` the process's heap is capped: an allocation past it ends the
    process, which the parent reports as a refused query."""
    arguments = sys.argv[1:]
    if arguments[:1] == ["--max-memory-mb"]:
        limit = int(arguments[1]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    reader = Connection(os.dup(0), writable=False)
    writer = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    serve(reader, writer)


if __name__ == "__main__":
    main()
