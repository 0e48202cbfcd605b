"""Bundled shapes sets, parsed once per process, with an index of their targets.

A shape can only produce results for focus nodes its targets select. `CompiledShapes`
records, for every shape of the set, what its targets look at (classes, predicates,
explicit nodes) so that `select()` can name, for a given data graph, exactly the shapes
whose focus-node set is non-empty. Shapes referenced through ``sh:node``/``sh:property``/
``sh:and``... stay reachable because validation runs on the one pre-built pyshacl
`ShapesGraph` of the whole file. A committed index of every file's targets
(`hinterland/shapes/index.json`) lets `parts_for` parse a file only when the data could
be targeted by one of its shapes. See docs/adr/shacl-0001-shape-selection.md.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

import rdflib
from pyshacl.shapes_graph import ShapesGraph
from rdflib import RDF, RDFS, BNode
from rdflib.namespace import SH

from hinterland.errors import ConfigurationError
from hinterland.shacl.data import to_rdflib

ShapesName = Literal["gaia-x-22.10", "gaia-x-25.11", "hinterland"]
SHAPES_NAMES: tuple[str, ...] = get_args(ShapesName)

# name -> bundled files in hinterland/shapes (file name, rdflib format).
SHAPES_FILES: dict[str, tuple[tuple[str, str], ...]] = {
    "gaia-x-22.10": (
        ("gaia-x-22.10-trustframework.jsonld", "json-ld"),
        ("gaia-x-22.10-gx.shacl.ttl", "turtle"),
    ),
    "gaia-x-25.11": (("gaia-x-25.11-gx.shacl.ttl", "turtle"),),
    "hinterland": (("hinterland.ttl", "turtle"),),
}


def _check_name(name: str) -> None:
    if name not in SHAPES_FILES:
        known = ", ".join(SHAPES_NAMES)
        raise ConfigurationError(f"unknown shapes set {name!r}; known sets: {known}")


def load_shapes_graph(name: str) -> rdflib.Graph:
    """Parse the bundled shapes set `name` into a new rdflib graph (no caching)."""
    _check_name(name)
    graph = rdflib.Graph()
    for file_name, _format in SHAPES_FILES[name]:
        graph += _parse_file(file_name)
    return graph


@dataclass(frozen=True)
class TargetIndex:
    """What the shapes of one bundled file look at, to decide whether to load it at all."""

    classes: frozenset[str]
    subjects_of: frozenset[str]
    objects_of: frozenset[str]
    always: bool

    def hits(self, occurring: Occurrence) -> bool:
        """True if some shape of the file may have focus nodes in data with `occurring`."""
        classes, predicates = occurring
        return (
            self.always
            or not self.classes.isdisjoint(classes)
            or not self.subjects_of.isdisjoint(predicates)
            or not self.objects_of.isdisjoint(predicates)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "always": self.always,
            "classes": sorted(self.classes),
            "subjects_of": sorted(self.subjects_of),
            "objects_of": sorted(self.objects_of),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetIndex:
        return cls(
            classes=frozenset(data["classes"]),
            subjects_of=frozenset(data["subjects_of"]),
            objects_of=frozenset(data["objects_of"]),
            always=bool(data["always"]),
        )


# (classes that occur, closed upwards over rdfs:subClassOf; predicates that occur)
Occurrence = tuple[set[Any], set[Any]]


def occurrence(data: rdflib.Graph) -> Occurrence:
    """The classes and predicates of `data` that shape targets can match."""
    return _class_closure(data), set(data.predicates())


@dataclass
class _Targets:
    classes: set[Any] = field(default_factory=set)
    subjects_of: set[Any] = field(default_factory=set)
    objects_of: set[Any] = field(default_factory=set)
    always: bool = False


class CompiledShapes:
    """A parsed shapes set, its pyshacl `ShapesGraph` and an index of shape targets."""

    def __init__(self, name: str, graph: rdflib.Graph) -> None:
        self.name = name
        self.graph = graph
        self.shapes_graph = ShapesGraph(graph)
        # Validation mutates nothing shared, but pyshacl does not promise thread safety.
        self.lock = threading.Lock()
        # Same order as pyshacl's own iteration, so results come out in the same order.
        self.shapes: list[Any] = list(self.shapes_graph.shapes)
        self._by_class: dict[Any, list[int]] = {}
        self._by_subjects_of: dict[Any, list[int]] = {}
        self._by_objects_of: dict[Any, list[int]] = {}
        self._always: list[int] = []
        for index, shape in enumerate(self.shapes):
            targets = self._targets_of(shape)
            if targets.always:
                self._always.append(index)
            for cls in targets.classes:
                self._by_class.setdefault(cls, []).append(index)
            for predicate in targets.subjects_of:
                self._by_subjects_of.setdefault(predicate, []).append(index)
            for predicate in targets.objects_of:
                self._by_objects_of.setdefault(predicate, []).append(index)

    def _targets_of(self, shape: Any) -> _Targets:
        # shape.target() is exactly what pyshacl's focus_nodes() evaluates.
        nodes, classes, implicit, objects_of, subjects_of = shape.target()
        targets = _Targets(
            classes=set(classes) | set(implicit),
            subjects_of=set(subjects_of),
            objects_of=set(objects_of),
        )
        # sh:targetNode selects its nodes whether or not they occur in the data, and
        # SHACL-AF custom targets (sh:target) are opaque queries: always run those.
        has_nodes = any(True for _ in nodes)
        has_custom = (shape.node, SH.target, None) in self.graph
        targets.always = has_nodes or has_custom
        return targets

    def target_index(self) -> TargetIndex:
        """The targets of all shapes of this set, as plain IRIs."""
        return TargetIndex(
            classes=frozenset(str(c) for c in self._by_class),
            subjects_of=frozenset(str(p) for p in self._by_subjects_of),
            objects_of=frozenset(str(p) for p in self._by_objects_of),
            always=bool(self._always),
        )

    def select(self, data: rdflib.Graph, occurring: Occurrence | None = None) -> list[Any]:
        """The shapes whose focus nodes in `data` are not provably empty, in pyshacl order."""
        classes, predicates = occurring if occurring is not None else occurrence(data)
        chosen: set[int] = set(self._always)
        for cls in classes:
            chosen.update(self._by_class.get(cls, ()))
        if self._by_subjects_of or self._by_objects_of:
            for predicate in predicates:
                chosen.update(self._by_subjects_of.get(predicate, ()))
                chosen.update(self._by_objects_of.get(predicate, ()))
        return [self.shapes[index] for index in sorted(chosen)]


def _class_closure(data: rdflib.Graph) -> set[Any]:
    """Every class a node of `data` is an instance of, following rdfs:subClassOf in `data`.

    pyshacl finds instances of a target class C as nodes typed C or typed with any S
    where ``S rdfs:subClassOf* C`` holds in the data graph; this is the same relation
    walked upwards from the types that occur.
    """
    seen: set[Any] = set(data.objects(None, RDF.type))
    todo: list[Any] = list(seen)
    while todo:
        cls = todo.pop()
        for parent in data.objects(cls, RDFS.subClassOf):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


INDEX_FILE = "index.json"
_FILE_FORMATS = {file: fmt for files in SHAPES_FILES.values() for file, fmt in files}
_compile_locks = {key: threading.Lock() for key in (*SHAPES_FILES, *_FILE_FORMATS)}


def _parse_file(file_name: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    text = resources.files("hinterland.shapes").joinpath(file_name).read_text("utf-8")
    if _FILE_FORMATS[file_name] == "json-ld":
        # Same JSON-LD-to-RDF path as the data; the inline @context fetches nothing.
        # pyld numbers blank nodes b0, b1...: rename them so files can share a graph.
        fresh: dict[Any, BNode] = {}

        def rename(term: Any) -> Any:
            return fresh.setdefault(term, BNode()) if isinstance(term, BNode) else term

        for s, p, o in to_rdflib(json.loads(text)):
            graph.add((rename(s), p, rename(o)))
    else:
        graph.parse(data=text, format=_FILE_FORMATS[file_name])
    return graph


@cache
def _compile(key: str) -> CompiledShapes:
    if key in SHAPES_FILES:
        return CompiledShapes(key, load_shapes_graph(key))
    return CompiledShapes(key, _parse_file(key))


def compiled_shapes(name: str) -> CompiledShapes:
    """The whole set `name` as one compiled `ShapesGraph` (parsed on first use, once even
    when several threads ask at the same time)."""
    _check_name(name)
    with _compile_locks[name]:
        return _compile(name)


def compiled_file(file_name: str) -> CompiledShapes:
    """One bundled shapes file, compiled on first use."""
    with _compile_locks[file_name]:
        return _compile(file_name)


@cache
def file_indexes() -> dict[str, TargetIndex]:
    """The committed target index of every bundled file (hinterland/shapes/index.json)."""
    text = resources.files("hinterland.shapes").joinpath(INDEX_FILE).read_text("utf-8")
    return {name: TargetIndex.from_json(entry) for name, entry in json.loads(text).items()}


def build_file_indexes() -> dict[str, TargetIndex]:
    """Recompute the target index of every bundled file (slow: compiles them all)."""
    return {name: compiled_file(name).target_index() for name in _FILE_FORMATS}


def parts_for(name: str, occurring: Occurrence) -> list[CompiledShapes]:
    """The files of set `name` with a shape that may target the data; only those are
    parsed. Files never reference each other's shapes (tests/unit/shacl checks it), so
    validating them apart gives the results of the whole set."""
    _check_name(name)
    indexes = file_indexes()
    classes, predicates = occurring
    plain = ({str(c) for c in classes}, {str(p) for p in predicates})
    return [
        compiled_file(file_name)
        for file_name, _format in SHAPES_FILES[name]
        if indexes[file_name].hits(plain)
    ]


def preload(names: Iterable[str] = SHAPES_NAMES) -> None:
    """Parse shapes sets now (servers call this at start-up to keep the first request fast)."""
    for name in names:
        _check_name(name)
        for file_name, _format in SHAPES_FILES[name]:
            compiled_file(file_name)

