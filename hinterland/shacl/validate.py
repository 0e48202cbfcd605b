"""SHACL validation: a fast path on pre-built shapes, and the plain pyshacl reference."""

from __future__ import annotations

from typing import Any

import pyshacl
import rdflib
from pyshacl.errors import ReportableRuntimeError
from pyshacl.graph_abstraction import DataGraph
from pyshacl.pytypes import SHACLExecutor
from pyshacl.validator import Validator

from hinterland.errors import InputError
from hinterland.jsonld.loader import DocumentLoader
from hinterland.shacl import parameters
from hinterland.shacl.data import ShaclData, shacl_data
from hinterland.shacl.model import ShaclResult
from hinterland.shacl.report import (
    locate_blank_nodes,
    render_node,
    sort_violations,
    violations_from_report,
)
from hinterland.shacl.shapes import (
    CompiledShapes,
    Occurrence,
    ShapesName,
    load_shapes_graph,
    occurrence,
    parts_for,
)

parameters.install()


def validate_graph(data: rdflib.Graph, shapes: ShapesName) -> ShaclResult:
    """Validate an rdflib data graph against a bundled shapes set, running only the shapes
    whose targets occur in `data` (and parsing only the files that hold such shapes).

    Gives the same conformance and results as `naive_validate_graph` (pyshacl's
    ``validate`` with default options: no inference, no SHACL-AF), as
    tests/unit/shacl/test_shacl_fast_equals_naive.py shows on every fixture.
    """
    occurring = occurrence(data)
    results = [
        validate_compiled(part, data, occurring) for part in parts_for(shapes, occurring)
    ]
    return ShaclResult(
        shapes=shapes,
        conforms=all(r.conforms for r in results),
        violations=sort_violations([v for r in results for v in r.violations]),
        applied_shapes=sorted(s for r in results for s in r.applied_shapes),
    )


def validate_compiled(
    compiled: CompiledShapes, data: rdflib.Graph, occurring: Occurrence | None = None
) -> ShaclResult:
    """`validate_graph` for one compiled shapes graph."""
    target = DataGraph.from_rdflib(data)
    # pyshacl's defaults, as pyshacl.validate() would set them.
    executor = SHACLExecutor(
        validator=None,
        advanced_mode=False,
        abort_on_first=False,
        allow_infos=False,
        allow_warnings=False,
        iterate_rules=False,
        sparql_mode=False,
        max_validation_depth=15,
        focus_nodes=None,
        debug=False,
    )
    reports: list[Any] = []
    conforms = True
    with compiled.lock:
        selected = compiled.select(data, occurring)
        try:
            for shape in selected:
                shape_conforms, shape_reports = shape.validate(executor, target)
                conforms = conforms and shape_conforms
                reports.extend(shape_reports)
        except (ReportableRuntimeError, RecursionError) as error:
            raise InputError(f"SHACL validation could not complete: {error}") from error
        violations = []
        # Building a report graph binds every namespace of the shapes graph: skip it when
        # there is nothing to report (the usual case).
        if reports:
            report, _text = Validator.create_validation_report(
                compiled.shapes_graph, conforms, reports
            )
            violations = locate_blank_nodes(violations_from_report(report, compiled.graph), data)
    return ShaclResult(
        shapes=compiled.name,
        conforms=conforms,
        violations=violations,
        applied_shapes=sorted(render_node(shape.node) for shape in selected),
    )


def naive_validate_graph(
    data: rdflib.Graph, shapes: ShapesName, shapes_graph: rdflib.Graph | None = None
) -> ShaclResult:
    """Reference: plain ``pyshacl.validate`` over the whole shapes set (slow; for proofs
    of equality and the benchmark baseline). `shapes_graph` defaults to a fresh parse."""
    graph = shapes_graph if shapes_graph is not None else load_shapes_graph(shapes)
    conforms, report, _text = pyshacl.validate(
        data, shacl_graph=graph, inference="none", advanced=False
    )
    return ShaclResult(
        shapes=shapes,
        conforms=bool(conforms),
        violations=locate_blank_nodes(violations_from_report(report, graph), data),
    )


def validate_shapes(
    document: dict[str, Any],
    shapes: ShapesName,
    *,
    loader: DocumentLoader | None = None,
    data: ShaclData | None = None,
) -> ShaclResult:
    """Validate the claims of a JSON-LD VP, VC or plain description against a shapes set.

    The data graph holds the credential subjects of all embedded credentials (see
    `hinterland.shacl.data`); contexts come from the offline `loader` (default: bundled
    contexts only). Raises `RemoteContextRefused` naming a context that is not bundled,
    `JsonLdError`/`InputError` for documents that cannot be read, and
    `ConfigurationError` for an unknown shapes set. Never fetches anything. `data`, from
    `shacl_data(document)`, saves building the data graph again for another shapes set.
    """
    data = data or shacl_data(document, loader)
    notes = list(data.notes)
    result = validate_graph(data.graph, shapes)
    if not result.applied_shapes:
        notes.append(f"no {shapes} shape targets these claims, so conformance says nothing")
    result.notes = notes
    return result
