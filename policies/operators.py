"""The 12 ODRL operators, compiled into plain predicates over a left-operand value.

A left value is one value or a frozenset of values (a request may declare several
purposes). `within(a, b)` is the left operand's containment (ISO 3166 for `spatial`,
equality otherwise). Set semantics, with L the left values and R the right operand values:

- `eq`: L equals R; `neq`: it does not
- `lt`, `lteq`, `gt`, `gteq`: one left value against one right value, by the operand's order
- `isA`, `isPartOf`: every l is within some r; `hasPart`: every r is within some l
- `isAnyOf`: L is non-empty and every l is within some r ("each declared purpose is allowed")
- `isAllOf`: every r is matched by some l within it ("all required values are present")
- `isNoneOf`: no l is within any r

For an *existential* operand (`event`: the set of events going on now) `eq`, `isA` and
`isAnyOf` hold when *some* current value matches, and `neq`/`isNoneOf` when none does.
"""

from __future__ import annotations

import operator as _op
from collections.abc import Callable
from typing import Any

Predicate = Callable[[Any], bool]
Within = Callable[[Any, Any], bool]

_ORDER = {"lt": _op.lt, "lteq": _op.le, "gt": _op.gt, "gteq": _op.ge}


def _as_set(value: Any) -> frozenset[Any]:
    return value if isinstance(value, frozenset) else frozenset((value,))


def _equal(a: Any, b: Any) -> bool:
    return bool(a == b)


def make_predicate(
    operator: str,
    right: tuple[Any, ...],
    within: Within | None = None,
    *,
    existential: bool = False,
) -> Predicate:
    """Compile `operator right` into `predicate(left) -> bool` (False on type mismatch)."""
    inside: Within = within or _equal
    rset = frozenset(right)

    def any_match(lefts: frozenset[Any]) -> bool:
        return any(inside(left, r) for left in lefts for r in rset)

    if existential and operator in ("eq", "isA", "isAnyOf", "isPartOf"):
        return lambda left: any_match(_as_set(left))
    if existential and operator in ("neq", "isNoneOf"):
        return lambda left: not any_match(_as_set(left))

    if operator in _ORDER:
        compare = _ORDER[operator]
        (limit,) = right if len(right) == 1 else (None,)

        def ordered(left: Any) -> bool:
            if limit is None or isinstance(left, frozenset):
                return False
            try:
                return bool(compare(left, limit))
            except TypeError:
                return False

        return ordered
    if operator == "eq":
        if len(right) == 1:
            single = right[0]
            return lambda left: _as_set(left) == rset if isinstance(left, frozenset) else (
                _safe_eq(left, single)
            )
        return lambda left: _as_set(left) == rset
    if operator == "neq":
        eq = make_predicate("eq", right, within)
        return lambda left: not eq(left)
    if operator in ("isA", "isPartOf"):
        return lambda left: all(any(inside(lv, r) for r in rset) for lv in _as_set(left))
    if operator == "hasPart":
        return lambda left: all(any(inside(r, lv) for lv in _as_set(left)) for r in rset)
    if operator == "isAnyOf":
        return lambda left: bool(_as_set(left)) and all(
            any(inside(lv, r) for r in rset) for lv in _as_set(left)
        )
    if operator == "isAllOf":
        return lambda left: all(any(inside(lv, r) for lv in _as_set(left)) for r in rset)
    if operator == "isNoneOf":
        return lambda left: not any_match(_as_set(left))
    raise ValueError(f"unknown operator {operator!r}")


def _safe_eq(left: Any, right: Any) -> bool:
    try:
        return bool(left == right)
    except TypeError:
        return False


PHRASES: dict[str, tuple[str, str]] = {
    "eq": ("is", "is not"),
    "neq": ("is not", "is"),
    "lt": ("is less than", "is not less than"),
    "lteq": ("is at most", "is more than"),
    "gt": ("is more than", "is not more than"),
    "gteq": ("is at least", "is less than"),
    "isA": ("is a", "is not a"),
    "hasPart": ("includes", "does not include"),
    "isPartOf": ("is part of", "is not part of"),
    "isAllOf": ("is all of", "is not all of"),
    "isAnyOf": ("is one of", "is not one of"),
    "isNoneOf": ("is none of", "is one of"),
}
"""English for `actual <phrase> right`: (when satisfied, when not)."""

TIME_PHRASES: dict[str, tuple[str, str]] = {
    "eq": ("is", "is not"),
    "neq": ("is not", "is"),
    "lt": ("is before", "is not before"),
    "lteq": ("is at or before", "is after"),
    "gt": ("is after", "is not after"),
    "gteq": ("is at or after", "is before"),
}
