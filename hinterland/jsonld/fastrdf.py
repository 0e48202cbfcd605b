"""A direct JSON-LD -> RDF walk for the common shape of credentials.

pyld builds the expanded document, then a node map, then RDF triples, then we convert
those to quads: four passes over dictionaries, most of the time of verifying a
credential. This module walks the compact document once and emits quads directly. It
uses pyld for everything that carries JSON-LD's subtle semantics (context processing,
property- and type-scoped contexts and their reverting, IRI and value expansion,
literal conversion of numbers), so it only replaces the bookkeeping.

It covers node objects with plain, `@set` or `@graph` container properties (`proof`,
`verifiableCredential`), `@id`, `@type` and scalar values. Anything else (value objects,
`@list`, the `@graph`/`@reverse`/`@nest`/`@included` keywords, index/language/id/type
maps, `@json`, reverse terms, documents that are arrays...) raises `Unsupported` before
any result is returned, and the caller uses the full pyld path. Tests compare both paths
on a corpus, the Gaia-X fixtures and generated documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from frozendict import frozendict
from pyld import jsonld

from hinterland.errors import HinterlandError
from hinterland.jsonld.loader import DocumentLoader, default_loader
from hinterland.jsonld.processing import CachingProcessor, Document, is_absolute_iri
from hinterland.jsonld.rdfc import XSD_STRING, Quad, literal_term
from hinterland.jsonld.templates import learn, templated

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
XSD_DOUBLE_OR_JSON = (XSD_DOUBLE, "@json")

_get = jsonld.JsonLdProcessor.get_context_value
_is_keyword = jsonld._is_keyword
_KEYWORDS = frozenset(jsonld.KEYWORDS)


_DROP, _KEYWORD, _PROPERTY = 0, 1, 2


def _flatten(value: Any) -> list[Any]:
    """Array values flattened, nulls left out (as pyld expands values outside lists)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [item for entry in value for item in _flatten(entry)]
    return [value]


class Unsupported(Exception):
    """The document uses a feature the direct walk leaves to pyld."""


