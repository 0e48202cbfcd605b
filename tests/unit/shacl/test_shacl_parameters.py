"""pyshacl's constraint-parameter list, hashed: same members, same order, set lookups."""

from __future__ import annotations

import pyshacl.shape as shape_module
from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
from rdflib import URIRef

from hinterland.shacl import validate_shapes  # noqa: F401  (importing installs the list)
from hinterland.shacl.parameters import ParameterList, install


def test_pyshacl_reads_the_hashed_list() -> None:
    install()
    install()  # idempotent
    parameters, mapping = shape_module.CONSTRAINT_PARAMS
    assert isinstance(parameters, ParameterList)
    assert list(parameters) == list(ALL_CONSTRAINT_PARAMETERS)
    assert mapping is CONSTRAINT_PARAMETERS_MAP


def test_membership_is_that_of_the_list() -> None:
    hashed = ParameterList(ALL_CONSTRAINT_PARAMETERS)
    for parameter in ALL_CONSTRAINT_PARAMETERS:
        assert parameter in hashed
        assert URIRef(str(parameter)) in hashed  # equal terms, not only the same objects
    assert URIRef("http://www.w3.org/ns/shacl#targetClass") not in hashed
    assert "http://www.w3.org/ns/shacl#minCount" not in hashed  # a string is not an IRI term
    assert ("http://www.w3.org/ns/shacl#minCount" in list(ALL_CONSTRAINT_PARAMETERS)) is False
