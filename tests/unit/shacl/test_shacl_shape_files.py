"""The bundled shapes files can be loaded one by one: the committed target index is
current, and no file refers to a shape defined in another file of the same set."""

from __future__ import annotations

from typing import Any

import rdflib
from rdflib import RDF, BNode
from rdflib.collection import Collection
from rdflib.namespace import SH

from hinterland.shacl.shapes import SHAPES_FILES, build_file_indexes, compiled_file, file_indexes

SHAPE_VALUED = (SH.node, SH.property, SH["not"], SH.qualifiedValueShape)
SHAPE_LISTS = (SH["and"], SH["or"], SH.xone)
DEFINING = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path,
            SH.property)


def test_committed_index_is_current() -> None:
    assert build_file_indexes() == file_indexes()


def _defined(graph: rdflib.Graph) -> set[Any]:
    shapes = set(graph.subjects(RDF.type, SH.NodeShape))
    shapes |= set(graph.subjects(RDF.type, SH.PropertyShape))
    for predicate in DEFINING:
        shapes |= set(graph.subjects(predicate, None))
    return {s for s in shapes if not isinstance(s, BNode)}


def _referenced(graph: rdflib.Graph) -> set[Any]:
    refs = {o for p in SHAPE_VALUED for o in graph.objects(None, p)}
    for p in SHAPE_LISTS:
        for head in graph.objects(None, p):
            refs |= set(Collection(graph, head))
    return {r for r in refs if not isinstance(r, BNode)}


def test_files_of_a_set_are_independent() -> None:
    for name, files in SHAPES_FILES.items():
        if len(files) < 2:
            continue
        graphs = {file: compiled_file(file).graph for file, _format in files}
        defined = {file: _defined(graph) for file, graph in graphs.items()}
        for file, graph in graphs.items():
            others = set().union(*(d for f, d in defined.items() if f != file))
            assert not (_referenced(graph) & others), (name, file)
            assert not (defined[file] & others), (name, file)
            # Implicit class targets read rdfs:subClassOf rdfs:Class from the shapes graph;
            # only pyshacl's own system triple (owl:Class) may be there.
            subclasses = set(graph.subjects(rdflib.RDFS.subClassOf, rdflib.RDFS.Class))
            assert subclasses <= {rdflib.OWL.Class}