class DirectConverter:
    """Converts one JSON-LD document to quads (blank nodes labelled `_:f<n>`/`_:d<label>`)."""

    def __init__(self, processor: CachingProcessor, options: dict[str, Any]) -> None:
        self.p = processor
        self.options = options
        self.base = options.get("base", "")
        self.quads: list[Quad] = []
        self.dropped: dict[str, None] = {}
        self._fresh = 0
        self.graph = ""  # the graph quads go to: "" default, else a blank node
        # key classifications and property plans depend only on the (frozen, cached)
        # active context and the key: shared across documents through the loader's cache
        self._shared = processor.walk_plans
        self._local: dict[tuple[str, int, str], Any] = {}  # this document's lookups, no lock

    def convert(self, document: Any) -> list[Quad]:
        if not isinstance(document, dict):
            raise Unsupported("top-level array")
        active_ctx = self.p._get_initial_context(self.options)
        self._node(active_ctx, None, document, ())
        return list(dict.fromkeys(self.quads))

    # -- terms

    def _blank(self) -> str:
        self._fresh += 1
        return f"_:f{self._fresh}"

    def _node_term(self, iri: str) -> str | None:
        """An RDF term for an expanded @id, None for a relative IRI (pyld drops those)."""
        if iri.startswith("_:"):
            return "_:d" + iri[2:]
        return f"<{iri}>" if is_absolute_iri(iri) else None

    # -- nodes

    def _node(
        self,
        active_ctx: Any,
        active_property: str | None,
        element: dict[str, Any],
        path: tuple[str, ...],
    ) -> str | None:
        """Emit a node object's quads; return its term (None if pyld would drop it)."""
        p = self.p
        options = self.options
        # mirrors JsonLdProcessor._expand for an object element
        property_scoped_ctx = _get(active_ctx, active_property, "@context")
        type_scoped_ctx = active_ctx if active_ctx.get("previousContext") else None
        must_revert = True
        if type_scoped_ctx is not None and len(element) <= 2 and "@context" not in element:
            for key in sorted(element):
                expanded = p._expand_iri(type_scoped_ctx, key, vocab=True)
                if expanded == "@value":
                    raise Unsupported("value object")
                if expanded == "@id" and len(element) == 1:
                    must_revert = False
                    break
        if must_revert:
            active_ctx = p._revert_to_previous_context(active_ctx)
        if property_scoped_ctx is not None:
            active_ctx = p._process_context(
                active_ctx, property_scoped_ctx, options, override_protected=True
            )
        active_ctx, type_key, type_scoped_ctx = p._prepare_nested_context(
            active_ctx, element, options
        )
        if not isinstance(active_ctx, frozendict):
            raise Unsupported("unfrozen context")

        subject: str | None = None
        types: list[str] = []
        properties: list[tuple[str, str, Any]] = []  # (key, predicate IRI, value)
        seen_keywords: set[str] = set()
        for key, value in sorted(element.items()):
            if key == "@context":
                continue
            kind, expanded = self._key(active_ctx, key)
            if kind == _DROP:
                self.dropped[".".join((*path, key))] = None
                continue
            if kind == _KEYWORD:
                if expanded in seen_keywords:
                    raise Unsupported("colliding keywords")
                seen_keywords.add(expanded)
                if expanded == "@id":
                    if not isinstance(value, str):
                        raise Unsupported("@id not a string")
                    iri = p._expand_iri(active_ctx, value, base=self.base)
                    if not isinstance(iri, str):
                        raise Unsupported("@id expansion")
                    subject = self._node_term(iri)
                    if subject is None:
                        subject = ""  # relative: pyld keeps the node but emits nothing
                elif expanded == "@type":
                    values = value if isinstance(value, list) else [value]
                    for item in values:
                        if not isinstance(item, str):
                            raise Unsupported("@type value")
                        iri = p._expand_iri(type_scoped_ctx, item, vocab=True, base=self.base)
                        if not isinstance(iri, str) or iri in ("@json", "@none"):
                            raise Unsupported("@type keyword value")
                        types.append(iri)
                else:
                    raise Unsupported(f"keyword {expanded}")
                continue
            properties.append((key, expanded, value))

        if subject is None:
            subject = self._blank()
        if types and type_key is not None:
            first = element[type_key]
            first = first[0] if isinstance(first, list) and first else first
            if p._expand_iri(active_ctx, first, vocab=True) == "@json":
                raise Unsupported("@json node")
        emit = bool(subject)
        for iri in types:
            obj = self._node_term(iri)
            if emit and obj is not None:
                self.quads.append((subject, RDF_TYPE, obj, self.graph))
        for key, predicate_iri, value in properties:
            objects = self._property(active_ctx, key, value, (*path, key))
            if emit:
                predicate = f"<{predicate_iri}>"
                for obj in objects:
                    self.quads.append((subject, predicate, obj, self.graph))
        return subject or None

    def _key(self, active_ctx: Any, key: str) -> tuple[int, Any]:
        """(kind, expanded IRI or keyword) of a node's key; memoized."""
        memo_key = ("key", id(active_ctx), key)
        hit = self._local.get(memo_key) or self._shared.get(memo_key)
        if hit is not None and hit[0] is active_ctx:
            self._local[memo_key] = hit
            info: tuple[int, Any] = hit[1]
            return info
        expanded = self.p._expand_iri(active_ctx, key, vocab=True)
        if expanded is None or type(expanded) is not str:
            info = (_DROP, expanded)
        elif expanded in _KEYWORDS:
            info = (_KEYWORD, expanded)
        elif is_absolute_iri(expanded):
            mapping = active_ctx["mappings"].get(key)
            if mapping is not None and mapping.get("reverse"):
                raise Unsupported("reverse property")
            if expanded.startswith("_:"):
                raise Unsupported("blank node property")
            info = (_PROPERTY, expanded)
        else:
            info = (_DROP, expanded)
        self._shared[memo_key] = self._local[memo_key] = (active_ctx, info)
        return info

    def _plan(self, active_ctx: Any, key: str) -> tuple[Any, bool, Any, Any, Any]:
        """How values of `key` expand under `active_ctx`: (term context, graph container,
        type coercion, default language, default direction). Memoized."""
        memo_key = ("plan", id(active_ctx), key)
        hit = self._local.get(memo_key) or self._shared.get(memo_key)
        if hit is not None and hit[0] is active_ctx:
            self._local[memo_key] = hit
            plan: tuple[Any, bool, Any, Any, Any] = hit[1]
            return plan
        p = self.p
        term_ctx = active_ctx
        scoped = _get(active_ctx, key, "@context")
        if scoped is not None:
            term_ctx = p._process_context(
                active_ctx, scoped, self.options, propagate=True, override_protected=True
            )
        if not isinstance(term_ctx, frozendict):
            raise Unsupported("unfrozen context")
        mapping = term_ctx["mappings"].get(key)
        if mapping is not None and mapping.get("reverse"):
            raise Unsupported("reverse property")
        if _is_keyword(p._expand_iri(term_ctx, key, vocab=True)):
            raise Unsupported("key is a keyword in its own scoped context")
        container = [
            entry
            for entry in jsonld.JsonLdProcessor.arrayify(_get(active_ctx, key, "@container"))
            if entry not in ("@set", None)
        ]
        if container not in ([], ["@graph"]):
            raise Unsupported("container")
        if _get(active_ctx, key, "@type") == "@json":
            raise Unsupported("@json property")
        plan = (
            term_ctx,
            bool(container),
            _get(term_ctx, key, "@type"),
            _get(term_ctx, key, "@language"),
            _get(term_ctx, key, "@direction"),
        )
        self._shared[memo_key] = self._local[memo_key] = (active_ctx, plan)
        return plan

    def _property(self, active_ctx: Any, key: str, value: Any, path: tuple[str, ...]) -> list[str]:
        """The object terms of one property (values pyld would drop are left out)."""
        plan = self._plan(active_ctx, key)
        objects: list[str] = []
        if not plan[1]:
            self._values(plan, key, value, path, objects)
            return objects
        # a graph container: each value becomes a node in a graph of its own
        for item in _flatten(value):
            if not isinstance(item, dict):
                raise Unsupported("graph container value")
            graph = self._blank()
            outer, self.graph = self.graph, graph
            try:
                if item:
                    self._node(plan[0], key, item, path)
            finally:
                self.graph = outer
            objects.append(graph)
        return objects

    def _values(
        self,
        plan: tuple[Any, bool, Any, Any, Any],
        key: str,
        value: Any,
        path: tuple[str, ...],
        out: list[str],
    ) -> None:
        if value is None:
            return
        if isinstance(value, list):
            for item in value:
                self._values(plan, key, item, path, out)
            return
        if isinstance(value, dict):
            if not value:
                out.append(self._blank())
                return
            term = self._node(plan[0], key, value, path)
            if term is not None:
                out.append(term)
            return
        term = self._scalar(plan, value)
        if term is not None:
            out.append(term)

    def _scalar(self, plan: tuple[Any, bool, Any, Any, Any], value: Any) -> str | None:
        """A scalar property value, as pyld's _expand_value and _object_to_rdf treat it."""
        term_ctx, _, coercion, language, direction = plan
        if type(value) is str:
            if coercion == "@id" or coercion == "@vocab":
                iri = self.p._expand_iri(
                    term_ctx, value, vocab=coercion == "@vocab", base=self.base
                )
                if not isinstance(iri, str):
                    raise Unsupported("node reference expansion")
                return self._node_term(iri)
            if coercion is None or coercion == "@none":
                if direction is not None:
                    raise Unsupported("@direction")
                if language is not None:
                    return literal_term(value, None, language)
                return literal_term(value)
        item: dict[str, Any] = {"@value": value}
        if coercion is not None and coercion not in ("@id", "@vocab", "@none"):
            item["@type"] = coercion
        return self._literal(item)

    def _literal(self, item: dict[str, Any]) -> str:
        if "@direction" in item:
            raise Unsupported("@direction")
        value = item["@value"]
        datatype = item.get("@type")
        language = item.get("@language")
        if datatype not in XSD_DOUBLE_OR_JSON:
            # the common cases, as pyld's _object_to_rdf decides them
            if type(value) is str:
                if language is not None:
                    if datatype is not None:
                        raise Unsupported("typed language string")
                    return literal_term(value, None, language)
                return literal_term(value, datatype or XSD_STRING)
            if type(value) is bool:
                return literal_term("true" if value else "false", datatype or XSD_BOOLEAN)
            if type(value) is int and abs(value) < 10**21:
                return literal_term(str(value), datatype or XSD_INTEGER)
        # doubles, big integers, xsd:double coercion: pyld's own conversion
        converted = self.p._object_to_rdf(item, None, [], self.options)
        if converted is None or converted.get("type") != "literal":
            raise Unsupported("literal conversion")
        return literal_term(
            converted["value"], converted.get("datatype"), converted.get("language")
        )


