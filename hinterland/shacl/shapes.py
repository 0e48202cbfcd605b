"""Bundled shapes sets, parsed once per process, with an index of their targets.

A shape can only produce results for focus nodes its targets select. `CompiledShapes`
records, for every shape of the set, what its targets look at (classes, predicates,
explicit nodes) so that `select()` can name, for a given data graph, exactly the shapes
whose focus-node set is non-empty. Shapes referenced through ``sh:node``/``sh:property``/
``sh:and``... stay reachable because validation runs on the one pre-built pyshacl
`ShapesGraph` of the whole set. See docs/adr/shacl-0001-shape-selection.md.
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
from rdflib import RDF, RDFS
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
    folder = resources.files("hinterland.shapes")
    for file_name, rdf_format in SHAPES_FILES[name]:
        text = folder.joinpath(file_name).read_text("utf-8")
        if rdf_format == "json-ld":
            # Same JSON-LD-to-RDF path as the data; the inline @context fetches nothing.
            graph += to_rdflib(json.loads(text))
        else:
            graph.parse(data=text, format=rdf_format)
    return graph


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

    def select(self, data: rdflib.Graph) -> list[Any]:
        """The shapes whose focus nodes in `data` are not provably empty, in pyshacl order."""
        chosen: set[int] = set(self._always)
        for cls in _class_closure(data):
            chosen.update(self._by_class.get(cls, ()))
        if self._by_subjects_of or self._by_objects_of:
            for predicate in set(data.predicates()):
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


_compile_locks = {name: threading.Lock() for name in SHAPES_FILES}


@cache
def _compile(name: str) -> CompiledShapes:
    return CompiledShapes(name, load_shapes_graph(name))


def compiled_shapes(name: str) -> CompiledShapes:
    """The process-wide compiled shapes set `name` (parsed on first use, once even when
    several threads ask at the same time)."""
    _check_name(name)
    with _compile_locks[name]:
        return _compile(name)


def preload(names: Iterable[str] = SHAPES_NAMES) -> None:
    """Parse shapes sets now (servers call this at start-up to keep the first request fast)."""
    for name in names:
        compiled_shapes(name)
