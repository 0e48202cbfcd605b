"""The result of a SHACL validation, in words a person can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ShaclViolation:
    """One SHACL validation result.

    `focus` is the node that failed (an IRI, or ``_:id`` for a blank node), `path` the
    property path (``None`` for node-level constraints), `severity` one of ``Violation``,
    ``Warning``, ``Info``, and `message` the shape's message or pyshacl's description.
    `shape` and `constraint` name the source shape and the SHACL constraint component;
    `value` is the offending value when there is one.
    """

    focus: str
    path: str | None
    severity: str
    message: str
    shape: str | None = None
    constraint: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.focus} {self.path}" if self.path else self.focus
        return f"{self.severity} at {where}: {self.message}"

    def to_dict(self) -> dict[str, str | None]:
        """A JSON-ready dictionary."""
        return {
            "focus": self.focus,
            "path": self.path,
            "severity": self.severity,
            "message": self.message,
            "shape": self.shape,
            "constraint": self.constraint,
            "value": self.value,
        }


@dataclass
class ShaclResult:
    """Outcome of validating a document's claims against one bundled shapes set.

    `applied_shapes` lists the shapes whose targets occur in the data (the only shapes
    that can produce results); `notes` explains parts of the input that were not
    validated (for example a credential embedded as a JWT string).
    """

    shapes: str
    conforms: bool
    violations: list[ShaclViolation] = field(default_factory=list)
    applied_shapes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        """One human-readable line per violation."""
        return [str(v) for v in self.violations]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "shapes": self.shapes,
            "conforms": self.conforms,
            "violations": [v.to_dict() for v in self.violations],
            "applied_shapes": list(self.applied_shapes),
            "notes": list(self.notes),
        }
