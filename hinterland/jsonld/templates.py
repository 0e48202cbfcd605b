"""Walk templates: the RDF of documents that differ from each other only in their strings.

A publisher's documents share a shape: the same keys in the same nesting, the same
contexts, types and numbers; the strings differ (names, identifiers, dates). The direct
walk (`fastrdf`) spends most of its time on JSON-LD bookkeeping that the shape alone
decides. When a shape comes round a second time, a template is compiled: the document is
walked again with each string replaced by a marker IRI, and every marker that the quads
hold whole becomes a slot -- an IRI (an `@id`, a value of an `@id`/`@vocab` term) or the
lexical form of a literal (with the datatype or language its term gives it). A string
whose marker appears anywhere else (as a type, inside a longer IRI, in a datatype that
converts its value) or not at all is structural: it belongs to the shape and must be
equal for the template to apply. Later documents of the shape get their quads by
substitution.

A value is substituted only where the walk would produce exactly that term: into a
literal always; into an IRI only when it is absolute, not a blank node, and neither it
nor its prefix is a term of a context the walk expanded IRIs with (JSON-LD would expand
those). Otherwise the document is walked. A template must reproduce the walk of the
document it was compiled from, or its shape is remembered as not templatable.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from hinterland.jsonld.loader import DocumentLoader
from hinterland.jsonld.processing import CachingProcessor, is_absolute_iri
from hinterland.jsonld.rdfc import Quad, escape_literal

_MAX_TOKENS = 4_096  # larger documents are walked: their shapes are rarely repeated
# a template keeps its shape key (contexts included) and structural strings: bounded, so
# that 256 templates stay within a few MB whatever documents come
_MAX_TEMPLATE_CHARACTERS = 65_536
_COMPILE_ROUNDS = 4
# a marker no document can know in advance, so none can pose as another string's slot
_MARK = f"urn:x-hinterland-slot:{secrets.token_hex(8)}:"
_MARK_NUMBER = re.compile(re.escape(_MARK) + r"(\d+)")
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
# literals whose lexical form the walk may convert (pyld turns doubles canonical, @json
# serializes): their strings stay structural
_CONVERTED_SUFFIXES = (
    "^^<http://www.w3.org/2001/XMLSchema#double>",
    "^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON>",
)
# keys whose strings steer the walk rather than become terms
_STEERING_KEYS = frozenset({"@type", "type", "@language", "@direction", "@index", "@base"})

_OBJECT, _LIST, _END, _STRING = object(), object(), object(), object()
_UNTEMPLATABLE = object()

WalkResult = tuple[list[Quad], list[str]]
Walk = Callable[[Any, CachingProcessor], list[Quad]]  # the direct walk with a processor


class _Unshaped(Exception):
    """The document is too large, or holds a value JSON does not, for a shape."""


def shape_of(document: Any) -> tuple[tuple[Any, ...], list[str]] | None:
    """(the shape key, the document's strings in order), or None for no shape.

    The key holds every key, nesting, list length, number, boolean and null, and every
    `@context` verbatim; strings outside `@context` are the leaves.
    """
    tokens: list[Any] = []
    leaves: list[str] = []
    try:
        _shape(document, tokens, leaves)
    except (_Unshaped, RecursionError):
        return None
    return tuple(tokens), leaves


def _shape(value: Any, tokens: list[Any], leaves: list[str]) -> None:
    kind = type(value)
    if kind is str:
        tokens.append(_STRING)
        leaves.append(value)
    elif kind is dict:
        tokens.append(_OBJECT)
        for key, item in value.items():
            tokens.append(key)
            if key == "@context":
                tokens.append(_frozen(item))
            else:
                _shape(item, tokens, leaves)
        tokens.append(_END)
    elif kind is list:
        tokens.append(_LIST)
        for item in value:
            _shape(item, tokens, leaves)
        tokens.append(_END)
    elif kind is bool or kind is int or kind is float or value is None:
        tokens.append(_scalar(kind, value))
    else:
        raise _Unshaped(kind.__name__)
    if len(tokens) > _MAX_TOKENS:
        raise _Unshaped("too large")


def _frozen(value: Any) -> Any:
    """A hashable, type-exact copy of a context value."""
    kind = type(value)
    if kind is str:
        return value
    if kind is list:
        return (_LIST, *(_frozen(item) for item in value))
    if kind is dict:
        return (_OBJECT, *((key, _frozen(item)) for key, item in value.items()))
    if kind is bool or kind is int or kind is float or value is None:
        return _scalar(kind, value)
    raise _Unshaped(kind.__name__)


def _scalar(kind: type, value: Any) -> tuple[type, Any]:
    """A token equal only for the same JSON scalar: (bool, True) and (int, 1) differ, and
    floats compare by their text, since -0.0 == 0.0 but JSON-LD writes them apart."""
    return (kind, repr(value) if kind is float else value)


def _characters(value: Any) -> int:
    """The characters of every string in a shape key (keys and contexts)."""
    if type(value) is str:
        return len(value)
    if type(value) is tuple:
        return sum(_characters(item) for item in value)
    return 1


def _replace_leaves(value: Any, replace: Callable[[int, str], str], counter: list[int]) -> Any:
    """A copy of `value` with each leaf string (in `shape_of` order) replaced."""
    kind = type(value)
    if kind is str:
        index = counter[0]
        counter[0] += 1
        return replace(index, value)
    if kind is dict:
        return {
            key: item if key == "@context" else _replace_leaves(item, replace, counter)
            for key, item in value.items()
        }
    if kind is list:
        return [_replace_leaves(item, replace, counter) for item in value]
    return value


def _steering_leaves(value: Any, found: set[int], counter: list[int], steering: bool) -> None:
    """Indexes of the strings under keys that steer the walk (types, languages...)."""
    kind = type(value)
    if kind is str:
        if steering:
            found.add(counter[0])
        counter[0] += 1
    elif kind is dict:
        for key, item in value.items():
            if key != "@context":
                _steering_leaves(item, found, counter, key in _STEERING_KEYS)
    elif kind is list:
        for item in value:
            _steering_leaves(item, found, counter, steering)


@dataclass(frozen=True)
class Template:
    """The walk of one document shape, with slots for its strings."""

    structural: tuple[tuple[int, str], ...]  # (leaf, value it must have)
    iri_slots: tuple[int, ...]
    literal_slots: tuple[tuple[int, str], ...]  # (leaf, suffix after the lexical form)
    constants: tuple[str, ...]  # terms that are the same for every document of the shape
    getters: tuple[Callable[[list[str]], Quad], ...]  # a quad from constants + slot terms
    names: frozenset[str]  # terms of the contexts the walk expanded IRIs with
    dropped: tuple[str, ...]

    def apply(self, leaves: list[str]) -> WalkResult | None:
        """The walk's result for a document of this shape with these strings, or None
        when a string is not one the template can take."""
        for index, value in self.structural:
            if leaves[index] != value:
                return None
        terms = list(self.constants)
        for index in self.iri_slots:
            value = leaves[index]
            if not _stays_itself(value, self.names):
                return None
            terms.append(f"<{value}>")
        for index, suffix in self.literal_slots:
            terms.append(f'"{escape_literal(leaves[index])}"{suffix}')
        quads = [getter(terms) for getter in self.getters]
        return list(dict.fromkeys(quads)), list(self.dropped)


def _stays_itself(value: str, names: frozenset[str]) -> bool:
    """Whether JSON-LD IRI expansion (as `@id` or vocabulary-relative) returns `value`
    unchanged under contexts defining no more than `names`."""
    return (
        is_absolute_iri(value)
        and not value.startswith("_:")
        and value not in names
        and value.split(":", 1)[0] not in names
    )


def templated(document: Any, loader: DocumentLoader) -> tuple[WalkResult | None, Any]:
    """(the result from this document's template, or None; a token for `learn`)."""
    shape = shape_of(document)
    if shape is None:
        return None, None
    key, leaves = shape
    template = loader.walk_templates.get(key)
    if isinstance(template, Template):
        return template.apply(leaves), None
    return None, (None if template is _UNTEMPLATABLE else shape)


def learn(
    token: Any, document: Any, loader: DocumentLoader, walked: WalkResult, walk: Walk
) -> None:
    """After a walk: note the shape's first sighting, or compile its template on the
    second (from `token`, as `templated` returned it)."""
    if token is None:
        return
    key, leaves = token
    sighting = hash(key)
    if loader.walk_sightings.get(sighting) is None:
        loader.walk_sightings[sighting] = True
        return
    if _characters(key) + sum(map(len, leaves)) > _MAX_TEMPLATE_CHARACTERS:
        return
    template = compile_template(document, leaves, loader, walked, walk)
    loader.walk_templates[key] = template if template is not None else _UNTEMPLATABLE


class _RecordingProcessor(CachingProcessor):
    """Notes every active context the walk expands an IRI with."""

    def __init__(self, loader: DocumentLoader) -> None:
        super().__init__(loader)
        self.contexts: dict[int, Any] = {}

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        if isinstance(active_ctx, Mapping) and "mappings" in active_ctx:
            self.contexts[id(active_ctx)] = active_ctx
        return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)


def compile_template(
    document: Any, leaves: list[str], loader: DocumentLoader, walked: WalkResult, walk: Walk
) -> Template | None:
    """The template of `document`'s shape, or None if its walk cannot be templated.
    `walked` is the direct walk's result for `document`; the template must give it."""
    structural: set[int] = set()
    counter = [0]
    _steering_leaves(document, structural, counter, False)
    for _ in range(_COMPILE_ROUNDS):
        fixed = frozenset(structural)
        marked = _replace_leaves(document, _marker_unless(fixed), [0])
        processor = _RecordingProcessor(loader)
        try:
            quads = walk(marked, processor)
        except Exception:  # the marked document defers to pyld, or fails: no template
            return None
        slots, misplaced = _find_slots(quads)
        unused = set(range(len(leaves))) - fixed - set(slots)
        names = _names(processor)
        # an IRI slot whose own value expands (a term such as "assertionMethod"): a shape
        # of its own
        expanding = {
            i
            for i, suffix in slots.items()
            if suffix is None and not _stays_itself(leaves[i], names)
        }
        if not (misplaced | unused | expanding) - structural:
            template = _build(quads, slots, fixed, leaves, names, walked[1])
            return template if template.apply(leaves) == walked else None
        structural |= misplaced | unused | expanding
    return None


def _names(processor: _RecordingProcessor) -> frozenset[str]:
    names: set[str] = set()
    for context in processor.contexts.values():
        names.update(context["mappings"])
    return frozenset(names)


def _marker_unless(structural: frozenset[int]) -> Callable[[int, str], str]:
    def replace(index: int, value: str) -> str:
        return value if index in structural else f"{_MARK}{index}"

    return replace


def _find_slots(quads: list[Quad]) -> tuple[dict[int, str | None], set[int]]:
    """Slots (leaf -> literal suffix, or None for an IRI) and the leaves whose markers are
    anywhere but a whole subject or object term."""
    slots: dict[int, str | None] = {}
    misplaced: set[int] = set()
    for quad in quads:
        for position, term in enumerate(quad):
            if _MARK not in term:
                continue
            found = _slot_of(term) if position == 2 or position == 0 else None
            if found is None or (position == 2 and quad[1] == _RDF_TYPE):
                misplaced.update(int(n) for n in _MARK_NUMBER.findall(term))
                continue
            index, suffix = found
            literal_subject = position == 0 and suffix is not None
            if literal_subject or (index in slots and slots[index] != suffix):
                misplaced.add(index)
            else:
                slots[index] = suffix
    for index in misplaced:
        slots.pop(index, None)
    return slots, misplaced


def _slot_of(term: str) -> tuple[int, str | None] | None:
    """(leaf, None) for `<marker>`, (leaf, suffix) for `"marker"suffix`, else None."""
    if term.startswith("<") and term.endswith(">"):
        number = term[1 + len(_MARK) : -1]
        if term.startswith(_MARK, 1) and number.isdigit():
            return int(number), None
        return None
    if term.startswith('"') and term.startswith(_MARK, 1):
        end = term.find('"', 1)
        number = term[1 + len(_MARK) : end]
        suffix = term[end + 1 :]
        if end > 0 and number.isdigit() and suffix not in _CONVERTED_SUFFIXES:
            return int(number), suffix
    return None


def _build(
    quads: list[Quad],
    slots: dict[int, str | None],
    structural: frozenset[int],
    leaves: list[str],
    names: frozenset[str],
    dropped: list[str],
) -> Template:
    iri_slots = tuple(sorted(i for i, suffix in slots.items() if suffix is None))
    literal_slots = tuple(sorted((i, suffix) for i, suffix in slots.items() if suffix is not None))
    constants: dict[str, int] = {}
    for quad in quads:
        for term in quad:
            if _slot_of(term) is None:
                constants.setdefault(term, len(constants))
    position = {
        index: len(constants) + n
        for n, index in enumerate([*iri_slots, *(i for i, _ in literal_slots)])
    }

    def index_of(term: str) -> int:
        found = _slot_of(term)
        return constants[term] if found is None else position[found[0]]

    getters = tuple(itemgetter(*(index_of(term) for term in quad)) for quad in quads)
    return Template(
        structural=tuple((i, leaves[i]) for i in sorted(structural)),
        iri_slots=iri_slots,
        literal_slots=literal_slots,
        constants=tuple(constants),
        getters=getters,
        names=names,
        dropped=tuple(dropped),
    )
