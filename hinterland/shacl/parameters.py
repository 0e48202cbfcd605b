"""Constraint-parameter lookup for pyshacl by hashing instead of scanning.

For every shape it validates, pyshacl finds the shape's constraint components by testing
each predicate of the shape with `in` against a list of about 40 parameter IRIs; every test
is a Python-level rdflib term comparison. In ingest profiles that scan was 40% of SHACL
validation time. pyshacl caches the list on its `shape` module (`CONSTRAINT_PARAMS`); we
put the same list there first, as a list whose `in` is a set lookup. Components come out
the same and in the same order (the filter keeps the shape's own predicate order). Should
pyshacl stop reading that cache, the list is simply not used and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ParameterList(list[Any]):
    """A list whose membership test is a set lookup (its items are hashable IRIs)."""

    def __init__(self, items: Iterable[Any]) -> None:
        super().__init__(items)
        self._members = frozenset(self)

    def __contains__(self, item: object) -> bool:
        return item in self._members


def install() -> None:
    """Give pyshacl's shape module the hashed parameter list (idempotent)."""
    import pyshacl.shape as shape_module
    from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP

    current = getattr(shape_module, "CONSTRAINT_PARAMS", None)
    if current is not None and isinstance(current[0], ParameterList):
        return
    shape_module.CONSTRAINT_PARAMS = (  # type: ignore[attr-defined]
        ParameterList(ALL_CONSTRAINT_PARAMETERS),
        CONSTRAINT_PARAMETERS_MAP,
    )