def pyld_options(loader: DocumentLoader) -> dict[str, Any]:
    """Options as pyld's `expand` sets them, with our loader and context caches."""
    return {
        **loader.options(),
        "base": "",
        "produceGeneralizedRdf": False,
        "processingMode": "json-ld-1.1",
        "isFrame": False,
        "keepFreeFloatingNodes": False,
        "extractAllScripts": False,
    }


def direct_quads(
    document: Document, loader: DocumentLoader | None = None, *, templates: bool = True
) -> tuple[list[Quad], list[str]] | None:
    """Quads and dropped-key paths from the direct walk, or None where it defers to pyld.

    With `templates`, a document whose shape was walked before takes its template
    (`hinterland.jsonld.templates`): the same result, without the walk.
    """
    loader = loader or default_loader()
    token = None
    if templates:
        result, token = templated(document, loader)
        if result is not None:
            return result
    options = pyld_options(loader)
    converter = DirectConverter(CachingProcessor(loader), options)
    try:
        quads = converter.convert(document)
    except HinterlandError:
        raise
    except Exception:  # Unsupported, or an error pyld's own path will report properly
        return None
    walked = quads, sorted(converter.dropped)
    if token is not None:
        learn(token, document, loader, walked, _walker(options))
    return walked


def _walker(options: dict[str, Any]) -> Callable[[Any, CachingProcessor], list[Quad]]:
    def walk(document: Any, processor: CachingProcessor) -> list[Quad]:
        return DirectConverter(processor, options).convert(document)

    return walk
